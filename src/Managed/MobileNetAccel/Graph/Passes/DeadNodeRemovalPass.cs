namespace MobileNetAccel.Graph.Passes;

/// <summary>Removes nodes none of whose outputs reach a graph output (the IR's ops have no side effects).</summary>
internal sealed class DeadNodeRemovalPass : IGraphPass
{
    public string Name => "remove-dead-nodes";

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        var live = new HashSet<Value>(graph.Outputs, ReferenceEqualityComparer.Instance);
        var keep = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        for (int i = graph.Nodes.Count - 1; i >= 0; i--) // nodes are in topological order
        {
            var n = graph.Nodes[i];
            if (!n.Outputs.Any(live.Contains))
                continue;
            keep.Add(n);
            foreach (var v in n.Inputs)
                if (v is not null)
                    live.Add(v);
        }
        int removed = graph.Nodes.RemoveAll(n => !keep.Contains(n));
        if (removed > 0)
            graph.Validate();
        return removed;
    }
}
