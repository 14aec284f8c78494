using System.Runtime.InteropServices;

namespace MobileNetAccel.Graph;

/// <summary>
/// Turns a quantized graph into a float32 one that computes the same function on dequantized values — the "float"
/// way of running a quantized model: weights are dequantized once (real = scale·(q − zero point), per channel where
/// the weights are), int32 biases become bias·scale (the bias tensor's own scale, else input·weight scale), every
/// run-time tensor becomes float32. A quantized graph input keeps its type and is followed by a
/// <see cref="DequantizeNode"/> (callers feed the model's own bytes); graph outputs become float32 (the real values,
/// e.g. probabilities at full precision) unless <c>quantizeOutputs</c> asks for a final <see cref="QuantizeNode"/> back
/// to the model's own type. Quantize/dequantize nodes inside the graph become identities.
/// </summary>
internal static class QuantizedGraphConverter
{
    /// <summary>True when any tensor of the graph is uint8/int8.</summary>
    public static bool IsQuantized(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        return graph.Values().Any(v => v.DataType is DataType.UInt8 or DataType.Int8);
    }

    /// <summary>A new float graph (the source is not modified). Call <see cref="ModelGraph.Validate"/> on it.</summary>
    public static ModelGraph ToFloat(ModelGraph source, bool quantizeOutputs = false)
    {
        ArgumentNullException.ThrowIfNull(source);
        var g = new ModelGraph(source.Name);
        var map = new Dictionary<Value, Value>(ReferenceEqualityComparer.Instance);
        var prologue = new List<Node>();

        // Graph inputs keep their type; quantized ones are dequantized first.
        foreach (var x in source.Inputs)
        {
            var io = new Value(x.Name, (int[])x.Shape.Clone(), x.DataType, x.Quantization);
            g.Inputs.Add(io);
            if (IsQ(x))
            {
                var f = new Value(x.Name + "/dequantized", (int[])x.Shape.Clone());
                prologue.Add(new DequantizeNode(x.Name + "/dequantize", io, f));
                map[x] = f;
            }
            else
                map[x] = io;
        }

        // Biases of conv-like nodes: int32 → float with the accumulator scale.
        foreach (var n in source.Nodes)
            if (n is Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode && n.Inputs.Count > 2 && n.Inputs[2] is { IsConstant: true, DataType: DataType.Int32 } b
                && n.Inputs[1] is { Quantization: { } wq } && n.Input.Quantization is { } iq)
            {
                var q = b.AsInt32s();
                var f = new float[q.Length];
                for (int c = 0; c < f.Length; c++)
                {
                    float scale = b.Quantization is { } bq ? bq.Scales[bq.IsPerChannel ? c : 0] : iq.Scale * wq.Scales[wq.IsPerChannel ? c : 0];
                    f[c] = q[c] * scale;
                }
                map[b] = Value.Constant(b.Name, (int[])b.Shape.Clone(), f);
            }

        Value Map(Value v)
        {
            if (map.TryGetValue(v, out var m))
                return m;
            if (v.IsConstant && IsQ(v))
                m = Value.Constant(v.Name, (int[])v.Shape.Clone(), Dequantize(v));
            else if (v.IsConstant)
                m = v;
            else
                m = new Value(v.Name, (int[])v.Shape.Clone(), IsQ(v) ? DataType.Float32 : v.DataType, IsQ(v) ? null : v.Quantization);
            map[v] = m;
            return m;
        }

        g.Nodes.AddRange(prologue);
        foreach (var n in source.Nodes)
        {
            if (n is QuantizeNode or DequantizeNode)
            {
                var o = Map(n.Output);
                g.Nodes.Add(new ReshapeNode(n.Name, Map(n.Input), o, (int[])n.Output.Shape.Clone()));
                continue;
            }
            var copy = n.CloneWith(Map);
            // An implicit ReLU6 (TOCO's quantization-aware convolutions: fused NONE, output range [0, ~6], so the
            // integer kernels clamp there) becomes an explicit one in float.
            if (IsImplicitRelu6(n.Output) && copy is WindowNode { Activation: Activation.None } w)
                w.Activation = Activation.Relu6;
            else if (IsImplicitRelu6(n.Output) && copy is FullyConnectedNode { Activation: Activation.None } fc)
                fc.Activation = Activation.Relu6;
            g.Nodes.Add(copy);
        }

        // Graph outputs keep their type; quantized ones are quantized at the end.
        foreach (var y in source.Outputs)
        {
            var f = Map(y);
            if (IsQ(y) && quantizeOutputs)
            {
                var io = new Value(y.Name, (int[])y.Shape.Clone(), y.DataType, y.Quantization);
                f.Name = y.Name + "/float";
                g.Nodes.Add(new QuantizeNode(y.Name + "/quantize", f, io));
                g.Outputs.Add(io);
            }
            else
                g.Outputs.Add(f);
        }
        return g;
    }

    private static bool IsQ(Value v) => v.DataType is DataType.UInt8 or DataType.Int8;

    /// <summary>A per-tensor quantized value whose representable range is [0, 6] to within 0.1% (e.g. scale
    /// 0.0235285 = 5.99977/255, zero point 0: the SSD MobileNet V1 backbone's).</summary>
    private static bool IsImplicitRelu6(Value v)
    {
        if (!IsQ(v) || v.Quantization is not { IsPerChannel: false } q)
            return false;
        int qmin = v.DataType == DataType.Int8 ? -128 : 0, qmax = v.DataType == DataType.Int8 ? 127 : 255;
        double lo = q.Scale * (double)(qmin - q.ZeroPoint), hi = q.Scale * (double)(qmax - q.ZeroPoint);
        return lo == 0 && Math.Abs(hi - 6) < 6e-3;
    }

    /// <summary>real = scale·(q − zero point), per channel along the quantization axis when there are several scales.</summary>
    public static float[] Dequantize(Value v)
    {
        ArgumentNullException.ThrowIfNull(v);
        var q = v.Quantization ?? throw new ArgumentException($"'{v.Name}' has no quantization parameters", nameof(v));
        var data = v.Data ?? throw new ArgumentException($"'{v.Name}' is not a constant", nameof(v));
        var f = new float[data.Length];
        int axis = q.IsPerChannel ? q.Axis : -1;
        long inner = 1;
        if (axis >= 0)
            for (int d = axis + 1; d < v.Rank; d++)
                inner *= v.Shape[d];
        int channels = q.Scales.Length;
        for (long i = 0; i < f.Length; i++)
        {
            int c = axis < 0 ? 0 : (int)(i / inner % channels);
            int raw = v.DataType == DataType.Int8 ? (sbyte)data[i] : data[i];
            f[i] = (raw - q.ZeroPoints[c]) * q.Scales[c];
        }
        return f;
    }
}
