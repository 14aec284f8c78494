using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>
/// A block of 64-byte aligned native memory owned by a <see cref="SafeHandle"/>: freed by <see cref="SafeHandle.Dispose()"/>,
/// or by the (critical) finalizer when its owner was never disposed, so a forgotten session's arena and weights are
/// reclaimed. The block's size is reported to the GC as memory pressure, so undisposed owners are collected as native
/// memory grows even when the managed heap does not.
/// </summary>
internal sealed unsafe class AlignedMemory : SafeHandle
{
    public AlignedMemory(long bytes, string what) : base(0, ownsHandle: true)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(bytes);
        Bytes = Math.Max(bytes, 1);
        void* p = NativeMemory.AlignedAlloc((nuint)Bytes, 64);
        if (p == null)
            throw new OutOfMemoryException($"cannot allocate {Bytes} bytes for {what}");
        SetHandle((nint)p);
        GC.AddMemoryPressure(Bytes);
    }

    public long Bytes { get; }

    public override bool IsInvalid => handle == 0;

    /// <summary>The block (the caller keeps this object alive while it uses the pointer).</summary>
    public byte* Pointer
    {
        get
        {
            ObjectDisposedException.ThrowIf(IsClosed, this);
            return (byte*)handle;
        }
    }

    protected override bool ReleaseHandle()
    {
        NativeMemory.AlignedFree((void*)handle);
        GC.RemoveMemoryPressure(Bytes);
        return true;
    }
}
