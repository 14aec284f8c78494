
namespace MobileNetAccel.Graph.Passes;

/// <summary>Rewrites Clip(0, 6) as ReLU6 and Clip(0, +inf) as ReLU (ONNX exports express both as Clip), so that
/// activation fusion can fold them into their producer. Other clips are left alone.</summary>
internal sealed class ClipToReluPass : IGraphPass
{
    public string Name => "clip-to-relu";

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        for (int i = 0; i < graph.Nodes.Count; i++)
        {
            if (graph.Nodes[i] is not ClipNode clip || clip.Min != 0f || clip.Input.DataType != DataType.Float32)
                continue;
            Activation? kind = clip.Max == 6f ? Activation.Relu6 : float.IsPositiveInfinity(clip.Max) ? Activation.Relu : null;
            if (kind is null)
                continue;
            graph.Nodes[i] = new ActivationNode(clip.Name, clip.Input, clip.Output, kind.Value);
            rewrites++;
        }
        if (rewrites > 0)
            graph.Validate();
        return rewrites;
    }
}
