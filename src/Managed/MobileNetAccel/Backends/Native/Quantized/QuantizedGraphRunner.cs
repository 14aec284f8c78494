using System.Runtime.InteropServices;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// Runs a quantized graph node by node with the quantized steps (every run-time value gets its own pinned buffer).
/// Inputs and outputs are raw bytes in the model's own dtype and layout. Not thread-safe.
/// </summary>
internal sealed class QuantizedGraphRunner : IDisposable
{
    private readonly List<QuantizedStep> _steps = new();
    private readonly PinnedArena _arena;

    public QuantizedGraphRunner(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        if (graph.Inputs.Count != 1 || graph.Outputs.Count != 1)
            throw new NotSupportedException($"graph '{graph.Name}' has {graph.Inputs.Count} inputs and {graph.Outputs.Count} outputs; one of each is supported");
        Graph = graph;
        foreach (var n in graph.Nodes)
        {
            var f = QuantizedOps.Plan(n, out string reason)
                ?? throw new NotSupportedException($"node '{n.Name}' ({n.Op}) cannot run on the integer path: {reason}");
            _steps.Add(f(null));
        }
        _arena = new PinnedArena(graph.Values().Where(v => !v.IsConstant));
    }

    public ModelGraph Graph { get; }
    public Value Input => Graph.Inputs[0];
    public Value Output => Graph.Outputs[0];

    public void Run(ReadOnlySpan<byte> input, Span<byte> output)
    {
        var x = _arena.Span<byte>(Input);
        if (input.Length != x.Length)
            throw new ArgumentException($"input '{Input.Name}' {Value.FormatShape(Input.Shape)} {Input.DataType} needs {x.Length} bytes; got {input.Length}", nameof(input));
        var y = _arena.Span<byte>(Output);
        if (output.Length != y.Length)
            throw new ArgumentException($"output '{Output.Name}' {Value.FormatShape(Output.Shape)} {Output.DataType} needs {y.Length} bytes; got {output.Length}", nameof(output));
        input.CopyTo(x);
        foreach (var s in _steps)
            s.Run(_arena);
        y.CopyTo(output);
    }

    public void Dispose()
    {
        foreach (var s in _steps)
            s.Dispose();
        _steps.Clear();
    }

    private sealed unsafe class PinnedArena : IArena
    {
        private readonly Dictionary<Value, byte[]> _buffers = new(ReferenceEqualityComparer.Instance);

        public PinnedArena(IEnumerable<Value> values)
        {
            foreach (var v in values)
                _buffers[v] = GC.AllocateArray<byte>(checked((int)Math.Max(1, v.SizeInBytes)), pinned: true);
        }

        private byte[] Buffer(Value v) => _buffers.TryGetValue(v, out var b)
            ? b
            : throw new ArgumentException($"value '{v.Name}' has no buffer", nameof(v));

        public byte* Pointer(Value value) => (byte*)Marshal.UnsafeAddrOfPinnedArrayElement(Buffer(value), 0);

        public Span<T> Span<T>(Value value) where T : unmanaged =>
            MemoryMarshal.Cast<byte, T>(Buffer(value).AsSpan(0, (int)value.SizeInBytes));
    }
}
