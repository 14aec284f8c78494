using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native;

/// <summary>The native backend's conversion of graph attributes to the C ABI's parameter structs (mna.h).</summary>
internal static class NativeParams
{
    public static NativeActivation ToNative(this Activation a) => a switch
    {
        Activation.None => NativeActivation.None,
        Activation.Relu => NativeActivation.Relu,
        Activation.Relu6 => NativeActivation.Relu6,
        _ => throw new ArgumentOutOfRangeException(nameof(a), a, "activation has no native equivalent"),
    };

    /// <summary>The window params of a convolution, depthwise convolution or pooling node, from its current shapes.</summary>
    public static Conv2DParams ToParams(this WindowNode n, int kernelH, int kernelW)
    {
        var x = n.Input.Shape;
        var p = n.Padding;
        return new Conv2DParams
        {
            Batch = x[0], InH = x[1], InW = x[2], InC = x[3], OutC = n.Output.Shape[3],
            KernelH = kernelH, KernelW = kernelW, StrideH = n.StrideH, StrideW = n.StrideW,
            PadTop = p.Top, PadLeft = p.Left, PadBottom = p.Bottom, PadRight = p.Right,
            Activation = n.Activation.ToNative(),
        };
    }

    public static Conv2DParams ToParams(this Conv2DNode n) => n.ToParams(n.KernelH, n.KernelW);

    public static Conv2DParams ToParams(this DepthwiseConv2DNode n) => n.ToParams(n.KernelH, n.KernelW);

    public static Conv2DParams ToParams(this AveragePool2DNode n) => n.ToParams(n.KernelH, n.KernelW);

    public static InvertedResidualParams ToParams(this InvertedResidualNode n)
    {
        var x = n.Input.Shape;
        var p = n.Padding;
        return new InvertedResidualParams
        {
            Batch = x[0], InH = x[1], InW = x[2], InC = x[3],
            HiddenC = n.ExpandWeights is null ? 0 : n.ExpandWeights.Shape[0],
            OutC = n.ProjectWeights.Shape[0], Stride = n.Stride,
            PadTop = p.Top, PadLeft = p.Left, PadBottom = p.Bottom, PadRight = p.Right,
            ExpandActivation = n.ExpandActivation.ToNative(),
            DepthwiseActivation = n.DepthwiseActivation.ToNative(),
            ProjectActivation = n.ProjectActivation.ToNative(),
            Residual = n.Residual ? 1 : 0,
        };
    }
}
