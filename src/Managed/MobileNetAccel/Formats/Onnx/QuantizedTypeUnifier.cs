using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>
/// Gives an imported integer graph one activation type, as the integer kernels want: ONNX allows uint8 activations
/// with int8 weights (ORT's quantizer writes exactly that: uint8 activations, int8 per-channel weights), the kernels
/// take uint8 × uint8 (per-tensor) or int8 × int8 (per-channel, symmetric). Shifting a tensor and its zero point by
/// 128 changes no real value and no integer difference q − zero point, so the arithmetic — and every requantized
/// byte — is the same, only offset by 128:
/// <list type="bullet">
/// <item>any per-channel weights (or a mix of uint8 and int8 activations): every run-time activation becomes int8
/// (q − 128, zero point − 128) and per-tensor uint8 weights likewise;</item>
/// <item>otherwise the activations keep their type and int8 per-tensor weights become uint8 (w + 128, zero point + 128:
/// the same integers TFLite's uint8 models store).</item>
/// </list>
/// Graph inputs and outputs keep the file's types: a requantizing QuantizeNode converts at the boundary.
/// </summary>
internal static class QuantizedTypeUnifier
{
    public static void Run(ModelGraph g)
    {
        var runtime = g.Values().Where(v => !v.IsConstant && IsQ(v.DataType)).ToList();
        if (runtime.Count == 0)
            return;
        var layers = g.Nodes.Where(n => n is Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode && IsQ(n.Input.DataType)
            && n.Inputs[1] is { IsConstant: true } w && IsQ(w.DataType)).ToList();
        bool perChannel = layers.Any(n => n.Inputs[1]!.Quantization!.IsPerChannel);
        bool mixed = runtime.Select(v => v.DataType).Distinct().Count() > 1;
        var target = perChannel || mixed ? DataType.Int8 : runtime[0].DataType;

        var boundary = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        foreach (var x in g.Inputs.ToList())
        {
            if (!IsQ(x.DataType) || x.DataType == target)
                continue;
            var inner = new Value($"{x.Name}/{Suffix(target)}", (int[])x.Shape.Clone(), target, Shift(x.Quantization!, target));
            g.ReplaceUses(x, inner);
            g.Nodes.Insert(0, new QuantizeNode($"{x.Name}/to_{Suffix(target)}", x, inner));
            boundary.Add(x);
        }
        for (int i = 0; i < g.Outputs.Count; i++)
        {
            var y = g.Outputs[i];
            if (!IsQ(y.DataType) || y.DataType == target || boundary.Contains(y))
                continue;
            var outer = new Value(y.Name, (int[])y.Shape.Clone(), y.DataType, y.Quantization);
            y.Name = $"{y.Name}/{Suffix(target)}";
            g.Nodes.Add(new QuantizeNode($"{outer.Name}/to_{Suffix(outer.DataType)}", y, outer));
            g.Outputs[i] = outer;
            boundary.Add(outer);
        }
        foreach (var n in g.Nodes.OfType<QuantizeNode>())
            if (n.Input.DataType == DataType.Float32 && IsQ(n.Output.DataType) && n.Output.DataType != target && !boundary.Contains(n.Output))
                n.DeclaredType ??= n.Output.DataType;
        foreach (var v in runtime)
            if (v.DataType != target && !boundary.Contains(v))
            {
                v.Quantization = Shift(v.Quantization ?? throw new GraphException($"tensor '{v.Name}' is {v.DataType} without quantization parameters"), target);
                v.DataType = target;
            }

        var done = new HashSet<Value>(ReferenceEqualityComparer.Instance);
        foreach (var n in layers)
        {
            var w = n.Inputs[1]!;
            if (w.DataType == target || !done.Add(w))
                continue;
            if (w.Quantization!.IsPerChannel)
                throw new GraphException($"node '{n.Name}': per-channel {w.DataType} weights cannot run with {target} activations");
            var data = w.Data!;
            var shifted = new byte[data.Length];
            for (int i = 0; i < data.Length; i++)
                shifted[i] = unchecked((byte)(data[i] ^ 0x80)); // ±128 between the two's-complement and offset forms
            w.DataType = target;
            w.Quantization = Shift(w.Quantization, target);
            w.SetData(shifted);
        }
    }

    private static bool IsQ(DataType t) => t is DataType.UInt8 or DataType.Int8;

    private static string Suffix(DataType t) => t == DataType.Int8 ? "int8" : "uint8";

    private static QuantizationParameters Shift(QuantizationParameters q, DataType to) =>
        new(q.Scales, q.ZeroPoints.Select(z => to == DataType.Int8 ? z - 128 : z + 128).ToArray(), q.Axis);
}
