
namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// Fuses MobileNetV2's inverted-residual pattern into one <see cref="InvertedResidualNode"/>:
/// [expand Conv2D 1x1 s1, no padding] → DepthwiseConv2D 3x3 (stride 1 or 2, equal in H and W) → project Conv2D 1x1 s1
/// [→ Add of the block input]. Every intermediate value must have its next node as single consumer (and not be a graph
/// output); all tensors float32, 4-D. Without a fusable expand conv in front, the block is fused with no expansion
/// (expansion factor 1: depthwise + project), which also covers MobileNetV1's depthwise-separable pairs.
/// The Add is fused only when it has no activation (the fused block adds the input after the project activation),
/// one operand is the block input and both shapes are equal. Run after batch-norm folding and activation fusion.
/// </summary>
internal sealed class InvertedResidualFusionPass : IGraphPass
{
    public string Name => "fuse-inverted-residual";

    private static bool IsFloat4D(Value v) => v.DataType == DataType.Float32 && v.Rank == 4;

    private static bool IsPointwise(Conv2DNode c) =>
        c.IsPointwise
        && c.Weights.IsConstant && c.Weights.DataType == DataType.Float32
        && (c.Bias is null || (c.Bias.IsConstant && c.Bias.DataType == DataType.Float32))
        && IsFloat4D(c.Input) && IsFloat4D(c.Output);

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        foreach (var dw in graph.Nodes.OfType<DepthwiseConv2DNode>().ToList())
        {
            if (!graph.Nodes.Contains(dw))
                continue;
            if (dw.KernelH != 3 || dw.KernelW != 3 || dw.IsDilated || dw.StrideH != dw.StrideW || dw.StrideH is not (1 or 2)
                || !IsFloat4D(dw.Input) || !IsFloat4D(dw.Output) || !dw.Weights.IsConstant || dw.Weights.DataType != DataType.Float32
                || (dw.Bias is not null && (!dw.Bias.IsConstant || dw.Bias.DataType != DataType.Float32)))
                continue;
            if (GraphOptimizer.SingleConsumer(graph, dw.Output) is not Conv2DNode project || !IsPointwise(project))
                continue;

            Conv2DNode? expand = dw.Input.Producer as Conv2DNode;
            if (expand is not null && (!graph.Nodes.Contains(expand) || !IsPointwise(expand)
                || !ReferenceEquals(GraphOptimizer.SingleConsumer(graph, expand.Output), dw)))
                expand = null;
            Value blockInput = expand?.Input ?? dw.Input;

            // Optional residual add: Add(project, blockInput) or Add(blockInput, project), no activation, equal shapes.
            AddNode? add = null;
            if (GraphOptimizer.SingleConsumer(graph, project.Output) is AddNode a && a.Activation == Activation.None
                && a.Inputs.Count == 2 && IsFloat4D(a.Output))
            {
                var other = ReferenceEquals(a.Inputs[0], project.Output) ? a.Inputs[1] : a.Inputs[0];
                if (ReferenceEquals(other, blockInput) && blockInput.Shape.AsSpan().SequenceEqual(project.Output.Shape)
                    && a.Output.Shape.AsSpan().SequenceEqual(project.Output.Shape) && dw.StrideH == 1)
                    add = a;
            }

            Value output = add?.Output ?? project.Output;
            var node = new InvertedResidualNode(
                BlockName(expand, dw, project),
                blockInput,
                expand is null ? null : Flatten(expand.Weights),
                expand?.Bias,
                dw.Weights,
                dw.Bias,
                Flatten(project.Weights),
                project.Bias,
                output)
            {
                Stride = dw.StrideH,
                Padding = dw.Padding,
                ExpandActivation = expand?.Activation ?? Activation.None,
                DepthwiseActivation = dw.Activation,
                ProjectActivation = project.Activation,
                Residual = add is not null,
            };
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

    /// <summary>[O,1,1,I] conv weights as the fused node's [O,I] (same data, new value).</summary>
    private static Value Flatten(Value w) =>
        new(w.Name, new[] { w.Shape[0], w.Shape[3] }, w.DataType, w.Quantization, w.Data);

    private static string BlockName(Node? expand, Node dw, Node project)
    {
        // TF-slim names: "MobilenetV2/expanded_conv_3/depthwise" → "MobilenetV2/expanded_conv_3".
        const string suffix = "/depthwise";
        if (dw.Name.EndsWith(suffix, StringComparison.Ordinal) && dw.Name.Length > suffix.Length)
            return dw.Name[..^suffix.Length];
        return expand is null ? $"{dw.Name}+{project.Name}" : $"{expand.Name}+{dw.Name}+{project.Name}";
    }
}
