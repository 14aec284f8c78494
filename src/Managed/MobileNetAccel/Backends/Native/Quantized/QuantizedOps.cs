using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>Creates the quantized step of one node (called once, at compile time), for the partition's pool.</summary>
internal delegate QuantizedStep QuantizedStepFactory(NativeThreadPool? pool);

/// <summary>
/// The op list of the integer path: one line per node type whose inputs/outputs are uint8/int8. Returns null (with the
/// reason) for a node it cannot run, e.g. a float node.
/// </summary>
internal static class QuantizedOps
{
    public static QuantizedStepFactory? Plan(Node node, out string reason) => node switch
    {
        Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode => QConvStep.Plan(node, out reason),
        AddNode n => QAddStep.Plan(n, out reason),
        AveragePool2DNode n when Q.SameQuantization(n.Input, n.Output) => QAveragePoolStep.Plan(n, out reason),
        AveragePool2DNode n => QRequantizingAveragePoolStep.Plan(n, out reason),
        GlobalAveragePoolNode n => QGlobalAveragePoolStep.Plan(n, out reason),
        SoftmaxNode n => QSoftmaxStep.Plan(n, out reason),
        ReshapeNode n => QCopyStep.Plan(n, out reason),
        TransposeNode n => QTransposeStep.Plan(n, out reason),
        PadNode n => QPadStep.Plan(n, out reason),
        ActivationNode n => QRequantizeStep.Plan(n, n.Kind, out reason),
        QuantizeNode n => QuantizeStep.Plan(n, out reason),
        QuantizedInvertedResidualNode n => QBlockStep.Plan(n, out reason),
        DequantizeNode n => DequantizeStep.Plan(n, out reason),
        ResizeBilinearNode n => QResizeBilinearStep.Plan(n, out reason),
        ConcatNode n => QConcatStep.Plan(n, out reason),
        ArgMaxNode n => QArgMaxStep.Plan(n, out reason),
        LogisticNode n => QLogisticStep.Plan(n, out reason),
        DetectionPostProcessNode n => QDetectionPostProcessStep.Plan(n, out reason),
        _ => Unsupported(node, out reason),
    };

    private static QuantizedStepFactory? Unsupported(Node node, out string reason)
    {
        reason = $"no quantized kernel for {node.Op}";
        return null;
    }
}
