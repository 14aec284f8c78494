using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>A backend on one of its devices.</summary>
public sealed record BackendTarget(IBackend Backend, DeviceInfo Device)
{
    public override string ToString() => Backend.Name == Device.Id ? Device.Id : $"{Backend.Name}/{Device.Id}";
    internal bool SameAs(BackendTarget other) => ReferenceEquals(Backend, other.Backend) && Device.Id == other.Device.Id;
}

/// <summary>How <see cref="BackendSelector"/> chooses.</summary>
public sealed class SelectionOptions
{
    /// <summary>"auto", one backend name or device id ("cpu", "managed", "ilgpu-cuda", "vulkan:0"), or a
    /// comma-separated list in order of preference.</summary>
    public string Backend { get; init; } = "auto";
    /// <summary>Fail instead of falling back when a requested backend cannot run a node or has no device.</summary>
    public bool Strict { get; init; }
    /// <summary>Threads CPU backends compile with (also part of the calibration cache key).</summary>
    public int Threads { get; init; } = 1;
    /// <summary>Timed calibration runs per candidate (after one warm-up run). At least 1.</summary>
    public int CalibrationRuns { get; init; } = 3;
    /// <summary>Directory of the calibration cache; null = no cache.</summary>
    public string? CacheDirectory { get; init; }
    /// <summary>Backends to choose from (default <see cref="BackendRegistry.All"/>).</summary>
    public IReadOnlyList<IBackend>? Backends { get; init; }
    public ILogger? Logger { get; init; }
}

/// <summary>The chosen plan: partitions in run order with their backend and device, and the report.</summary>
public sealed class SelectionPlan
{
    internal SelectionPlan(IReadOnlyList<(Partition Partition, BackendTarget Target)> partitions, PlacementReport report)
    {
        Partitions = partitions;
        Report = report;
    }

    public IReadOnlyList<(Partition Partition, BackendTarget Target)> Partitions { get; }
    public PlacementReport Report { get; }
}

/// <summary>
/// Chooses a backend and device for every node of a validated graph.
/// <para><b>auto</b>: the candidates are every device of every backend (one backend per device; the managed reference
/// backend is not a candidate, only the last resort for nodes no candidate can run). The node list is cut into
/// segments: maximal runs of nodes supported by the same set of candidates. A segment that only one candidate supports
/// goes to it; otherwise each candidate's time for the segment is measured on the real shapes (compile, one warm-up
/// run, then <see cref="SelectionOptions.CalibrationRuns"/> runs taken in turns across the candidates, keeping each
/// one's fastest; a candidate more than <see cref="RejectFactor"/>× slower than the best after the first turn is
/// stopped there). A partition's
/// run includes its host↔device transfers (every partition reads its inputs from and writes its outputs to the host
/// arena), so the measured cost includes the transfers that assignment costs; the segment goes to the fastest. Ties go
/// to the earlier candidate (the native CPU comes first), and a CPU-emulated device must measure
/// <see cref="EmulatedMargin"/>× faster than the best other candidate to be chosen. Adjacent segments that chose the same target become one partition. Results are cached on disk per device
/// and model shape (<see cref="CalibrationCache"/>).</para>
/// <para><b>explicit</b> (a name, a device id or a list): each node goes to the first requested target that supports
/// it. Not strict: a requested backend without a device is skipped and a node none of them can run falls back to the
/// first other backend that can (native CPU, then managed, then registered ones); both are logged as warnings and
/// written into the report. Strict: both are errors.</para>
/// </summary>
public static class BackendSelector
{
    /// <summary>A candidate slower than this factor times the best after its first timed run is not run again.</summary>
    public const double RejectFactor = 5.0;

    /// <summary>A CPU-emulated device (ILGPU's CPU accelerator, lavapipe) is chosen over another candidate only when its
    /// calibrated time is at least this factor faster.</summary>
    public const double EmulatedMargin = 1.1;

    public static SelectionPlan Select(ModelGraph graph, SelectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentException.ThrowIfNullOrWhiteSpace(options.Backend, nameof(options));
        if (options.CalibrationRuns < 1)
            throw new ArgumentOutOfRangeException(nameof(options), options.CalibrationRuns, "CalibrationRuns must be at least 1");
        var backends = options.Backends ?? BackendRegistry.All();
        var tokens = options.Backend.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (tokens.Length == 0)
            throw new ArgumentException("backend list is empty", nameof(options));
        var ctx = new Context(graph, options, backends);
        if (tokens.Length == 1 && string.Equals(tokens[0], "auto", StringComparison.OrdinalIgnoreCase))
            return ctx.Auto();
        if (tokens.Any(t => string.Equals(t, "auto", StringComparison.OrdinalIgnoreCase)))
            throw new ArgumentException($"'auto' cannot be part of a list ('{options.Backend}'); use it alone", nameof(options));
        return ctx.Explicit(tokens);
    }

    /// <summary>
    /// The candidates "auto" chooses among: one target per device of <paramref name="backends"/> (default
    /// <see cref="BackendRegistry.All"/>). The backend named like the device ("vulkan:0", "ilgpu-cpu" for "ilgpu-cpu:0")
    /// wins over a generic one listing the same device; the managed reference backend is left out unless
    /// <paramref name="includeReference"/>. The host CPU comes first, then other CPU devices, then the rest.
    /// </summary>
    public static IReadOnlyList<BackendTarget> Candidates(IReadOnlyList<IBackend>? backends = null, bool includeReference = false)
    {
        backends ??= BackendRegistry.All();
        var byDevice = new Dictionary<string, BackendTarget>(StringComparer.Ordinal);
        var order = new List<string>();
        foreach (var b in backends)
        {
            if (!includeReference && b.IsReference)
                continue;
            foreach (var d in DeviceCatalog.SafeDevices(b))
            {
                if (!byDevice.TryGetValue(d.Id, out var have))
                {
                    byDevice[d.Id] = new BackendTarget(b, d);
                    order.Add(d.Id);
                }
                else if (Score(b, d) > Score(have.Backend, d))
                    byDevice[d.Id] = new BackendTarget(b, d);
            }
        }
        var list = order.Select(id => byDevice[id])
            .OrderBy(t => t.Device.Id == DeviceCatalog.HostCpu.Id ? 0 : t.Device.Kind == DeviceKind.Cpu ? 1 : 2).ToList();
        if (includeReference)
            foreach (var b in backends.Where(b => b.IsReference))
                foreach (var d in DeviceCatalog.SafeDevices(b))
                    if (!list.Any(t => ReferenceEquals(t.Backend, b)))
                        list.Add(new BackendTarget(b, d));
        return list;
    }

    private static int Score(IBackend b, DeviceInfo d) => b.Name == d.Id ? 2 : d.Id.Split(':')[0] == b.Name ? 1 : 0;

    /// <summary>Structural signature of a node (op, attributes that change cost are implied by the shapes).</summary>
    internal static string Signature(Node n)
    {
        var sb = new StringBuilder();
        sb.Append(n.Op);
        foreach (var v in n.Inputs)
            sb.Append('|').Append(v is null ? "-" : Value.FormatShape(v.Shape) + v.DataType);
        sb.Append("->");
        foreach (var v in n.Outputs)
            sb.Append(Value.FormatShape(v.Shape)).Append(v.DataType).Append(';');
        return sb.ToString();
    }

    private sealed class Context
    {
        private readonly ModelGraph _graph;
        private readonly SelectionOptions _o;
        private readonly IReadOnlyList<IBackend> _backends;
        private readonly List<string> _reasons = new();
        private string _calibration = "none";

        public Context(ModelGraph graph, SelectionOptions o, IReadOnlyList<IBackend> backends)
        {
            _graph = graph;
            _o = o;
            _backends = backends;
        }

        private void Warn(string message)
        {
            _reasons.Add(message);
            _o.Logger?.LogWarning("{Message}", message);
        }

        private void Info(string message)
        {
            _reasons.Add(message);
            _o.Logger?.LogInformation("{Message}", message);
        }

        private static bool Supports(BackendTarget t, Node n, out string reason)
        {
            try
            {
                return t.Backend.Supports(n, out reason);
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                reason = $"Supports threw {e.GetType().Name}: {e.Message}";
                return false;
            }
        }

        /// <summary>Backend name or device id → target; null device when the backend has none.</summary>
        private (IBackend Backend, DeviceInfo? Device) Resolve(string token)
        {
            if (BackendRegistry.Find(_backends, token) is { } named)
            {
                var ds = DeviceCatalog.SafeDevices(named);
                return (named, ds.Count > 0 ? ds[0] : null);
            }
            (IBackend, DeviceInfo)? found = null;
            foreach (var b in _backends)
                foreach (var d in DeviceCatalog.SafeDevices(b))
                    if (string.Equals(d.Id, token, StringComparison.OrdinalIgnoreCase) && (found is null || Score(b, d) > Score(found.Value.Item1, d)))
                        found = (b, d);
            if (found is { } f)
                return f;
            var names = _backends.Select(b => b.Name).Concat(_backends.SelectMany(b => DeviceCatalog.SafeDevices(b).Select(d => d.Id)))
                .Prepend("auto").Distinct(StringComparer.OrdinalIgnoreCase);
            throw new ArgumentException($"unknown backend '{token}'; available: {string.Join(", ", names)}");
        }

        /// <summary>The fallback order for a node no requested target runs: registry order (by priority: cpu, managed, registered).</summary>
        private BackendTarget? Fallback(Node n, IEnumerable<BackendTarget> exclude, out string reasons)
        {
            var why = new List<string>();
            foreach (var b in _backends)
            {
                var ds = DeviceCatalog.SafeDevices(b);
                if (ds.Count == 0)
                    continue;
                var t = new BackendTarget(b, ds[0]);
                if (exclude.Any(x => ReferenceEquals(x.Backend, b)))
                    continue;
                if (Supports(t, n, out string r))
                {
                    reasons = string.Join("; ", why);
                    return t;
                }
                why.Add($"{b.Name}: {r}");
            }
            reasons = string.Join("; ", why);
            return null;
        }

        /// <summary>"cpu (…), ilgpu-cpu:0 (CPUAccelerator)": every device of every backend, for errors.</summary>
        private string DevicesPresent()
        {
            var devices = _backends.SelectMany(DeviceCatalog.SafeDevices).Select(d => $"{d.Id} ({d.Name})").Distinct().ToList();
            return devices.Count == 0 ? "none" : string.Join(", ", devices);
        }

        public SelectionPlan Explicit(string[] tokens)
        {
            var targets = new List<BackendTarget>();
            foreach (var token in tokens)
            {
                var (b, d) = Resolve(token);
                if (d is null)
                {
                    string why = b.UnavailableReason is { Length: > 0 } r ? $" ({r})" : "";
                    string msg = $"backend '{b.Name}' has no device on this machine{why}; devices present: {DevicesPresent()}";
                    if (_o.Strict)
                        throw new NotSupportedException(msg + " (Strict: no fallback)");
                    Warn(msg + "; skipped");
                    continue;
                }
                targets.Add(new BackendTarget(b, d));
            }
            Info($"explicit: {string.Join(", ", targets)}{(_o.Strict ? " (strict)" : "")}");
            var assign = new BackendTarget[_graph.Nodes.Count];
            for (int i = 0; i < assign.Length; i++)
            {
                var n = _graph.Nodes[i];
                var why = new List<string>();
                foreach (var t in targets)
                {
                    if (Supports(t, n, out string reason))
                    {
                        assign[i] = t;
                        break;
                    }
                    why.Add($"backend '{t.Backend.Name}' cannot run node '{n.Name}' ({n.Op}): {reason}");
                }
                if (assign[i] is not null)
                {
                    if (why.Count > 0)
                        Info($"node '{n.Name}' ({n.Op}) -> {assign[i]} (earlier in the list: {string.Join("; ", why)})");
                    continue;
                }
                if (_o.Strict)
                    throw new NotSupportedException(string.Join("; ", why) + " (Strict: no fallback)");
                var fb = Fallback(n, targets, out string others)
                    ?? throw new NotSupportedException(string.Join("; ", why.Append($"no other backend can run it ({others})")));
                assign[i] = fb;
                Warn($"fallback: node '{n.Name}' ({n.Op}) runs on {fb}"
                    + (why.Count > 0 ? $" because {string.Join("; ", why)}" : " because no requested backend has a device"));
            }
            return Build(assign, new Dictionary<int, double>());
        }

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
                if (t.Device.Id != DeviceCatalog.HostCpu.Id)
                {
                    foreach (var v in p.Inputs)
                        transfers.Add(new Transfer(v.Name, v.SizeInBytes, DeviceCatalog.HostCpu.Id, t.Device.Id));
                    foreach (var v in p.Outputs)
                        transfers.Add(new Transfer(v.Name, v.SizeInBytes, t.Device.Id, DeviceCatalog.HostCpu.Id));
                }
                start = end;
            }
            var report = new PlacementReport(_o.Backend, nodes, placements, transfers, _reasons.ToList(), _calibration);
            _o.Logger?.LogInformation("placement: {Summary}", report.Summary);
            return new SelectionPlan(parts, report);
        }
    }

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
