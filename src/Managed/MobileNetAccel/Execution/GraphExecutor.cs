using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>Which backend and device runs a node.</summary>
public sealed record NodePlacement(string Node, OpType Op, string Backend, string Device)
{
    /// <summary>Index of the partition the node runs in (<see cref="PlacementReport.Partitions"/>).</summary>
    public int Partition { get; init; }

    public override string ToString() => $"{Node} ({Op}) -> {Backend}/{Device} [partition {Partition}]";
}

/// <summary>
/// Runs a validated graph: takes a <see cref="SelectionPlan"/> (partitions, each with a backend and device; see
/// <see cref="BackendSelector"/>), plans one arena for every run-time value, compiles each partition once (weights are
/// packed or uploaded then), and runs the partitions in order. Partitions exchange values through the host arena:
/// a partition on another device uploads its inputs and downloads its outputs (the <see cref="PlacementReport.Transfers"/>).
/// <para>Thread safety: <see cref="Run"/> and the <c>RunRaw</c> overloads may be called from several threads at once. Each
/// call takes an arena of its own from a small pool (created on demand, at most <see cref="MaxArenas"/>: as many as
/// fit the memory limit, and no more than the machine's processors; further callers wait for one), while the compiled
/// weights are shared. A partition whose backend does not declare <see cref="ICompiledPartition.SupportsConcurrentRuns"/>
/// runs one call at a time (a lock per partition). <see cref="Dispose"/> must not overlap a run (the session ensures it).</para>
/// </summary>
internal sealed partial class GraphExecutor : IDisposable
{
    private readonly List<ICompiledPartition> _compiled = new();
    private readonly List<object?> _partitionLocks = new();
    private readonly NativeArena _arena;
    private readonly System.Collections.Concurrent.ConcurrentBag<NativeArena> _idle = new();
    private readonly List<NativeArena> _all = new();
    private readonly SemaphoreSlim _arenaSlots;
    private readonly Value[] _inputs;
    private readonly Value[] _outputs;
    private bool _disposed;

    /// <summary>Every node on <paramref name="backend"/> (its first device); a node it cannot run is an error naming
    /// the node and the reason.</summary>
    public GraphExecutor(ModelGraph graph, IBackend backend, CompileOptions options)
        : this(graph, BackendSelector.Select(graph ?? throw new ArgumentNullException(nameof(graph)), new SelectionOptions
        {
            Backend = (backend ?? throw new ArgumentNullException(nameof(backend))).Name,
            Strict = true,
            Backends = new[] { backend },
            Threads = (options ?? throw new ArgumentNullException(nameof(options))).Threads,
        }), options)
    {
    }

    public GraphExecutor(ModelGraph graph, SelectionPlan plan, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(plan);
        ArgumentNullException.ThrowIfNull(options);
        if (graph.Inputs.Count == 0 || graph.Outputs.Count == 0)
            throw new GraphException($"graph '{graph.Name}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; the executor needs at least one of each");
        if (plan.Partitions.Count == 0 && graph.Nodes.Count > 0)
            throw new ArgumentException("the plan has no partitions", nameof(plan));
        Graph = graph;
        _inputs = graph.Inputs.ToArray();
        _outputs = graph.Outputs.ToArray();
        Backend = plan.Partitions.Count > 0 ? plan.Partitions[0].Target.Backend : null;
        Device = plan.Partitions.Count > 0 ? plan.Partitions[0].Target.Device : HostCpuDevice.Info;
        MemoryBudget.CheckShapes(graph);
        Plan = MemoryPlanner.Plan(graph);
        MemoryBudget.Check(Plan, MemoryBudget.PackedWeightBytes(graph), options.MemoryLimitBytes, "CompileOptions.MemoryLimitBytes");
        Partitions = plan.Partitions.Select(p => p.Partition).ToList();
        Placement = plan.Report;
        _arena = new NativeArena(Plan);
        _all.Add(_arena);
        _idle.Add(_arena);
        long arenaBytes = Math.Max(Plan.PeakBytes, 1);
        long room = options.MemoryLimitBytes > 0 ? (options.MemoryLimitBytes - MemoryBudget.PackedWeightBytes(graph)) / arenaBytes : long.MaxValue;
        MaxArenas = (int)Math.Clamp(room, 1, Math.Max(2, Environment.ProcessorCount));
        _arenaSlots = new SemaphoreSlim(MaxArenas, MaxArenas);
        try
        {
            foreach (var (partition, target) in plan.Partitions)
            {
                var c = target.Backend.Compile(partition, target.Device, options);
                _compiled.Add(c);
                _partitionLocks.Add(c.SupportsConcurrentRuns ? null : new object());
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public ModelGraph Graph { get; }
    /// <summary>Backend of the first partition; null when the graph has no nodes.</summary>
    public IBackend? Backend { get; }
    /// <summary>Device of the first partition.</summary>
    public DeviceInfo Device { get; }
    public MemoryPlan Plan { get; }
    public IReadOnlyList<Partition> Partitions { get; }
    public PlacementReport Placement { get; }
    /// <summary>Bytes of one activation arena (a call in flight uses one).</summary>
    public long ArenaBytes => _arena.SizeInBytes;

    /// <summary>Most arenas (= concurrent calls) this executor will hold.</summary>
    public int MaxArenas { get; }

    /// <summary>Arenas created so far (one per call that overlapped the others, up to <see cref="MaxArenas"/>).</summary>
    public int ArenaCount
    {
        get
        {
            lock (_all)
                return _all.Count;
        }
    }

    private NativeArena Rent()
    {
        _arenaSlots.Wait();
        if (_idle.TryTake(out var a))
            return a;
        try
        {
            a = new NativeArena(Plan);
        }
        catch
        {
            _arenaSlots.Release();
            throw;
        }
        lock (_all)
            _all.Add(a);
        return a;
    }

    private void Return(NativeArena a)
    {
        _idle.Add(a);
        _arenaSlots.Release();
    }

    private void RunPartitions(NativeArena arena)
    {
        for (int i = 0; i < _compiled.Count; i++)
        {
            if (_partitionLocks[i] is { } gate)
                lock (gate)
                    _compiled[i].Run(arena);
            else
                _compiled[i].Run(arena);
        }
    }

    /// <summary>The graph's only input (single-tensor calls: <see cref="Run"/>, <see cref="RunRaw(ReadOnlySpan{byte}, Span{byte})"/>,
    /// <see cref="Profile"/>); a graph with several raises <see cref="InvalidOperationException"/> naming the list overload.</summary>
    private Value SingleInput => _inputs.Length == 1 ? _inputs[0]
        : throw new InvalidOperationException($"graph '{Graph.Name}' has {_inputs.Length} inputs; use RunRaw with a list of inputs and outputs");

    private Value SingleOutput => _outputs.Length == 1 ? _outputs[0]
        : throw new InvalidOperationException($"graph '{Graph.Name}' has {_outputs.Length} outputs; use RunRaw with a list of inputs and outputs");

    /// <summary>Copies <paramref name="input"/> into an arena, runs every partition, copies the output out. The graph
    /// must have exactly one input and one output.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var inV = SingleInput;
        var outV = SingleOutput;
        long inCount = inV.ElementCount;
        if (inV.DataType != DataType.Float32 || input.Length != inCount)
            throw new ArgumentException($"input '{inV.Name}' {Value.FormatShape(inV.Shape)} needs {inCount} floats; got {input.Length}", nameof(input));
        var outCount = outV.ElementCount;
        if (output.Length != outCount)
            throw new ArgumentException($"output '{outV.Name}' {Value.FormatShape(outV.Shape)} needs {outCount} floats; got {output.Length}", nameof(output));
        var arena = Rent();
        try
        {
            input.CopyTo(arena.Span<float>(inV));
            RunPartitions(arena);
            arena.Span<float>(outV).CopyTo(output);
        }
        finally
        {
            Return(arena);
        }
    }

    /// <summary>Like <see cref="Run"/> with raw little-endian bytes in the graph input's and output's own dtypes
    /// (e.g. uint8 for a quantized TFLite model). The graph must have exactly one input and one output.</summary>
    public void RunRaw(ReadOnlySpan<byte> input, Span<byte> output)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var outV = SingleOutput;
        long outBytes = outV.SizeInBytes;
        var inV = CheckRawInput(input.Length);
        if (output.Length != outBytes)
            throw new ArgumentException($"output '{outV.Name}' {Value.FormatShape(outV.Shape)} {outV.DataType} needs {outBytes} bytes; got {output.Length}", nameof(output));
        var arena = Rent();
        try
        {
            input.CopyTo(arena.Span<byte>(inV));
            RunPartitions(arena);
            arena.Span<byte>(outV).CopyTo(output);
        }
        finally
        {
            Return(arena);
        }
    }

    /// <summary>Runs the graph on raw little-endian bytes: <paramref name="inputs"/> in the order of
    /// <see cref="ModelGraph.Inputs"/>, <paramref name="outputs"/> in the order of <see cref="ModelGraph.Outputs"/>, each
    /// exactly its value's bytes in the graph's own dtype.</summary>
    public void RunRaw(IReadOnlyList<ReadOnlyMemory<byte>> inputs, IReadOnlyList<Memory<byte>> outputs)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (inputs.Count != _inputs.Length)
            throw new ArgumentException($"graph '{Graph.Name}' has {_inputs.Length} inputs; got {inputs.Count}", nameof(inputs));
        if (outputs.Count != _outputs.Length)
            throw new ArgumentException($"graph '{Graph.Name}' has {_outputs.Length} outputs; got {outputs.Count}", nameof(outputs));
        for (int i = 0; i < _inputs.Length; i++)
            if (inputs[i].Length != _inputs[i].SizeInBytes)
                throw new ArgumentException($"input {i} '{_inputs[i].Name}' {Value.FormatShape(_inputs[i].Shape)} {_inputs[i].DataType} needs {_inputs[i].SizeInBytes} bytes; got {inputs[i].Length}", nameof(inputs));
        for (int i = 0; i < _outputs.Length; i++)
            if (outputs[i].Length != _outputs[i].SizeInBytes)
                throw new ArgumentException($"output {i} '{_outputs[i].Name}' {Value.FormatShape(_outputs[i].Shape)} {_outputs[i].DataType} needs {_outputs[i].SizeInBytes} bytes; got {outputs[i].Length}", nameof(outputs));
        var arena = Rent();
        try
        {
            for (int i = 0; i < _inputs.Length; i++)
                inputs[i].Span.CopyTo(arena.Span<byte>(_inputs[i]));
            RunPartitions(arena);
            for (int i = 0; i < _outputs.Length; i++)
                arena.Span<byte>(_outputs[i]).CopyTo(outputs[i].Span);
        }
        finally
        {
            Return(arena);
        }
    }

    /// <summary>A raw input must be exactly the graph's single input's bytes (<see cref="RunRaw(ReadOnlySpan{byte}, Span{byte})"/>,
    /// <see cref="Profile"/>); returns that input.</summary>
    private Value CheckRawInput(int length)
    {
        var inV = SingleInput;
        if (length != inV.SizeInBytes)
            throw new ArgumentException($"input '{inV.Name}' {Value.FormatShape(inV.Shape)} {inV.DataType} needs {inV.SizeInBytes} bytes; got {length}", "input");
        return inV;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var c in _compiled)
            c.Dispose();
        _compiled.Clear();
        lock (_all)
        {
            foreach (var a in _all)
                a.Dispose();
            _all.Clear();
        }
        _arenaSlots?.Dispose();
    }
}

/// <summary>Splits a graph's node list into maximal runs of nodes assigned to the same backend.</summary>
internal static class Partitioner
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

    /// <summary>The partition of <paramref name="nodes"/> (a run of the graph's node list): inputs read from the host
    /// arena, outputs other nodes or the graph need.</summary>
    internal static Partition Make(ModelGraph graph, List<Node> nodes)
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
