using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// Real layer shapes of MobileNetV1/V2 at 224x224 (TensorFlow SAME padding), added to the kernel tables: the small
/// covering cases find indexing bugs, these exercise full-size rows, many threads' worth of work and long sums.
/// Ids from 1000 on (they seed the inputs).
/// </summary>
public static class MobileNet
{
    private static Window W(int n, int h, int w, int c, int outC, int k, int s, int pt, int pl, int pb, int pr) =>
        new(n, h, w, c, outC, k, k, s, s, pt, pl, pb, pr);

    public static readonly WindowCase[] Conv2D =
    [
        // First layer: 3x3 stride 2, 224x224x3 -> 112x112x32, SAME = pads (0,0,1,1).
        new(1000, W(1, 224, 224, 3, 32, 3, 2, 0, 0, 1, 1), Padding.SameUpper, Activation.Relu6, true, PoolKind.Two),
    ];

    public static readonly WindowCase[] Depthwise =
    [
        new(1001, W(1, 112, 112, 32, 32, 3, 1, 1, 1, 1, 1), Padding.Symmetric, Activation.Relu6, true, PoolKind.Two),
        new(1002, W(1, 112, 112, 64, 64, 3, 2, 0, 0, 1, 1), Padding.SameUpper, Activation.Relu6, true, PoolKind.One),
        new(1003, W(1, 7, 7, 1024, 1024, 3, 1, 1, 1, 1, 1), Padding.Symmetric, Activation.Relu6, true, PoolKind.None),
    ];

    public static readonly ConvolutionTests.PointwiseCase[] Pointwise =
    [
        new(1004, 3, 28 * 28, 32, 16, Activation.None, false, PoolKind.Two),
        new(1005, 1, 7 * 7, 1024, 1024, Activation.Relu6, true, PoolKind.Two),
    ];

    public static readonly IrbCase[] InvertedResidual =
    [
        // V2 block 1 (expansion 1: no expand layer): 112x112x32 -> 16.
        new(1006, 1, 112, 112, 32, 0, 16, 1, Padding.Symmetric, 1, 1, 1, 1, false, Activation.Relu6, Activation.Relu6, Activation.None, true, PoolKind.Two),
        // 56x56x24, hidden 144, residual.
        new(1007, 1, 56, 56, 24, 6, 24, 1, Padding.Symmetric, 1, 1, 1, 1, true, Activation.Relu6, Activation.Relu6, Activation.None, true, PoolKind.Two),
        // 28x28x32 -> stride 2 -> 14x14x64, SAME pads (0,0,1,1).
        new(1008, 1, 28, 28, 32, 6, 64, 2, Padding.SameUpper, 0, 0, 1, 1, false, Activation.Relu6, Activation.Relu6, Activation.None, true, PoolKind.One),
        // 7x7x160 -> hidden 960 -> 320 (the last block).
        new(1009, 1, 7, 7, 160, 6, 320, 1, Padding.Symmetric, 1, 1, 1, 1, false, Activation.Relu6, Activation.Relu6, Activation.None, true, PoolKind.Two),
    ];

    public static readonly WindowCase[] AvgPool =
    [
        // V1's final 7x7 average pool (VALID).
        new(1010, W(1, 7, 7, 1024, 1024, 7, 1, 0, 0, 0, 0), Padding.Zero, Activation.None, false, PoolKind.Two),
    ];

    public static readonly GlobalPoolCase[] GlobalPool = [new(1011, 3, 7, 7, 1280, PoolKind.Two)];

    public static readonly FcCase[] FullyConnected =
    [
        new(1012, 1, 1280, 1001, Activation.None, true, PoolKind.Two),
        new(1013, 3, 1024, 1001, Activation.None, true, PoolKind.One),
    ];

    public static readonly SoftmaxCase[] Softmax = [new(1014, 3, 1001, 1f, 16f, false)];

    public static IEnumerable<TestCaseData> Cases<T>(IEnumerable<T> cases) where T : notnull =>
        cases.Select(c => new TestCaseData(c).SetArgDisplayNames("MobileNet " + c).SetCategory("MobileNetShapes"));
}
