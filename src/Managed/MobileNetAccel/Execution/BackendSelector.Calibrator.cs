using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

public static partial class BackendSelector
{
    /// <summary>Times runs of nodes on candidates, in one host arena planned for the whole graph.</summary>
    private sealed class Calibrator : IDisposable
    {
        private readonly ModelGraph _graph;
        private readonly SelectionOptions _o;
        private readonly NativeArena _arena;

        public Calibrator(ModelGraph graph, SelectionOptions o)
        {
            _graph = graph;
            _o = o;
            _arena = new NativeArena(MemoryPlanner.Plan(graph));
            foreach (var input in graph.Inputs)
                if (input.DataType == DataType.Float32)
                {
                    var s = _arena.Span<float>(input);
                    for (int i = 0; i < s.Length; i++)
                        s[i] = (float)Math.Sin(i * 0.37);
                }
        }

        /// <summary>Compiles the nodes on every target, runs each once (warm-up), then runs them in turns (so that load
        /// from other processes hits all alike) <see cref="SelectionOptions.CalibrationRuns"/> times; a target slower
        /// than <see cref="RejectFactor"/>× the best after the first turn stops there. The estimate is the fastest run
        /// (the least disturbed one).</summary>
        public List<(double Ms, bool Cut, string? Error)> Measure(List<BackendTarget> targets, List<Node> nodes, double best)
        {
            int k = targets.Count;
            var compiled = new ICompiledPartition?[k];
            var errors = new string?[k];
            var samples = new List<double>[k];
            var cut = new bool[k];
            var sw = new Stopwatch();
            try
            {
                var partition = Partitioner.Make(_graph, nodes);
                for (int i = 0; i < k; i++)
                {
                    samples[i] = new List<double>();
                    try
                    {
                        compiled[i] = targets[i].Backend.Compile(partition, targets[i].Device, new CompileOptions { Threads = _o.Threads });
                        compiled[i]!.Run(_arena);
                    }
                    catch (Exception e) when (e is not OutOfMemoryException)
                    {
                        errors[i] = $"{e.GetType().Name}: {e.Message}";
                        compiled[i]?.Dispose();
                        compiled[i] = null;
                    }
                }
                for (int r = 0; r < _o.CalibrationRuns; r++)
                {
                    for (int i = 0; i < k; i++)
                    {
                        if (compiled[i] is not { } c || cut[i])
                            continue;
                        try
                        {
                            sw.Restart();
                            c.Run(_arena);
                            samples[i].Add(sw.Elapsed.TotalMilliseconds);
                        }
                        catch (Exception e) when (e is not OutOfMemoryException)
                        {
                            errors[i] = $"{e.GetType().Name}: {e.Message}";
                            c.Dispose();
                            compiled[i] = null;
                        }
                    }
                    if (r == 0 && _o.CalibrationRuns > 1)
                    {
                        double first = Math.Min(best, Enumerable.Range(0, k).Where(i => samples[i].Count > 0).Select(i => samples[i][0]).DefaultIfEmpty(double.PositiveInfinity).Min());
                        for (int i = 0; i < k; i++)
                            if (samples[i].Count > 0 && samples[i][0] > RejectFactor * first)
                                cut[i] = true;
                    }
                }
            }
            finally
            {
                foreach (var c in compiled)
                    c?.Dispose();
            }
            return Enumerable.Range(0, k).Select(i => errors[i] is not null || samples[i].Count == 0
                ? (0.0, false, errors[i] ?? "no run completed")
                : (Math.Max(samples[i].Min(), 1e-6), cut[i], (string?)null)).ToList();
        }

        public void Dispose() => _arena.Dispose();
    }
}
