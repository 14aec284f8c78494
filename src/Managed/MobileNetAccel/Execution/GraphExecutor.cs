using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>Which backend and device runs a node.</summary>
public sealed record NodePlacement(string Node, OpType Op, string Backend, string Device)
{
    public override string ToString() => $"{Node} ({Op}) -> {Backend}/{Device}";
}

/// <summary>
/// Runs a validated graph: partitions it by backend, plans one arena for every run-time value, compiles each partition
/// once (weights are packed then), and runs the partitions in order. For now every node goes to the one requested
/// backend; a node that backend cannot run is an error naming the node and the reason. Not thread-safe: callers
/// serialise <see cref="Run"/> (the session does).
/// </summary>
public sealed class GraphExecutor : IDisposable
{
    private readonly List<ICompiledPartition> _compiled = new();
    private readonly NativeArena _arena;
    private readonly Value _input;
    private readonly Value _output;
    private bool _disposed;

    public GraphExecutor(ModelGraph graph, IBackend backend, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(backend);
        ArgumentNullException.ThrowIfNull(options);
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
            throw new GraphException($"graph '{graph.Name}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; the executor runs graphs with one of each");
        Graph = graph;
        Backend = backend;
        _input = graph.Inputs[0];
        _output = graph.Outputs[0];
        if (backend.Devices.Count == 0)
            throw new NotSupportedException($"backend '{backend.Name}' has no device on this machine; devices present: {DevicesPresent()}");
        Device = backend.Devices[0];
        foreach (var node in graph.Nodes)
            if (!backend.Supports(node, out string reason))
                throw new NotSupportedException($"backend '{backend.Name}' cannot run node '{node.Name}' ({node.Op}): {reason}");

        Plan = MemoryPlanner.Plan(graph);
        var partitions = Partitioner.Split(graph, _ => backend);
        Partitions = partitions.Select(p => p.Partition).ToList();
        Placement = graph.Nodes.Select(n => new NodePlacement(n.Name, n.Op, backend.Name, Device.Id)).ToList();
        _arena = new NativeArena(Plan);
        try
        {
            foreach (var (partition, b) in partitions)
                _compiled.Add(b.Compile(partition, Device, options));
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>"cpu (…), ilgpu-cpu:0 (CPUAccelerator)": every device of every available backend, for errors.</summary>
    private static string DevicesPresent()
    {
        var devices = BackendCatalog.All().SelectMany(b => b.Devices).Select(d => $"{d.Id} ({d.Name})").Distinct().ToList();
        return devices.Count == 0 ? "none" : string.Join(", ", devices);
    }

    public ModelGraph Graph { get; }
    public IBackend Backend { get; }
    public DeviceInfo Device { get; }
    public MemoryPlan Plan { get; }
    public IReadOnlyList<Partition> Partitions { get; }
    public IReadOnlyList<NodePlacement> Placement { get; }
    /// <summary>Bytes of the activation arena.</summary>
    public long ArenaBytes => _arena.SizeInBytes;

    /// <summary>Copies <paramref name="input"/> into the arena, runs every partition, copies the output out.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inSpan = _arena.Span<float>(_input);
        if (input.Length != inSpan.Length)
            throw new ArgumentException($"input '{_input.Name}' {Value.FormatShape(_input.Shape)} needs {inSpan.Length} floats; got {input.Length}", nameof(input));
        var outCount = _output.ElementCount;
        if (output.Length != outCount)
            throw new ArgumentException($"output '{_output.Name}' {Value.FormatShape(_output.Shape)} needs {outCount} floats; got {output.Length}", nameof(output));
        input.CopyTo(inSpan);
        foreach (var c in _compiled)
            c.Run(_arena);
        _arena.Span<float>(_output).CopyTo(output);
    }

    /// <summary>Like <see cref="Run"/> with raw little-endian bytes in the graph input's and output's own dtypes
    /// (e.g. uint8 for a quantized TFLite model).</summary>
    public void RunRaw(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inSpan = _arena.Span<byte>(_input);
        if (input.Length != inSpan.Length)
            throw new ArgumentException($"input '{_input.Name}' {Value.FormatShape(_input.Shape)} {_input.DataType} needs {inSpan.Length} bytes; got {input.Length}", nameof(input));
        var outSpan = _arena.Span<byte>(_output);
        if (output.Length != outSpan.Length)
            throw new ArgumentException($"output '{_output.Name}' {Value.FormatShape(_output.Shape)} {_output.DataType} needs {outSpan.Length} bytes; got {output.Length}", nameof(output));
        input.CopyTo(inSpan);
        foreach (var c in _compiled)
            c.Run(_arena);
        _arena.Span<byte>(_output).CopyTo(output);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var c in _compiled)
            c.Dispose();
        _compiled.Clear();
        _arena.Dispose();
    }
}

/// <summary>Splits a graph's node list into maximal runs of nodes assigned to the same backend.</summary>
public static class Partitioner
{
    public static IReadOnlyList<(Partition Partition, IBackend Backend)> Split(ModelGraph graph, Func<Node, IBackend> assign)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(assign);
        var result = new List<(Partition, IBackend)>();
        var run = new List<Node>();
        IBackend? current = null;
        void Flush()
        {
            if (run.Count == 0)
                return;
            result.Add((Make(graph, run.ToList()), current!));
            run.Clear();
        }
        foreach (var n in graph.Nodes)
        {
            var b = assign(n);
            if (current is not null && !ReferenceEquals(b, current))
                Flush();
            current = b;
            run.Add(n);
        }
        Flush();
        return result;
    }

    private static Partition Make(ModelGraph graph, List<Node> nodes)
    {
        var inside = new HashSet<Node>(nodes, ReferenceEqualityComparer.Instance);
        var produced = new HashSet<Value>(nodes.SelectMany(n => n.Outputs), ReferenceEqualityComparer.Instance);
        var inputs = new List<Value>();
        var seen = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        foreach (var n in nodes)
            foreach (var v in n.Inputs)
                if (v is not null && !v.IsConstant && !produced.Contains(v) && seen.Add(v))
                    inputs.Add(v);
        var outputs = new List<Value>();
        foreach (var v in nodes.SelectMany(n => n.Outputs))
            if (graph.IsOutput(v) || graph.Nodes.Any(m => !inside.Contains(m) && m.Inputs.Any(i => ReferenceEquals(i, v))))
                outputs.Add(v);
        return new Partition(nodes, inputs, outputs);
    }
}
