using MobileNetAccel.Backends.Reference.Ops;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Reference;

/// <summary>
/// THE op list of the managed reference backend: one line per node type. To add an op, write a step class in Ops/ with
/// a static <c>Plan(node, out reason)</c> returning a factory (or null with the reason) and add its line here.
/// </summary>
internal static class ReferenceOps
{
    public static ReferenceStepFactory? Plan(Node node, out string reason) => node switch
    {
        Conv2DNode n => RefConv2D.Plan(n, out reason),
        DepthwiseConv2DNode n => RefDepthwiseConv2D.Plan(n, out reason),
        InvertedResidualNode n => RefInvertedResidual.Plan(n, out reason),
        FullyConnectedNode n => RefFullyConnected.Plan(n, out reason),
        AddNode n => RefBinary.Plan(n, out reason),
        MulNode n => RefBinary.Plan(n, out reason),
        ActivationNode n => RefActivation.Plan(n, out reason),
        ClipNode n => RefActivation.Plan(n, out reason),
        BatchNormNode n => RefBatchNorm.Plan(n, out reason),
        AveragePool2DNode n => RefAveragePool2D.Plan(n, out reason),
        GlobalAveragePoolNode n => RefGlobalAveragePool.Plan(n, out reason),
        ReshapeNode n => RefReshape.Plan(n, out reason),
        SoftmaxNode n => RefSoftmax.Plan(n, out reason),
        PadNode n => RefPad.Plan(n, out reason),
        TransposeNode n => RefTranspose.Plan(n, out reason),
        ConcatNode n => RefConcat.Plan(n, out reason),
        MatMulNode n => RefMatMul.Plan(n, out reason),
        ResizeBilinearNode n => RefResizeBilinear.Plan(n, out reason),
        ArgMaxNode n => RefArgMax.Plan(n, out reason),
        QuantizeNode n => RefQuantize.Plan(n, out reason),
        DequantizeNode n => RefDequantize.Plan(n, out reason),
        LogisticNode n => RefLogistic.Plan(n, out reason),
        _ => Unsupported(node, out reason),
    };

    private static ReferenceStepFactory? Unsupported(Node node, out string reason)
    {
        reason = $"the managed reference backend has no {node.Op}";
        return null;
    }

    /// <summary>True when every run-time input/output is float32 and every other input a float32 constant.</summary>
    public static bool Float(Node node, out string reason)
    {
        foreach (var v in node.Inputs.Concat(node.Outputs))
            if (v is not null && v.DataType != DataType.Float32)
            {
                reason = $"'{v.Name}' is {v.DataType}; the reference backend handles float32 only";
                return false;
            }
        reason = "";
        return true;
    }

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
