using System.Runtime.InteropServices;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>A raw native call with one thing wrong, the status it must return and a fragment its last-error message must contain.</summary>
public sealed record NativeCall(string Name, Func<NativeStatus> Call, NativeStatus Expected, string Fragment)
{
    public override string ToString() => Name;
}

/// <summary>
/// The native layer's own validation, called directly through <see cref="NativeMethods"/> (bypassing the managed checks):
/// NULL pointers, short lengths, bad sizes/enums, overflow and overlap give the documented <see cref="NativeStatus"/> and a
/// thread-local message naming the problem, and write nothing to the output.
/// </summary>
[TestFixture, NonParallelizable]
public sealed unsafe class NativeValidationTests
{
    private const int Cap = 4096;
    private const float Mark = 777.25f;
    // Unmanaged buffers (5 x 16 KB, kept for the life of the test process): x (input), w (weights), b (bias), y (output),
    // z (second input). Distinct so that only the overlap cases overlap.
    private static readonly float* X = Alloc(), W = Alloc(), B = Alloc(), Y = Alloc(), Z = Alloc();

    private static float* Alloc()
    {
        float* p = (float*)NativeMemory.AllocZeroed(Cap, sizeof(float));
        for (int i = 0; i < Cap; i++)
            p[i] = 0.5f;
        return p;
    }

    // Valid shapes: conv 1x5x6x3 -> 4 channels, 3x3, stride 1, pads 1 => out 1x5x6x4 (120 floats).
    private static Conv2DParams Conv() => new()
    {
        Batch = 1, InH = 5, InW = 6, InC = 3, OutC = 4, KernelH = 3, KernelW = 3, StrideH = 1, StrideW = 1,
        PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Activation = NativeActivation.Relu,
    };

    // irb 1x4x4x3, hidden 6, out 3, stride 1, pads 1, residual => out 1x4x4x3 (48 floats).
    private static InvertedResidualParams Irb() => new()
    {
        Batch = 1, InH = 4, InW = 4, InC = 3, HiddenC = 6, OutC = 3, Stride = 1, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1,
        ExpandActivation = NativeActivation.Relu6, DepthwiseActivation = NativeActivation.Relu6, ProjectActivation = NativeActivation.None, Residual = 1,
    };

    private static NativeStatus ConvCall(Conv2DParams p, bool nullParams = false, float* x = null, nuint xl = 90, float* w = null, nuint wl = 108,
        float* b = null, nuint bl = 4, float* y = null, nuint yl = 120, bool dw = false)
    {
        x = x == null ? X : x == (float*)1 ? null : x;
        w = w == null ? W : w == (float*)1 ? null : w;
        y = y == null ? Y : y == (float*)1 ? null : y;
        b = b == null ? B : b == (float*)1 ? null : b;
        return dw
            ? NativeMethods.mna_f32_dwconv2d(nullParams ? null : &p, x, xl, w, wl, b, bl, y, yl, 0)
            : NativeMethods.mna_f32_conv2d(nullParams ? null : &p, x, xl, w, wl, b, bl, y, yl, 0);
    }

    private static NativeStatus IrbCall(InvertedResidualParams p, float* ew = null, nuint ewl = 18, nuint dwl = 54, nuint pwl = 18, nuint yl = 48)
    {
        ew = ew == null ? W : ew == (float*)1 ? null : ew;
        return NativeMethods.mna_f32_irb(&p, X, 48, ew, ewl, B, 6, W + 100, dwl, B + 100, 6, W + 200, pwl, B + 200, 3, Y, yl, 0);
    }

    /// <summary>Marker for "pass NULL here" in the helpers above (they treat null as "the default buffer").</summary>
    private static readonly float* Null = (float*)1;

    public static IEnumerable<TestCaseData> Calls()
    {
        Conv2DParams c = Conv();
        InvertedResidualParams ip = Irb();
        var calls = new List<NativeCall>
        {
            new("conv2d NULL params", () => ConvCall(c, nullParams: true), NativeStatus.NullPointer, "params"),
            new("conv2d NULL input", () => ConvCall(c, x: Null), NativeStatus.NullPointer, "input"),
            new("conv2d NULL weights", () => ConvCall(c, w: Null), NativeStatus.NullPointer, "weights"),
            new("conv2d NULL output", () => ConvCall(c, y: Null), NativeStatus.NullPointer, "output"),
            new("conv2d input_len short", () => ConvCall(c, xl: 89), NativeStatus.BufferTooSmall, "input_len"),
            new("conv2d weights_len short", () => ConvCall(c, wl: 107), NativeStatus.BufferTooSmall, "weights_len"),
            new("conv2d bias_len short", () => ConvCall(c, bl: 3), NativeStatus.BufferTooSmall, "bias_len"),
            new("conv2d output_len short", () => ConvCall(c, yl: 119), NativeStatus.BufferTooSmall, "output_len"),
            new("conv2d output_len 0", () => ConvCall(c, yl: 0), NativeStatus.BufferTooSmall, "output_len"),
            new("conv2d zero in_c", () => ConvCall(c with { InC = 0 }), NativeStatus.InvalidArgument, "in_c"),
            new("conv2d zero batch", () => ConvCall(c with { Batch = 0 }), NativeStatus.InvalidArgument, "batch"),
            new("conv2d negative stride_h", () => ConvCall(c with { StrideH = -1 }), NativeStatus.InvalidArgument, "stride_h"),
            new("conv2d negative pad_left", () => ConvCall(c with { PadLeft = -1 }), NativeStatus.InvalidArgument, "pad_left"),
            new("conv2d unknown activation", () => ConvCall(c with { Activation = (NativeActivation)3 }), NativeStatus.InvalidArgument, "activation"),
            new("conv2d window larger than padded input", () => ConvCall(c with { KernelW = 9 }), NativeStatus.InvalidArgument, "kernel"),
            new("conv2d size overflow", () => ConvCall(c with { Batch = int.MaxValue, InH = int.MaxValue, InW = int.MaxValue, InC = int.MaxValue }),
                NativeStatus.InvalidArgument, "overflow"),
            new("conv2d output_len short for a huge (1e10-pixel) shape",
                () => ConvCall(c with { InH = 100_000, InW = 100_000 }, xl: nuint.MaxValue, wl: nuint.MaxValue, yl: 120), NativeStatus.BufferTooSmall, "output_len"),
            new("conv2d output overlapping input", () => ConvCall(c, y: X + 10), NativeStatus.InvalidArgument, "overlap"),
            new("dwconv2d out_c != in_c", () => ConvCall(c, dw: true), NativeStatus.InvalidArgument, "out_c"),
            new("dwconv2d NULL weights", () => ConvCall(c with { OutC = 3 }, w: Null, dw: true), NativeStatus.NullPointer, "weights"),
            new("dwconv2d weights_len short", () => ConvCall(c with { OutC = 3 }, wl: 26, dw: true), NativeStatus.BufferTooSmall, "weights_len"),
            new("pwconv zero pixels", () => NativeMethods.mna_f32_pwconv(0, 3, 4, X, Cap, W, Cap, null, 0, 0, Y, Cap, 0), NativeStatus.InvalidArgument, "pixels"),
            new("pwconv NULL input", () => NativeMethods.mna_f32_pwconv(10, 3, 4, null, Cap, W, Cap, null, 0, 0, Y, Cap, 0), NativeStatus.NullPointer, "input"),
            new("pwconv output_len short", () => NativeMethods.mna_f32_pwconv(10, 3, 4, X, Cap, W, Cap, null, 0, 0, Y, 39, 0), NativeStatus.BufferTooSmall, "output_len"),
            new("pwconv unknown activation", () => NativeMethods.mna_f32_pwconv(10, 3, 4, X, Cap, W, Cap, null, 0, -1, Y, Cap, 0), NativeStatus.InvalidArgument, "activation"),
            new("irb NULL expand_w with hidden_c > 0", () => IrbCall(ip, ew: Null), NativeStatus.NullPointer, "expand_w"),
            new("irb expand_w_len short", () => IrbCall(ip, ewl: 17), NativeStatus.BufferTooSmall, "expand_w_len"),
            new("irb dw_w_len short", () => IrbCall(ip, dwl: 53), NativeStatus.BufferTooSmall, "dw_w_len"),
            new("irb project_w_len short", () => IrbCall(ip, pwl: 17), NativeStatus.BufferTooSmall, "project_w_len"),
            new("irb output_len short", () => IrbCall(ip, yl: 47), NativeStatus.BufferTooSmall, "output_len"),
            new("irb residual with stride 2", () => IrbCall(ip with { Stride = 2 }), NativeStatus.InvalidArgument, "residual"),
            new("irb stride 3", () => IrbCall(ip with { Stride = 3, Residual = 0 }), NativeStatus.InvalidArgument, "stride"),
            new("irb residual flag 2", () => IrbCall(ip with { Residual = 2 }), NativeStatus.InvalidArgument, "residual"),
            new("irb negative hidden_c", () => IrbCall(ip with { HiddenC = -6 }), NativeStatus.InvalidArgument, "hidden_c"),
            new("avgpool2d NULL input", () => { var p = Conv() with { OutC = 3 }; return NativeMethods.mna_f32_avgpool2d(&p, null, Cap, Y, Cap, 0); },
                NativeStatus.NullPointer, "input"),
            new("avgpool2d out_c != in_c", () => { var p = Conv(); return NativeMethods.mna_f32_avgpool2d(&p, X, Cap, Y, Cap, 0); },
                NativeStatus.InvalidArgument, "out_c"),
            new("global_avgpool zero c", () => NativeMethods.mna_f32_global_avgpool(1, 2, 2, 0, X, Cap, Y, Cap, 0), NativeStatus.InvalidArgument, "c"),
            new("global_avgpool input_len short", () => NativeMethods.mna_f32_global_avgpool(2, 3, 3, 5, X, 89, Y, Cap, 0), NativeStatus.BufferTooSmall, "input_len"),
            new("fully_connected NULL weights", () => NativeMethods.mna_f32_fully_connected(1, 8, 4, X, Cap, null, Cap, null, 0, 0, Y, Cap, 0), NativeStatus.NullPointer, "weights"),
            new("fully_connected weights_len short", () => NativeMethods.mna_f32_fully_connected(1, 8, 4, X, Cap, W, 31, null, 0, 0, Y, Cap, 0), NativeStatus.BufferTooSmall, "weights_len"),
            new("fully_connected negative out_n", () => NativeMethods.mna_f32_fully_connected(1, 8, -4, X, Cap, W, Cap, null, 0, 0, Y, Cap, 0), NativeStatus.InvalidArgument, "out_n"),
            new("softmax NaN beta", () => NativeMethods.mna_f32_softmax(1, 8, float.NaN, X, Cap, Y, Cap), NativeStatus.InvalidArgument, "beta"),
            new("softmax zero n", () => NativeMethods.mna_f32_softmax(1, 0, 1f, X, Cap, Y, Cap), NativeStatus.InvalidArgument, "n"),
            new("softmax partially overlapping in-place", () => NativeMethods.mna_f32_softmax(1, 8, 1f, Y, Cap, Y + 1, Cap - 1), NativeStatus.InvalidArgument, "overlap"),
            new("add NULL b", () => NativeMethods.mna_f32_add(8, X, Cap, null, Cap, 0, Y, Cap), NativeStatus.NullPointer, "b"),
            new("add a_len short", () => NativeMethods.mna_f32_add(8, X, 7, Z, Cap, 0, Y, Cap), NativeStatus.BufferTooSmall, "a_len"),
            new("add negative count", () => NativeMethods.mna_f32_add(-8, X, Cap, Z, Cap, 0, Y, Cap), NativeStatus.InvalidArgument, "count"),
            new("activation unknown activation", () => NativeMethods.mna_f32_activation(8, 9, X, Cap, Y, Cap), NativeStatus.InvalidArgument, "activation"),
            new("activation count overflow", () => NativeMethods.mna_f32_activation(long.MaxValue, 0, X, Cap, Y, Cap), NativeStatus.InvalidArgument, "count"),
            new("pad2d negative pad_top", () => NativeMethods.mna_f32_pad2d(1, 2, 2, 3, -1, 0, 0, 0, 0f, X, Cap, Y, Cap), NativeStatus.InvalidArgument, "pad_top"),
            new("pad2d output_len short", () => NativeMethods.mna_f32_pad2d(1, 2, 2, 3, 1, 1, 1, 1, 0f, X, Cap, Y, 47), NativeStatus.BufferTooSmall, "output_len"),
            new("conv2d_output_shape NULL out_h", () => { var p = Conv(); int w; return NativeMethods.mna_conv2d_output_shape(&p, null, &w); },
                NativeStatus.NullPointer, "out_h"),
            new("irb_output_shape residual stride 2", () => { var p = Irb() with { Stride = 2 }; int h, w; return NativeMethods.mna_irb_output_shape(&p, &h, &w); },
                NativeStatus.InvalidArgument, "residual"),
            new("cpu_features NULL", () => NativeMethods.mna_cpu_features(null), NativeStatus.NullPointer, "features"),
            new("select_isa unknown value", () => NativeMethods.mna_select_isa((KernelIsa)99), NativeStatus.InvalidArgument, "isa"),
            new("threadpool_create 0 threads", () => { nint h; return NativeMethods.mna_threadpool_create(0, &h); }, NativeStatus.InvalidArgument, "threads"),
            new("threadpool_create NULL out", () => NativeMethods.mna_threadpool_create(1, null), NativeStatus.NullPointer, "pool"),
        };
        return calls.Select(c => new TestCaseData(c).SetArgDisplayNames(c.Name));
    }

    [TestCaseSource(nameof(Calls))]
    public void NativeRejects(NativeCall call)
    {
        for (int i = 0; i < Cap; i++)
            Y[i] = Mark;
        NativeStatus status = call.Call();
        string message = NativeError.LastMessage();
        Assert.That(status, Is.EqualTo(call.Expected), $"{call.Name}: status (message: \"{message}\")");
        Assert.That(message, Is.Not.Empty, $"{call.Name}: empty last-error message");
        Assert.That(message, Does.Contain(call.Fragment), $"{call.Name}: message should name {call.Fragment}");
        for (int i = 0; i < Cap; i++)
            if (Y[i] != Mark)
                Assert.Fail($"{call.Name}: a rejected call wrote to the output (element {i})");
    }

    /// <summary>The same calls with the defect removed succeed: the cases above fail for the stated reason only.</summary>
    [Test]
    public void ValidRawCallsSucceed()
    {
        Assert.That(ConvCall(Conv()), Is.EqualTo(NativeStatus.Ok), NativeError.LastMessage());
        Assert.That(ConvCall(Conv(), b: Null, bl: 0), Is.EqualTo(NativeStatus.Ok), "NULL bias means no bias: " + NativeError.LastMessage());
        Assert.That(ConvCall(Conv() with { OutC = 3 }, wl: 27, dw: true), Is.EqualTo(NativeStatus.Ok), NativeError.LastMessage());
        Assert.That(IrbCall(Irb()), Is.EqualTo(NativeStatus.Ok), NativeError.LastMessage());
        Assert.That(IrbCall(Irb() with { HiddenC = 0 }, ew: Null, ewl: 0, dwl: 27, pwl: 9), Is.EqualTo(NativeStatus.Ok),
            "no expand layer: expand_w may be NULL: " + NativeError.LastMessage());
        Assert.That(NativeMethods.mna_f32_softmax(1, 8, 1f, Y, 8, Y, 8), Is.EqualTo(NativeStatus.Ok), "exact in-place softmax: " + NativeError.LastMessage());
        Assert.That(NativeMethods.mna_f32_add(8, Y, 8, Z, 8, 1, Y, 8), Is.EqualTo(NativeStatus.Ok), "exact in-place add: " + NativeError.LastMessage());
        Assert.That(NativeMethods.mna_threadpool_destroy(0), Is.EqualTo(NativeStatus.Ok), "destroying NULL is fine");
        Assert.That(NativeMethods.mna_threadpool_threads(0), Is.EqualTo(1), "a NULL pool is the calling thread");
        Conv2DParams p = Conv() with { StrideH = 2, PadBottom = 0 };
        int oh, ow;
        Assert.That(NativeMethods.mna_conv2d_output_shape(&p, &oh, &ow), Is.EqualTo(NativeStatus.Ok));
        Assert.That((oh, ow), Is.EqualTo(((5 + 1 + 0 - 3) / 2 + 1, (6 + 2 - 3) / 1 + 1)));
    }

    /// <summary>The last-error message is per thread: a failure on another thread does not change this thread's message.</summary>
    [Test]
    public void LastErrorIsThreadLocal()
    {
        Assert.That(NativeMethods.mna_f32_softmax(1, 0, 1f, X, Cap, Y, Cap), Is.EqualTo(NativeStatus.InvalidArgument));
        string mine = NativeError.LastMessage();
        string? theirs = null;
        var t = new Thread(() =>
        {
            NativeMethods.mna_f32_add(8, X, 1, Z, Cap, 0, Y, Cap);
            theirs = NativeError.LastMessage();
        });
        t.Start();
        t.Join();
        Assert.That(theirs, Does.Contain("a_len"));
        Assert.That(NativeError.LastMessage(), Is.EqualTo(mine));
    }

    /// <summary>Native rejections the managed checks do not anticipate (overlapping buffers) still surface as ArgumentException
    /// carrying the native status and message.</summary>
    [Test]
    public void ManagedCallWithOverlappingBuffersGetsTheNativeMessage()
    {
        float[] buffer = new float[200];
        var e = Assert.Throws<ArgumentException>(() =>
            NativeKernels.PointwiseConv(10, 3, 4, buffer.AsSpan(0, 30), new float[12], default, NativeActivation.None, buffer.AsSpan(20, 40)))!;
        Assert.That(e.Message, Does.Contain("overlap"));
        Assert.That(e.InnerException, Is.InstanceOf<NativeKernelException>()
            .With.Property(nameof(NativeKernelException.Status)).EqualTo(NativeStatus.InvalidArgument));
    }
}
