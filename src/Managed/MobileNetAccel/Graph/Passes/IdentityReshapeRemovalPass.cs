namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// Removes reshapes whose output shape equals their input shape. Readers of the output read the input instead; when the
/// output is a graph output, the input's producer writes the output value directly (so graph output names are kept).
/// A reshape from a graph input straight to a graph output is kept.
/// </summary>
internal sealed class IdentityReshapeRemovalPass : IGraphPass
{
    public string Name => "remove-identity-reshape";

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        foreach (var reshape in graph.Nodes.OfType<ReshapeNode>().ToList())
        {
            Value x = reshape.Input, y = reshape.Output;
            if (!x.Shape.AsSpan().SequenceEqual(y.Shape) || x.DataType != y.DataType)
                continue;
            if (graph.IsOutput(y))
            {
                var producer = x.Producer;
                if (producer is null || graph.IsOutput(x) || !graph.Nodes.Contains(producer))
                    continue;
                producer.Outputs[producer.Outputs.IndexOf(x)] = y;
                graph.Nodes.Remove(reshape);
                graph.ReplaceUses(x, y);
            }
            else
            {
                graph.Nodes.Remove(reshape);
                graph.ReplaceUses(y, x);
            }
            rewrites++;
        }
        if (rewrites > 0)
            graph.Validate();
        return rewrites;
    }
}
