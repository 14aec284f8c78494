using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>A host arena for tests: each value gets its own 64-byte aligned block (no sharing).</summary>
internal sealed unsafe class TestArena : IArena, IDisposable
{
    private readonly Dictionary<Value, (IntPtr Ptr, long Bytes)> _blocks = new(ReferenceEqualityComparer.Instance);

    public TestArena(IEnumerable<Value> values)
    {
        foreach (var v in values)
            if (!_blocks.ContainsKey(v))
            {
                long bytes = Math.Max(v.SizeInBytes, 1);
                var p = (IntPtr)NativeMemory.AlignedAlloc((nuint)bytes, 64);
                NativeMemory.Clear((void*)p, (nuint)bytes);
                _blocks[v] = (p, bytes);
            }
    }

    public byte* Pointer(Value value) => (byte*)_blocks[value].Ptr;

    public Span<T> Span<T>(Value value) where T : unmanaged =>
        new((void*)_blocks[value].Ptr, (int)(value.SizeInBytes / sizeof(T)));

    public void Dispose()
    {
        foreach (var (p, _) in _blocks.Values)
            NativeMemory.AlignedFree((void*)p);
        _blocks.Clear();
    }
}
