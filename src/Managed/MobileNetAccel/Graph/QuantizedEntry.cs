namespace MobileNetAccel.Graph;

/// <summary>
/// A float graph input that the model quantizes on entry — an ONNX QDQ model's first QuantizeLinear, a TFLite
/// QUANTIZE — possibly after layout-only nodes (the importer's NCHW → NHWC transpose). A caller that already holds the
/// quantized bytes can feed them directly: <see cref="Apply"/> makes the quantized tensor the graph input (the layout
/// nodes then move bytes) and drops the Quantize node.
/// </summary>
internal static class QuantizedEntry
{
    /// <summary>The Quantize node <paramref name="input"/> reaches through single-use Transpose/Reshape nodes, with
    /// those nodes in order; null when the input is not quantized on entry.</summary>
    public static (List<Node> Layout, QuantizeNode Quantize)? Find(ModelGraph g, Value input)
    {
        ArgumentNullException.ThrowIfNull(g);
        if (input.DataType != DataType.Float32)
            return null;
        var layout = new List<Node>();
        var v = input;
        while (true)
        {
            if (g.IsOutput(v))
                return null;
            var users = g.Nodes.Where(n => n.Inputs.Any(i => ReferenceEquals(i, v))).ToList();
            if (users.Count != 1 || users[0].Inputs.Count(i => ReferenceEquals(i, v)) != 1)
                return null;
            switch (users[0])
            {
                case QuantizeNode q when q.Output.Quantization is { IsPerChannel: false } && q.Output.DataType is DataType.UInt8 or DataType.Int8:
                    return (layout, q);
                case TransposeNode or ReshapeNode when users[0].Output.DataType == DataType.Float32 && layout.Count < 4:
                    layout.Add(users[0]);
                    v = users[0].Output;
                    break;
                default:
                    return null;
            }
        }
    }

    /// <summary>The quantized tensor a float input becomes on entry (the input's name and shape, the Quantize node's
    /// type and parameters), or null.</summary>
    public static (DataType Type, QuantizationParameters Parameters)? Of(ModelGraph g, Value input) =>
        Find(g, input) is { } f ? Declared(f.Quantize) : null;

    /// <summary>The entry's type and parameters as the model file declares them (see <see cref="QuantizeNode.DeclaredType"/>).</summary>
    private static (DataType Type, QuantizationParameters Parameters) Declared(QuantizeNode q)
    {
        var v = q.Output;
        if (q.DeclaredType is not { } t || t == v.DataType)
            return (v.DataType, v.Quantization!);
        long shift = t == DataType.UInt8 ? 128 : -128;
        return (t, new QuantizationParameters(v.Quantization!.Scales, v.Quantization.ZeroPoints.Select(z => z + shift).ToArray(), v.Quantization.Axis));
    }

    /// <summary>Rewrites every input quantized on entry to take the quantized bytes; returns how many. Call
    /// <see cref="ModelGraph.Validate"/> afterwards.</summary>
    public static int Apply(ModelGraph g)
    {
        ArgumentNullException.ThrowIfNull(g);
        int rewritten = 0;
        for (int i = 0; i < g.Inputs.Count; i++)
        {
            var x = g.Inputs[i];
            if (Find(g, x) is not { } f)
                continue;
            var q = f.Quantize.Output;
            var (type, parameters) = Declared(f.Quantize);
            var xq = new Value(x.Name, (int[])x.Shape.Clone(), type, parameters);
            Value last = xq;
            foreach (var n in f.Layout)
            {
                n.Inputs[0] = last;
                n.Output.DataType = type;
                n.Output.Quantization = parameters;
                last = n.Output;
            }
            if (type == q.DataType)
            {
                g.Nodes.Remove(f.Quantize);
                g.ReplaceUses(q, last);
            }
            else
                f.Quantize.Inputs[0] = last; // the file's type in, the graph's type out: a requantizing copy
            g.Inputs[i] = xq;
            rewritten++;
        }
        return rewritten;
    }
}
