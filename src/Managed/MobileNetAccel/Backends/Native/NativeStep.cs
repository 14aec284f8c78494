using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native;

/// <summary>What a step may use when it is created: the partition's thread pool.</summary>
internal sealed class NativeContext
{
    public NativeContext(NativeThreadPool pool) => Pool = pool;
    public NativeThreadPool Pool { get; }
}

/// <summary>Creates the step of one node (called once, at compile time).</summary>
internal delegate NativeStep NativeStepFactory(NativeContext context);

/// <summary>One node compiled for the native CPU backend. Run reads its inputs from the arena and writes its outputs.</summary>
internal abstract class NativeStep : IDisposable
{
    public abstract void Run(IArena arena);

    /// <summary>True (the default) when Run may be called from several threads at once with different arenas: the
    /// step keeps nothing mutable of its own (weights are immutable, native scratch is per thread). A step that keeps
    /// mutable state must return false: the partition then serialises that step's runs.</summary>
    public virtual bool IsReentrant => true;
    public virtual void Dispose() { }
}

/// <summary>Float weights copied once into 64-byte aligned native memory (packed for the kernels), owned by a
/// SafeHandle so that a step that is never disposed is freed by the finalizer.</summary>
internal sealed unsafe class NativeBuffer : IDisposable
{
    private readonly AlignedMemory _memory;
    private float* _data;

    public NativeBuffer(ReadOnlySpan<float> source)
    {
        Length = source.Length;
        _memory = new AlignedMemory((long)Math.Max(1, Length) * sizeof(float), $"{Length} floats of packed weights");
        _data = (float*)_memory.Pointer;
        source.CopyTo(new Span<float>(_data, Length));
    }

    /// <summary>A buffer for an optional constant: null when the value is absent.</summary>
    public static NativeBuffer? From(Value? value) => value is null ? null : new NativeBuffer(value.AsFloats());

    public int Length { get; }

    public ReadOnlySpan<float> Span
    {
        get
        {
            ObjectDisposedException.ThrowIf(_data == null, this);
            return new ReadOnlySpan<float>(_data, Length);
        }
    }

    public void Dispose()
    {
        _data = null;
        _memory.Dispose();
    }
}

internal static class NativeBufferExtensions
{
    /// <summary>The buffer's data, or an empty span (= no bias) for null.</summary>
    public static ReadOnlySpan<float> OrEmpty(this NativeBuffer? b) => b is null ? ReadOnlySpan<float>.Empty : b.Span;
}
