namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// A graph rewrite. A pass takes a validated graph (shapes inferred, <see cref="Value.Producer"/> links set), rewrites
/// it in place without changing its results beyond float rounding, and leaves it validated again.
/// Passes never mutate constant data in place (clones share it); they create new constants instead.
/// </summary>
internal interface IGraphPass
{
    /// <summary>Short name, e.g. "fold-batch-norm".</summary>
    string Name { get; }

    /// <summary>Rewrites the graph; returns the number of rewrites made (0 = unchanged).</summary>
    int Run(ModelGraph graph);
}

/// <summary>Runs the standard pass pipeline.</summary>
internal static class GraphOptimizer
{
    /// <summary>The default pipeline, in order: Clip→ReLU, batch-norm folding, activation fusion, identity-reshape
    /// removal, inverted-residual fusion (float, then quantized), dead-node removal.</summary>
    public static IReadOnlyList<IGraphPass> DefaultPasses { get; } = new IGraphPass[]
    {
        new ClipToReluPass(),
        new BatchNormFoldingPass(),
        new ActivationFusionPass(),
        new IdentityReshapeRemovalPass(),
        new InvertedResidualFusionPass(),
        new QuantizedInvertedResidualFusionPass(),
        new DeadNodeRemovalPass(),
    };

    /// <summary>Validates the graph, then runs <paramref name="passes"/> (default: <see cref="DefaultPasses"/>) in order.
    /// Returns the rewrites per pass.</summary>
    public static IReadOnlyList<(string Pass, int Rewrites)> Optimize(ModelGraph graph, IEnumerable<IGraphPass>? passes = null)
    {
        ArgumentNullException.ThrowIfNull(graph);
        graph.Validate();
        var log = new List<(string, int)>();
        foreach (var pass in passes ?? DefaultPasses)
            log.Add((pass.Name, pass.Run(graph)));
        return log;
    }

    /// <summary>The only consumer of <paramref name="value"/>, or null when it has none, several, or is a graph output.</summary>
    internal static Node? SingleConsumer(ModelGraph graph, Value value)
    {
        if (graph.IsOutput(value))
            return null;
        Node? only = null;
        foreach (var n in graph.Nodes)
            foreach (var i in n.Inputs)
                if (ReferenceEquals(i, value))
                {
                    if (only is not null)
                        return null; // a second reader (or the same node reading it twice)
                    only = n;
                }
        return only;
    }
}
