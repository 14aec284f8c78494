
namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// Fuses a standalone ReLU / ReLU6 into the node producing its input (Conv2D, DepthwiseConv2D, FullyConnected, Add,
/// AveragePool2D) when that node has no activation yet and the activation is its output's single consumer.
/// The producer then writes the activation's output value directly.
/// </summary>
internal sealed class ActivationFusionPass : IGraphPass
{
    public string Name => "fuse-activation";

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        foreach (var act in graph.Nodes.OfType<ActivationNode>().ToList())
        {
            if (act.Kind == Activation.None || act.Input.DataType != DataType.Float32)
                continue;
            var producer = act.Input.Producer;
            if (producer is null || !graph.Nodes.Contains(producer) || producer.Outputs.Count != 1)
                continue;
            if (!ReferenceEquals(GraphOptimizer.SingleConsumer(graph, act.Input), act))
                continue;
            switch (producer)
            {
                case WindowNode w when w is Conv2DNode or DepthwiseConv2DNode or AveragePool2DNode && w.Activation == Activation.None:
                    w.Activation = act.Kind;
                    break;
                case FullyConnectedNode fc when fc.Activation == Activation.None:
                    fc.Activation = act.Kind;
                    break;
                case AddNode add when add.Activation == Activation.None:
                    add.Activation = act.Kind;
                    break;
                default:
                    continue;
            }
            producer.Outputs[0] = act.Output;
            graph.Nodes.Remove(act);
            rewrites++;
        }
        if (rewrites > 0)
            graph.Validate();
        return rewrites;
    }
}
