using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Conformance;

/// <summary>
/// The host arena of the backend tests (an <see cref="IArena"/> as the executor's is): built for a graph, it places
/// every run-time value with the real <see cref="MemoryPlanner"/> in one 64-byte aligned block, so values whose
/// lifetimes do not overlap share memory as they do in a session. A value the plan does not know (tests that hand a
/// partition without a graph, or the parameterless constructor) gets its own aligned block on first use. All memory
/// starts filled with 0xCD (a NaN pattern as float), so an output a backend never writes shows.
/// </summary>
public sealed unsafe class HostArena : IArena, IDisposable
{
    private const byte Garbage = 0xCD;
    private readonly Dictionary<Value, long> _offsets = new(ReferenceEqualityComparer.Instance);
    private readonly Dictionary<Value, nint> _own = new(ReferenceEqualityComparer.Instance);
    private byte* _block;
    private bool _disposed;

    /// <summary>An arena whose values each get their own block on first use.</summary>
    public HostArena() { }

    /// <summary>An arena planned for <paramref name="graph"/> (validated) by <see cref="MemoryPlanner.Plan"/>.</summary>
    public HostArena(ModelGraph graph)
    {
        var plan = MemoryPlanner.Plan(graph);
        PeakBytes = plan.PeakBytes;
        _block = Allocate(plan.PeakBytes);
        foreach (var s in plan.Slots)
            _offsets[s.Value] = s.Offset;
    }

    /// <summary>Size of the planned block (0 without a graph).</summary>
    public long PeakBytes { get; }

    public byte* Pointer(Value value)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(value);
        if (_offsets.TryGetValue(value, out long offset))
            return _block + offset;
        if (!_own.TryGetValue(value, out var p))
        {
            p = (nint)Allocate(value.SizeInBytes);
            _own[value] = p;
        }
        return (byte*)p;
    }

    public Span<T> Span<T>(Value value) where T : unmanaged =>
        new(Pointer(value), checked((int)(value.SizeInBytes / sizeof(T))));

    public void Set(Value v, float[] data)
    {
        if (data.Length != v.ElementCount)
            throw new ArgumentException($"{data.Length} floats for '{v.Name}' {Value.FormatShape(v.Shape)}", nameof(data));
        data.CopyTo(Span<float>(v));
    }

    public float[] Get(Value v) => Span<float>(v).ToArray();

    private static byte* Allocate(long bytes)
    {
        nuint n = (nuint)Math.Max(bytes, 1);
        var p = (byte*)NativeMemory.AlignedAlloc(n, MemoryPlanner.Alignment);
        NativeMemory.Fill(p, n, Garbage);
        return p;
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        foreach (var p in _own.Values)
            NativeMemory.AlignedFree((void*)p);
        _own.Clear();
        if (_block != null)
            NativeMemory.AlignedFree(_block);
        _block = null;
    }
}
