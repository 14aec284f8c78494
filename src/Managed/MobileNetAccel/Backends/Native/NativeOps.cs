using MobileNetAccel.Backends.Native.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native;

/// <summary>
/// THE op list of the native CPU backend: one line per node type. To add an op, write a step class in Ops/ with a
/// static <c>Plan(node, out reason)</c> that returns a factory (or null with the reason it cannot run the node) and
/// add its line to the switch below. For a new data type of an existing node (e.g. quantized Conv2D), add an arm with
/// a <c>when</c> guard above the float one.
/// </summary>
internal static class NativeOps
{
    public static NativeStepFactory? Plan(Node node, out string reason) => node switch
    {
        _ when Quantized.QuantizedNativeStep.Handles(node) => Quantized.QuantizedNativeStep.Plan(node, out reason),
        Conv2DNode n => Conv2DStep.Plan(n, out reason),
        DepthwiseConv2DNode n => DepthwiseConv2DStep.Plan(n, out reason),
        InvertedResidualNode n => InvertedResidualStep.Plan(n, out reason),
        FullyConnectedNode n => FullyConnectedStep.Plan(n, out reason),
        AddNode n => AddStep.Plan(n, out reason) ?? BroadcastBinaryStep.Plan(n, out reason),
        MulNode n => BroadcastBinaryStep.Plan(n, out reason),
        ActivationNode n => ActivationStep.Plan(n, out reason),
        ClipNode n => ActivationStep.Plan(n, out reason) ?? ClipStep.Plan(n, out reason),
        BatchNormNode n => BatchNormStep.Plan(n, out reason),
        AveragePool2DNode n => AveragePool2DStep.Plan(n, out reason),
        GlobalAveragePoolNode n => GlobalAveragePoolStep.Plan(n, out reason),
        ReshapeNode n => ReshapeStep.Plan(n, out reason),
        SoftmaxNode n => SoftmaxStep.Plan(n, out reason),
        PadNode n => PadStep.Plan(n, out reason),
        TransposeNode n => TransposeStep.Plan(n, out reason),
        ResizeBilinearNode n => ResizeBilinearStep.Plan(n, out reason),
        ConcatNode n => ConcatStep.Plan(n, out reason),
        ArgMaxNode n => ArgMaxStep.Plan(n, out reason),
        LogisticNode n => LogisticStep.Plan(n, out reason),
        DetectionPostProcessNode n => DetectionPostProcessStep.Plan(n, out reason),
        _ => Unsupported(node, out reason),
    };

    private static NativeStepFactory? Unsupported(Node node, out string reason)
    {
        reason = $"no native CPU kernel for {node.Op}";
        return null;
    }

    /// <summary>True when every input and output of the node is float32 (reason set otherwise).</summary>
    public static bool AllFloat(Node node, out string reason)
    {
        foreach (var v in node.Inputs.Concat(node.Outputs))
            if (v is not null && v.DataType != DataType.Float32)
            {
                reason = $"'{v.Name}' is {v.DataType}; this step handles float32 only";
                return false;
            }
        reason = "";
        return true;
    }

    /// <summary>True when the given inputs are absent or constant (reason set otherwise).</summary>
    public static bool Constants(out string reason, params Value?[] values)
    {
        foreach (var v in values)
            if (v is not null && !v.IsConstant)
            {
                reason = $"'{v.Name}' must be a constant";
                return false;
            }
        reason = "";
        return true;
    }
}
