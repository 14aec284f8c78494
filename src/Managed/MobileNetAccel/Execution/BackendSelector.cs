using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

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
public static partial class BackendSelector
{
    /// <summary>A candidate slower than this factor times the best after its first timed run is not run again.</summary>
    public const double RejectFactor = 5.0;

    /// <summary>A CPU-emulated device (ILGPU's CPU accelerator, lavapipe) is chosen over another candidate only when its
    /// calibrated time is at least this factor faster.</summary>
    public const double EmulatedMargin = 1.1;

    /// <summary>Arithmetic nodes of a quantized model that run in float between a Dequantize and a Quantize (the part
    /// of a QDQ model the importer could not fuse), for the placement report.</summary>
    internal static IEnumerable<Node> DequantizedNodes(ModelGraph graph)
    {
        var dequantized = new HashSet<Value>(graph.Nodes.OfType<DequantizeNode>().Select(n => n.Output), ReferenceEqualityComparer.Instance);
        if (dequantized.Count == 0 || !graph.Nodes.Any(n => n is QuantizeNode))
            return Array.Empty<Node>();
        return graph.Nodes.Where(n => n is not (QuantizeNode or DequantizeNode or ReshapeNode or TransposeNode)
            && n.Inputs.Any(i => i is not null && dequantized.Contains(i)) && n.Output.DataType == DataType.Float32).ToList();
    }

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
            .OrderBy(t => t.Device.Id == HostCpuDevice.Info.Id ? 0 : t.Device.Kind == DeviceKind.Cpu ? 1 : 2).ToList();
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

    private sealed partial class Context
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
    }
}
