using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

public static partial class BackendSelector
{
    private sealed partial class Context
    {
        public SelectionPlan Auto()
        {
            var candidates = Candidates(_backends);
            Info($"auto: candidates {(candidates.Count == 0 ? "none" : string.Join(", ", candidates.Select(c => $"{c} ({DeviceCatalog.KindName(c.Device.Kind)})")))}");

            int n = _graph.Nodes.Count;
            var sets = new List<int>[n];
            var missing = new List<string>[n];
            for (int i = 0; i < n; i++)
            {
                sets[i] = new List<int>();
                missing[i] = new List<string>();
                for (int c = 0; c < candidates.Count; c++)
                    if (Supports(candidates[c], _graph.Nodes[i], out string r))
                        sets[i].Add(c);
                    else
                        missing[i].Add($"{candidates[c]}: {r}");
            }
            // Segments: maximal runs with the same candidate set.
            var segments = new List<(int Start, int End, List<int> Set)>();
            for (int i = 0; i < n;)
            {
                int j = i + 1;
                while (j < n && sets[j].SequenceEqual(sets[i]))
                    j++;
                segments.Add((i, j, sets[i]));
                i = j;
            }
            var assign = new BackendTarget[n];
            var measured = new Dictionary<int, double>();
            var toCalibrate = segments.Where(s => s.Set.Count > 1).ToList();
            CalibrationCache? cache = null;
            Calibrator? calibrator = null;
            try
            {
                if (toCalibrate.Count > 0)
                {
                    string key = $"v{CalibrationCache.Version}|{typeof(BackendSelector).Assembly.GetName().Version}|threads={_o.Threads}|"
                        + string.Join("\n", _graph.Nodes.Select(Signature));
                    if (_o.CacheDirectory is { } dir)
                    {
                        cache = CalibrationCache.Open(dir, key);
                        if (cache.IgnoredBecause.Length > 0)
                            Warn($"calibration cache {cache.IgnoredBecause}; measuring again");
                    }
                }
                int fromCache = 0, timed = 0;
                foreach (var seg in segments)
                {
                    var nodes = _graph.Nodes.Skip(seg.Start).Take(seg.End - seg.Start).ToList();
                    string what = seg.End - seg.Start == 1 ? $"node '{nodes[0].Name}' ({nodes[0].Op})"
                        : $"nodes {seg.Start}..{seg.End - 1} ('{nodes[0].Name}' .. '{nodes[^1].Name}')";
                    if (seg.Set.Count == 0)
                    {
                        string why = string.Join("; ", missing[seg.Start]);
                        if (_o.Strict)
                            throw new NotSupportedException($"node '{nodes[0].Name}' ({nodes[0].Op}): no candidate backend can run it ({why}) (Strict: no fallback)");
                        for (int i = seg.Start; i < seg.End; i++)
                        {
                            var node = _graph.Nodes[i];
                            assign[i] = Fallback(node, candidates, out string others)
                                ?? throw new NotSupportedException($"no backend can run node '{node.Name}' ({node.Op}): {string.Join("; ", missing[i].Append(others).Where(s => s.Length > 0))}");
                            Warn($"fallback: node '{node.Name}' ({node.Op}) runs on {assign[i]} because no candidate can run it ({string.Join("; ", missing[i])})");
                        }
                        continue;
                    }
                    if (seg.Set.Count == 1)
                    {
                        for (int i = seg.Start; i < seg.End; i++)
                            assign[i] = candidates[seg.Set[0]];
                        if (candidates.Count > 1)
                            _reasons.Add($"{what}: only {candidates[seg.Set[0]]} can run them ({string.Join("; ", missing[seg.Start].Take(3))})");
                        continue;
                    }
                    string segSig = string.Join("\n", nodes.Select(Signature));
                    var times = new List<(int C, double Ms, bool Cut)>();
                    var toMeasure = new List<int>();
                    double best = double.PositiveInfinity;
                    foreach (int c in seg.Set)
                    {
                        var t = candidates[c];
                        if (cache is not null && cache.TryGet(CalibrationCache.EntryName(t.Backend.Name, t.Device, segSig), out double cached))
                        {
                            fromCache++;
                            times.Add((c, cached, false));
                            best = Math.Min(best, cached);
                        }
                        else
                            toMeasure.Add(c);
                    }
                    if (toMeasure.Count > 0)
                    {
                        calibrator ??= new Calibrator(_graph, _o);
                        var results = calibrator.Measure(toMeasure.Select(c => candidates[c]).ToList(), nodes, best);
                        for (int k = 0; k < toMeasure.Count; k++)
                        {
                            int c = toMeasure[k];
                            var (ms, cut, error) = results[k];
                            timed++;
                            if (error is not null)
                            {
                                Warn($"{what}: {candidates[c]} failed in calibration ({error}); not used");
                                continue;
                            }
                            times.Add((c, ms, cut));
                            cache?.Set(CalibrationCache.EntryName(candidates[c].Backend.Name, candidates[c].Device, segSig), ms);
                        }
                    }
                    if (times.Count == 0)
                        throw new NotSupportedException($"{what}: every candidate failed in calibration ({string.Join("; ", _reasons.TakeLast(seg.Set.Count))})");
                    // An emulated device must beat the others by EmulatedMargin: calibration noise never moves work
                    // from the native CPU to a GPU API running on the same CPU.
                    double Score((int C, double Ms, bool Cut) x) =>
                        x.Ms * (candidates[x.C].Device.Kind == DeviceKind.CpuEmulatedGpu ? EmulatedMargin : 1.0);
                    var win = times.OrderBy(Score).ThenBy(x => x.C).First();
                    var wt = candidates[win.C];
                    for (int i = seg.Start; i < seg.End; i++)
                        assign[i] = wt;
                    measured[seg.Start] = win.Ms;
                    var sb = new StringBuilder($"{what}: chose {wt} ({Ms(win.Ms)})");
                    foreach (var x in times.Where(x => x.C != win.C).OrderBy(x => x.C))
                    {
                        double ratio = x.Ms / win.Ms;
                        sb.Append(ratio >= 1
                            ? $"; {candidates[x.C]} rejected: {ratio.ToString("0.0#", CultureInfo.InvariantCulture)}x slower than {wt} in calibration ({Ms(x.Ms)}{(x.Cut ? ", stopped after one run" : "")})"
                            : $"; {candidates[x.C]} rejected: {(1 / ratio).ToString("0.0#", CultureInfo.InvariantCulture)}x faster than {wt} in calibration ({Ms(x.Ms)}) but {wt} is CPU-emulated and must be {EmulatedMargin.ToString("0.0#", CultureInfo.InvariantCulture)}x faster");
                    }
                    Info(sb.ToString());
                }
                if (toCalibrate.Count > 0)
                {
                    _calibration = timed == 0 && cache is not null ? $"from cache {cache.Path}"
                        : $"measured {timed} candidate runs ({_o.CalibrationRuns} timed runs each after a warm-up)"
                          + (fromCache > 0 ? $", {fromCache} from cache" : "")
                          + (cache is null ? ", cache disabled" : $", cache {cache.Path}");
                    if (cache is not null && timed > 0 && cache.Save() is { } err)
                        Warn($"calibration cache {cache.Path} not written: {err}");
                }
            }
            finally
            {
                calibrator?.Dispose();
            }
            return Build(assign, measured);
        }

        private static string Ms(double ms) => ms.ToString("F3", CultureInfo.InvariantCulture) + " ms";

        private SelectionPlan Build(BackendTarget[] assign, Dictionary<int, double> measuredBySegmentStart)
        {
            var parts = new List<(Partition, BackendTarget)>();
            var placements = new List<PartitionPlacement>();
            var nodes = new List<NodePlacement>();
            var transfers = new List<Transfer>();
            int start = 0;
            while (start < assign.Length)
            {
                int end = start + 1;
                while (end < assign.Length && assign[end].SameAs(assign[start]))
                    end++;
                var list = _graph.Nodes.Skip(start).Take(end - start).ToList();
                var p = Partitioner.Make(_graph, list);
                var t = assign[start];
                // The partition's measured cost: the sum of the calibrated segments inside it, when all were measured.
                double? ms = null;
                var inside = measuredBySegmentStart.Where(kv => kv.Key >= start && kv.Key < end).ToList();
                if (inside.Count > 0)
                    ms = inside.Sum(kv => kv.Value);
                int index = parts.Count;
                parts.Add((p, t));
                placements.Add(new PartitionPlacement(index, t.Backend.Name, t.Device.Id, list.Select(x => x.Name).ToList(), ms));
                foreach (var x in list)
                    nodes.Add(new NodePlacement(x.Name, x.Op, t.Backend.Name, t.Device.Id) { Partition = index });
                if (t.Device.Id != HostCpuDevice.Info.Id)
                {
                    foreach (var v in p.Inputs)
                        transfers.Add(new Transfer(v.Name, v.SizeInBytes, HostCpuDevice.Info.Id, t.Device.Id));
                    foreach (var v in p.Outputs)
                        transfers.Add(new Transfer(v.Name, v.SizeInBytes, t.Device.Id, HostCpuDevice.Info.Id));
                }
                start = end;
            }
            foreach (var n in DequantizedNodes(_graph))
                _reasons.Add($"{n.Op} '{n.Name}' runs in float on dequantized values: its quantized form was not fused into an integer operator");
            var report = new PlacementReport(_o.Backend, nodes, placements, transfers, _reasons.ToList(), _calibration);
            _o.Logger?.LogInformation("placement: {Summary}", report.Summary);
            return new SelectionPlan(parts, report);
        }
    }
}
