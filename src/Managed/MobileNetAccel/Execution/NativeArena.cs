using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Execution;

/// <summary>
/// One block of 64-byte aligned native memory holding every run-time value at the offset a <see cref="MemoryPlan"/>
/// gave it. The block is owned by a SafeHandle (<see cref="Interop.AlignedMemory"/>): an arena that is never disposed
/// is freed by its finalizer. Not thread-safe: one run at a time uses an arena.
/// </summary>
internal sealed unsafe class NativeArena : IArena, IDisposable
{
    private readonly Interop.AlignedMemory _memory;
    private byte* _base;
    private readonly IReadOnlyDictionary<Value, long> _offsets;

    public NativeArena(MemoryPlan plan)
    {
        ArgumentNullException.ThrowIfNull(plan);
        Plan = plan;
        _offsets = plan.Offsets;
        SizeInBytes = Math.Max(plan.PeakBytes, MemoryPlanner.Alignment);
        _memory = new Interop.AlignedMemory(SizeInBytes, "an activation arena");
        _base = _memory.Pointer;
        NativeMemory.Clear(_base, (nuint)SizeInBytes);
    }

    public MemoryPlan Plan { get; }
    public long SizeInBytes { get; }

    public byte* Pointer(Value value)
    {
        ObjectDisposedException.ThrowIf(_base == null, this);
        if (!_offsets.TryGetValue(value, out long offset))
            throw new ArgumentException($"value '{value.Name}' has no place in the arena (a constant, or not part of the planned graph)", nameof(value));
        return _base + offset;
    }

    public Span<T> Span<T>(Value value) where T : unmanaged
    {
        byte* p = Pointer(value);
        long count = value.SizeInBytes / sizeof(T);
        return new Span<T>(p, checked((int)count));
    }

    public void Dispose()
    {
        _base = null;
        _memory.Dispose();
    }
}
