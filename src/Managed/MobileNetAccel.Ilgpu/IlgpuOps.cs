using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Ops;

namespace MobileNetAccel.Ilgpu;

/// <summary>
/// THE op list of the ILGPU backend: one line per node type. To add an op, write an <see cref="IlgpuOp"/> in Ops/
/// with a static <c>Plan(node, out reason)</c> that returns the entry (or null with the reason the backend cannot run
/// the node) and add its line to the switch below. <see cref="IlgpuBackend.Supports"/> is <c>Plan(..) is not null</c>
/// and <see cref="IlgpuCompiledPartition"/> packs and emits through the same entries.
/// </summary>
internal static class IlgpuOps
{
    public static IlgpuOp? Plan(Node node, out string reason)
    {
        if (node is DequantizeNode dq)
            return DequantizeOp.Plan(dq, out reason);
        if (node is ArgMaxNode am)
            return ArgMaxOp.Plan(am, out reason); // float32 in, int64/int32 indices out
        if (!Float32(node, out reason))
            return null;
        return node switch
        {
            Conv2DNode n => Conv2DOp.Plan(n, out reason),
            DepthwiseConv2DNode n => DepthwiseConv2DOp.Plan(n, out reason),
            FullyConnectedNode n => FullyConnectedOp.Plan(n, out reason),
            InvertedResidualNode n => InvertedResidualOp.Plan(n, out reason),
            GlobalAveragePoolNode n => GlobalAveragePoolOp.Plan(n, out reason),
            AveragePool2DNode n => AveragePool2DOp.Plan(n, out reason),
            SoftmaxNode n => SoftmaxOp.Plan(n, out reason),
            AddNode n => AddOp.Plan(n, out reason),
            ActivationNode n => ActivationOp.Plan(n, out reason),
            ClipNode n => ClipOp.Plan(n, out reason),
            BatchNormNode n => BatchNormOp.Plan(n, out reason),
            ReshapeNode n => ReshapeOp.Plan(n, out reason),
            TransposeNode n => TransposeOp.Plan(n, out reason),
            PadNode n => PadOp.Plan(n, out reason),
            ConcatNode n => ConcatOp.Plan(n, out reason),
            ResizeBilinearNode n => ResizeBilinearOp.Plan(n, out reason),
            LogisticNode n => LogisticOp.Plan(n, out reason),
            MulNode n => MulOp.Plan(n, out reason),
            _ => Unsupported(node, out reason),
        };
    }

    private static IlgpuOp? Unsupported(Node node, out string reason)
    {
        reason = $"the ILGPU backend has no kernel for {node.Op}";
        return null;
    }

    /// <summary>True when every input and output is float32 and every output is indexable with 32-bit integers.</summary>
    private static bool Float32(Node node, out string reason)
    {
        foreach (var v in node.Inputs.Concat(node.Outputs))
            if (v is not null && v.DataType != DataType.Float32)
            {
                reason = $"ILGPU kernels are float32 only; '{v.Name}' is {v.DataType}";
                return false;
            }
        foreach (var v in node.Outputs)
            if (v.Shape.Length > 0 && v.ElementCount >= int.MaxValue)
            {
                reason = $"'{v.Name}' has {v.ElementCount} elements; ILGPU kernels index with 32-bit integers";
                return false;
            }
        reason = "";
        return true;
    }
}
