namespace MobileNetAccel.Graph;

/// <summary>
/// A quantized (uint8/int8) inverted-residual block: optional 1x1 expand → 3x3 depthwise → 1x1 project → optional
/// residual add of the block input, made by <see cref="Passes.QuantizedInvertedResidualFusionPass"/>. The fused nodes
/// are kept (<see cref="Expand"/>, <see cref="Depthwise"/>, <see cref="Project"/>, <see cref="Add"/>) with their
/// quantized intermediate values, so a backend reads every layer's attributes and quantization from them; the
/// intermediates are not graph values (nothing stores them). Inputs: [block input, expand W, expand B, depthwise W,
/// depthwise B, project W, project B]; output: the add's (or the project's) output.
/// </summary>
public sealed class QuantizedInvertedResidualNode : Node
{
    public QuantizedInvertedResidualNode(string name, Conv2DNode? expand, DepthwiseConv2DNode depthwise, Conv2DNode project,
        AddNode? add, Value input, Value output)
        : base(name, new[] { input, expand?.Weights, expand?.Bias, depthwise.Weights, depthwise.Bias, project.Weights, project.Bias },
            new[] { output })
    {
        Expand = expand;
        Depthwise = depthwise;
        Project = project;
        Add = add;
    }

    public override OpType Op => OpType.QuantizedInvertedResidual;
    public Conv2DNode? Expand { get; }
    public DepthwiseConv2DNode Depthwise { get; }
    public Conv2DNode Project { get; }
    public AddNode? Add { get; }

    public override long Macs => (Expand?.Macs ?? 0) + Depthwise.Macs + Project.Macs;
    public override long Parameters => (Expand?.Parameters ?? 0) + Depthwise.Parameters + Project.Parameters;

    public override void InferShapes()
    {
        Expand?.InferShapes();
        Depthwise.InferShapes();
        Project.InferShapes();
        Add?.InferShapes();
        var inner = (Add ?? (Node)Project).Output;
        if (!inner.Shape.AsSpan().SequenceEqual(Output.Shape))
            throw Error($"output '{Output.Name}' has shape {Value.FormatShape(Output.Shape)}; the block computes {Value.FormatShape(inner.Shape)}");
    }
}
