namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// Fuses quantized 1x1 expand → 3x3 depthwise (stride 1 or 2) → 1x1 project (→ Add of the block input) chains into one
/// <see cref="QuantizedInvertedResidualNode"/>, so that the integer path runs the block row by row and the expanded
/// tensor never goes to memory. Every layer must be per-tensor quantized uint8 or int8 (one type throughout) with
/// constant quantized weights (per-channel only symmetric) and an int32 bias; each intermediate must have the next
/// layer as its only consumer. Float blocks are <see cref="InvertedResidualFusionPass"/>'s.
/// </summary>
internal sealed class QuantizedInvertedResidualFusionPass : IGraphPass
{
    public string Name => "fuse-quantized-inverted-residual";

    private static bool Activation4D(Value v, DataType t) =>
        v.DataType == t && v.Rank == 4 && v.Quantization is { IsPerChannel: false };

    private static bool Weights(Value? w, Value? b, DataType t, int channels) =>
        w is { IsConstant: true } && w.DataType == t && w.Quantization is { } q
        && (!q.IsPerChannel || (q.Scales.Length == channels && q.ZeroPoints.All(z => z == 0)))
        && (b is null || (b.IsConstant && b.DataType == DataType.Int32));

    private static bool Pointwise(Conv2DNode c, DataType t) =>
        c.IsPointwise
        && Activation4D(c.Input, t) && Activation4D(c.Output, t) && Weights(c.Weights, c.Bias, t, c.Weights.Shape[0]);

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        foreach (var dw in graph.Nodes.OfType<DepthwiseConv2DNode>().ToList())
        {
            var t = dw.Input.DataType;
            if (!graph.Nodes.Contains(dw) || t is not (DataType.UInt8 or DataType.Int8))
                continue;
            if (dw.KernelH != 3 || dw.KernelW != 3 || dw.IsDilated || dw.StrideH != dw.StrideW || dw.StrideH is not (1 or 2)
                || !Activation4D(dw.Input, t) || !Activation4D(dw.Output, t) || !Weights(dw.Weights, dw.Bias, t, dw.Weights.Shape[3]))
                continue;
            if (GraphOptimizer.SingleConsumer(graph, dw.Output) is not Conv2DNode project || !Pointwise(project, t))
                continue;
            Conv2DNode? expand = dw.Input.Producer as Conv2DNode;
            if (expand is not null && (!graph.Nodes.Contains(expand) || !Pointwise(expand, t)
                || !ReferenceEquals(GraphOptimizer.SingleConsumer(graph, expand.Output), dw)))
                expand = null;
            Value blockInput = expand?.Input ?? dw.Input;

            AddNode? add = null;
            if (dw.StrideH == 1 && GraphOptimizer.SingleConsumer(graph, project.Output) is AddNode a && a.Inputs.Count == 2
                && Activation4D(a.Output, t) && a.Inputs[0] is { } a0 && a.Inputs[1] is { } a1)
            {
                var other = ReferenceEquals(a0, project.Output) ? a1 : a0;
                if (ReferenceEquals(other, blockInput) && !ReferenceEquals(a0, a1) && Activation4D(blockInput, t)
                    && blockInput.Shape.AsSpan().SequenceEqual(project.Output.Shape)
                    && a.Output.Shape.AsSpan().SequenceEqual(project.Output.Shape))
                    add = a;
            }
            Value output = add?.Output ?? project.Output;
            var node = new QuantizedInvertedResidualNode(BlockName(expand, dw, project), expand, dw, project, add, blockInput, output);
            int at = graph.Nodes.IndexOf(expand ?? (Node)dw);
            graph.Nodes.Remove(dw);
            graph.Nodes.Remove(project);
            if (expand is not null)
                graph.Nodes.Remove(expand);
            if (add is not null)
                graph.Nodes.Remove(add);
            graph.Nodes.Insert(Math.Min(at, graph.Nodes.Count), node);
            rewrites++;
        }
        if (rewrites > 0)
            graph.Validate();
        return rewrites;
    }

    private static string BlockName(Node? expand, Node dw, Node project)
    {
        const string suffix = "/depthwise";
        if (dw.Name.EndsWith(suffix, StringComparison.Ordinal) && dw.Name.Length > suffix.Length)
            return dw.Name[..^suffix.Length];
        return expand is null ? $"{dw.Name}+{project.Name}" : $"{expand.Name}+{dw.Name}+{project.Name}";
    }
}
