namespace MobileNetAccel.Graph;

/// <summary>
/// A model graph: nodes in topological order, graph inputs and outputs. Formats produce one; passes rewrite it;
/// nothing downstream knows which file format it came from.
/// </summary>
public sealed class ModelGraph
{
    public ModelGraph(string name) => Name = name;

    public string Name { get; set; }
    public List<Node> Nodes { get; } = new();
    public List<Value> Inputs { get; } = new();
    public List<Value> Outputs { get; } = new();

    public T Add<T>(T node) where T : Node
    {
        Nodes.Add(node);
        return node;
    }

    /// <summary>Every distinct value referenced by the graph (inputs, constants, intermediates, outputs).</summary>
    public IEnumerable<Value> Values()
    {
        var seen = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        foreach (var v in Inputs)
            if (seen.Add(v)) yield return v;
        foreach (var n in Nodes)
        {
            foreach (var v in n.Inputs)
                if (v is not null && seen.Add(v)) yield return v;
            foreach (var v in n.Outputs)
                if (seen.Add(v)) yield return v;
        }
    }

    /// <summary>Nodes that read <paramref name="value"/>.</summary>
    public IEnumerable<Node> Consumers(Value value) => Nodes.Where(n => n.Inputs.Any(i => ReferenceEquals(i, value)));

    /// <summary>Sets <see cref="Value.Producer"/> links, checks every input is defined and there is no cycle,
    /// reorders nodes topologically and infers shapes. Throws <see cref="GraphException"/> naming the node.</summary>
    public void Validate()
    {
        var producer = new Dictionary<Value, Node>(ReferenceEqualityComparer.Instance);
        foreach (var n in Nodes)
            foreach (var o in n.Outputs)
            {
                if (producer.ContainsKey(o))
                    throw new GraphException($"value '{o.Name}' is produced by both '{producer[o].Name}' and '{n.Name}'");
                if (o.IsConstant)
                    throw n.Error($"output '{o.Name}' is a constant");
                producer[o] = n;
            }
        var inputs = new HashSet<Value>(Inputs, ReferenceEqualityComparer.Instance);
        foreach (var n in Nodes)
            foreach (var i in n.Inputs)
                if (i is not null && !i.IsConstant && !inputs.Contains(i) && !producer.ContainsKey(i))
                    throw n.Error($"input '{i.Name}' is neither a graph input, a constant nor produced by any node");
        foreach (var o in Outputs)
            if (!inputs.Contains(o) && !producer.ContainsKey(o))
                throw new GraphException($"graph output '{o.Name}' is not produced by any node");

        // Kahn's algorithm, stable with respect to the current order.
        var pending = new Dictionary<Node, int>(ReferenceEqualityComparer.Instance);
        foreach (var n in Nodes)
            pending[n] = n.Inputs.Count(i => i is not null && producer.ContainsKey(i));
        var ordered = new List<Node>(Nodes.Count);
        var ready = new Queue<Node>(Nodes.Where(n => pending[n] == 0));
        var consumers = new Dictionary<Value, List<Node>>(ReferenceEqualityComparer.Instance);
        foreach (var n in Nodes)
            foreach (var i in n.Inputs)
                if (i is not null)
                {
                    if (!consumers.TryGetValue(i, out var list))
                        consumers[i] = list = new List<Node>();
                    list.Add(n);
                }
        while (ready.Count > 0)
        {
            var n = ready.Dequeue();
            ordered.Add(n);
            foreach (var o in n.Outputs)
                if (consumers.TryGetValue(o, out var list))
                    foreach (var c in list)
                        if (--pending[c] == 0)
                            ready.Enqueue(c);
        }
        if (ordered.Count != Nodes.Count)
        {
            var stuck = Nodes.First(n => pending[n] > 0);
            throw stuck.Error("is part of a cycle");
        }
        Nodes.Clear();
        Nodes.AddRange(ordered);
        foreach (var v in Values())
            v.Producer = null;
        foreach (var (v, n) in producer)
            v.Producer = n;
        foreach (var n in Nodes)
            n.InferShapes();
    }

    /// <summary>A deep copy: new <see cref="Value"/>s and nodes (constant data arrays are shared, never mutated),
    /// so passes and batch changes on the copy leave this graph untouched. Call <see cref="Validate"/> on the copy.</summary>
    public ModelGraph Clone()
    {
        var map = new Dictionary<Value, Value>(ReferenceEqualityComparer.Instance);
        Value Map(Value v)
        {
            if (!map.TryGetValue(v, out var c))
            {
                c = new Value(v.Name, (int[])v.Shape.Clone(), v.DataType, v.Quantization, v.Data);
                map[v] = c;
            }
            return c;
        }
        var g = new ModelGraph(Name);
        g.Inputs.AddRange(Inputs.Select(Map));
        foreach (var n in Nodes)
            g.Nodes.Add(n.CloneWith(Map));
        g.Outputs.AddRange(Outputs.Select(Map));
        return g;
    }

    /// <summary>Replaces every use of <paramref name="from"/> as a node input or graph output with <paramref name="to"/>.</summary>
    public void ReplaceUses(Value from, Value to)
    {
        foreach (var n in Nodes)
            for (int i = 0; i < n.Inputs.Count; i++)
                if (ReferenceEquals(n.Inputs[i], from))
                    n.Inputs[i] = to;
        for (int i = 0; i < Outputs.Count; i++)
            if (ReferenceEquals(Outputs[i], from))
                Outputs[i] = to;
    }

    /// <summary>Whether <paramref name="value"/> is one of the graph's outputs.</summary>
    public bool IsOutput(Value value) => Outputs.Any(o => ReferenceEquals(o, value));

    /// <summary>Whether <paramref name="value"/> is one of the graph's inputs.</summary>
    public bool IsInput(Value value) => Inputs.Any(o => ReferenceEquals(o, value));

    public long TotalMacs => Nodes.Sum(n => n.Macs);
    public long TotalParameters => Nodes.Sum(n => n.Parameters);

    public override string ToString() => $"graph '{Name}': {Nodes.Count} nodes";
}
