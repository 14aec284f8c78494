using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        // ------------------------------------------------------------------ QDQ islands
        //
        // ONNX Runtime's quantizer writes float operators between DequantizeLinear and QuantizeLinear nodes
        // (DQ(x) → Conv(DQ(w), DQ(b)) → Q). As ORT's QDQ fusion does, such an island becomes one integer node: its
        // input is the quantized tensor before the DQ, its weights the quantized constant, its output the Q's output
        // (the Q and an activation between are folded in and skipped). What does not match runs as written: float
        // operators on dequantized values, between Dequantize and Quantize nodes (the placement report shows them).

        private readonly HashSet<OnnxNode> _fused = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<string, List<OnnxNode>> _consumers = new();
        private readonly HashSet<string> _graphOutputNames = new();
        /// <summary>While converting an island (or a QLinear operator through a float converter): the name output 0
        /// takes, with <see cref="_islandQuant"/>; input 0 is <see cref="_inputOverride"/> when set.</summary>
        private string? _islandOutput;
        private (DataType Type, QuantizationParameters Q) _islandQuant;
        private Sym? _inputOverride;
        /// <summary>The node being converted heads an island: its own (float) outputs are never materialised.</summary>
        private bool _fusedHead;

        private void IndexConsumers(OnnxGraph g, List<OnnxNode> order)
        {
            foreach (var n in order)
                foreach (var i in n.Inputs.Where(i => i.Length > 0).Distinct())
                {
                    if (!_consumers.TryGetValue(i, out var list))
                        _consumers[i] = list = new List<OnnxNode>();
                    list.Add(n);
                }
            foreach (var o in g.Outputs)
                _graphOutputNames.Add(o.Name);
        }

        /// <summary>Converts the current node as the head of a QDQ island when it is one; false to convert it as written.</summary>
        private bool TryFuseIsland()
        {
            if (_node.Domain is not ("" or "ai.onnx") || _node.Outputs.Count(o => o.Length > 0) != 1)
                return false;
            return _node.OpType switch
            {
                "Conv" => FuseConv(),
                "Gemm" => FuseGemm(),
                "MatMul" => FuseMatMul(),
                "Add" => FuseAdd(),
                "GlobalAveragePool" => FuseGlobalAveragePool(),
                "AveragePool" => FuseAveragePool(),
                "Softmax" => FuseSoftmax(),
                "Flatten" or "Reshape" or "Squeeze" or "Unsqueeze" or "Transpose" or "Identity" => FuseDataMovement(),
                _ => false,
            };
        }

        /// <summary>The quantized run-time tensor behind input <paramref name="index"/>'s DequantizeLinear, if any.</summary>
        private Sym? DequantizedRuntime(int index)
        {
            var s = index < _node.Inputs.Count && _node.Inputs[index].Length > 0 ? _syms[_node.Inputs[index]] : null;
            return s?.DequantizedFrom is { Value: { } v } q && v.Quantization is { IsPerChannel: false } && v.DataType is DataType.UInt8 or DataType.Int8 ? q : null;
        }

        /// <summary>The quantized constant behind input <paramref name="index"/>'s DequantizeLinear, if any.</summary>
        private Sym? DequantizedConstant(int index, params DataType[] types)
        {
            var s = index < _node.Inputs.Count && _node.Inputs[index].Length > 0 ? _syms[_node.Inputs[index]] : null;
            return s?.DequantizedFrom is { Const: not null, QParams: not null } q && types.Contains(q.QType) ? q : null;
        }

        private bool Absent(int index) => index >= _node.Inputs.Count || _node.Inputs[index].Length == 0;

        /// <summary>The island's exit: output 0 of the current node feeds exactly one QuantizeLinear (per tensor,
        /// constant parameters), directly or through one Relu / Clip(0, 6) when <paramref name="allowActivation"/>.
        /// Returns the nodes to fold (the activation, the Q) and the Q's output name and parameters; null otherwise.</summary>
        private (List<OnnxNode> Folded, string Name, DataType Type, QuantizationParameters Q, Activation Act)? IslandExit(bool allowActivation)
        {
            string o = _node.Outputs[0];
            var folded = new List<OnnxNode>();
            var act = Activation.None;
            for (int hop = 0; hop < 2; hop++)
            {
                if (_graphOutputNames.Contains(o) || !_consumers.TryGetValue(o, out var list) || list.Count != 1)
                    return null;
                var c = list[0];
                if (c.Domain is not ("" or "ai.onnx") || c.Inputs.Count == 0 || c.Inputs[0] != o || c.Inputs.Skip(1).Contains(o)
                    || c.Outputs.Count(x => x.Length > 0) != 1 || c.Outputs[0].Length == 0)
                    return null;
                if (c.OpType == "QuantizeLinear")
                {
                    var q = OnNode(c, () => ReadQuantization(1, 2, new Sym(), "y", DataType.UInt8, allowInt32: false));
                    if (q is not { } p || p.Q.IsPerChannel || (_opset >= 21 && c.Attribute("output_dtype") is not null && c.Inputs.Count < 3))
                        return null;
                    folded.Add(c);
                    return (folded, c.Outputs[0], p.Type, p.Q, act);
                }
                if (!allowActivation || hop > 0)
                    return null;
                act = c.OpType switch
                {
                    "Relu" => Activation.Relu,
                    "Clip" => ClipActivation(c),
                    _ => Activation.None,
                };
                if (act == Activation.None)
                    return null;
                folded.Add(c);
                o = c.Outputs[0];
            }
            return null;
        }

        /// <summary>Relu / Relu6 for a Clip(0, ∞) / Clip(0, 6) with constant bounds; None otherwise.</summary>
        private Activation ClipActivation(OnnxNode c)
        {
            float min, max;
            if (_opset < 11)
            {
                min = c.Attribute("min")?.F ?? float.MinValue;
                max = c.Attribute("max")?.F ?? float.MaxValue;
            }
            else
            {
                float? Bound(int i, float fallback)
                {
                    if (i >= c.Inputs.Count || c.Inputs[i].Length == 0)
                        return fallback;
                    return _syms.TryGetValue(c.Inputs[i], out var s) && s.Const is { IsFloat: true, Count: 1 } k ? k.Floats![0] : null;
                }
                if (Bound(1, float.NegativeInfinity) is not { } lo || Bound(2, float.PositiveInfinity) is not { } hi)
                    return Activation.None;
                (min, max) = (lo, hi);
            }
            return (min, max) switch
            {
                (0f, 6f) => Activation.Relu6,
                (0f, float.PositiveInfinity or float.MaxValue) => Activation.Relu,
                _ => Activation.None,
            };
        }

        /// <summary>Evaluates <paramref name="f"/> as if converting <paramref name="node"/>; null when it finds the node
        /// malformed (it is then converted as written, and reports that itself).</summary>
        private T? OnNode<T>(OnnxNode node, Func<T> f) where T : struct
        {
            var (saved, savedName) = (_node, _nodeName);
            _node = node;
            try
            {
                return f();
            }
            catch (ModelFormatException)
            {
                return null;
            }
            finally
            {
                (_node, _nodeName) = (saved, savedName);
            }
        }

        /// <summary>Converts the island with <paramref name="emit"/>, its output named and quantized as the Q's.</summary>
        private bool Fuse((List<OnnxNode> Folded, string Name, DataType Type, QuantizationParameters Q, Activation Act) exit, Action<Value> emit)
        {
            foreach (var n in exit.Folded)
                _fused.Add(n);
            _fusedHead = true;
            _islandOutput = exit.Name;
            _islandQuant = (exit.Type, exit.Q);
            emit(new Value(exit.Name, Array.Empty<int>(), exit.Type, exit.Q));
            return true;
        }

        /// <summary>A per-channel weight that the integer kernels can take: symmetric (or uint8 around 128).</summary>
        private static bool UsableWeights(Sym w) =>
            !w.QParams!.IsPerChannel || w.QParams.ZeroPoints.All(z => z == 0) || (w.QType == DataType.UInt8 && w.QParams.ZeroPoints.All(z => z == 128));

        /// <summary>An int32 bias whose scale is input scale × weight scale (per channel), zero point 0: the integer
        /// kernels add it to the accumulator as it is.</summary>
        private static bool UsableBias(Sym? b, float inputScale, QuantizationParameters w, int channels)
        {
            if (b is null)
                return true;
            var q = b.QParams!;
            if (b.Const!.Count != channels || (q.Scales.Length != 1 && q.Scales.Length != channels))
                return false;
            for (int c = 0; c < channels; c++)
            {
                double want = (double)inputScale * w.Scales[w.IsPerChannel ? c : 0];
                double got = q.Scales[q.IsPerChannel ? c : 0];
                if (Math.Abs(got - want) > 1e-5 * want || q.ZeroPoints[q.IsPerChannel ? c : 0] != 0)
                    return false;
            }
            return true;
        }

        private bool FuseConv()
        {
            var x = DequantizedRuntime(0);
            var w = DequantizedConstant(1, DataType.UInt8, DataType.Int8);
            var b = Absent(2) ? null : DequantizedConstant(2, DataType.Int32);
            if (x is null || w is null || (!Absent(2) && b is null) || w.Const!.Shape.Length != 4 || !UsableWeights(w)
                || (w.QParams!.IsPerChannel && w.QParams.Axis != 0)
                || !UsableBias(b, x.Value!.Quantization!.Scale, w.QParams, w.Const.Shape[0]))
                return false;
            if (IslandExit(allowActivation: true) is not { } exit)
                return false;
            return Fuse(exit, output => EmitConv(x, w, b, output, exit.Act));
        }

        private bool FuseGemm()
        {
            var a = DequantizedRuntime(0);
            var b = DequantizedConstant(1, DataType.UInt8, DataType.Int8);
            var c = Absent(2) ? null : DequantizedConstant(2, DataType.Int32);
            bool transB = AttrInt("transB", 0) != 0;
            if (a is null || b is null || (!Absent(2) && c is null) || a.Rank != 2 || b.Const!.Shape.Length != 2
                || AttrInt("transA", 0) != 0 || AttrFloat("alpha", 1f) != 1f || AttrFloat("beta", 1f) != 1f || !UsableWeights(b)
                || (b.QParams!.IsPerChannel && b.QParams.Axis != (transB ? 0 : 1)))
                return false;
            int n = transB ? b.Const.Shape[0] : b.Const.Shape[1];
            if (!UsableBias(c, a.Value!.Quantization!.Scale, b.QParams, n) || IslandExit(allowActivation: false) is not { } exit)
                return false;
            return Fuse(exit, output => EmitQuantizedFc(a, b, transB, c, output));
        }

        private bool FuseMatMul()
        {
            var a = DequantizedRuntime(0);
            var b = DequantizedConstant(1, DataType.UInt8, DataType.Int8);
            if (a is null || b is null || a.Rank < 2 || b.Const!.Shape.Length != 2 || !UsableWeights(b)
                || (b.QParams!.IsPerChannel && b.QParams.Axis != 1) || IslandExit(allowActivation: false) is not { } exit)
                return false;
            return Fuse(exit, output => EmitQuantizedFc(a, b, transB: false, null, output));
        }

        private bool FuseAdd()
        {
            var a = DequantizedRuntime(0);
            var b = DequantizedRuntime(1);
            if (a is null || b is null || !a.Shape.AsSpan().SequenceEqual(b.Shape) || a.Value!.DataType != b.Value!.DataType
                || IslandExit(allowActivation: false) is not { } exit || exit.Type != a.Value.DataType)
                return false;
            return Fuse(exit, output => EmitQuantizedAdd(a, b, output));
        }

        private bool FuseGlobalAveragePool()
        {
            var x = DequantizedRuntime(0);
            if (x is null || x.Rank != 4 || IslandExit(allowActivation: false) is not { } exit)
                return false;
            return Fuse(exit, output =>
            {
                AddNode(new GlobalAveragePoolNode(_nodeName, Nhwc(x, "X"), output));
                SetRuntime(output, nhwc: true);
            });
        }

        private bool FuseAveragePool()
        {
            var x = DequantizedRuntime(0);
            if (x is null || x.Rank != 4 || IslandExit(allowActivation: false) is not { } exit || exit.Type != x.Value!.DataType)
                return false;
            return Fuse(exit, _ => RunOnQuantized(x, exit.Name, exit.Type, exit.Q, ConvertAveragePool));
        }

        private bool FuseSoftmax()
        {
            var x = DequantizedRuntime(0);
            if (x is null || x.Rank == 0)
                return false;
            int axis = (int)AttrInt("axis", _opset < 13 ? 1 : -1);
            if (axis < 0)
                axis += x.Rank;
            if (axis != x.Rank - 1 || IslandExit(allowActivation: false) is not { } exit)
                return false;
            return Fuse(exit, _ => RunOnQuantized(x, exit.Name, exit.Type, exit.Q, ConvertSoftmax));
        }

        /// <summary>DQ → Flatten / Reshape / … → Q with the same parameters: the data op runs on the quantized bytes.</summary>
        private bool FuseDataMovement()
        {
            var x = DequantizedRuntime(0);
            if (x is null || IslandExit(allowActivation: false) is not { } exit || exit.Type != x.Value!.DataType
                || !SameParameters(exit.Q, x.Value.Quantization!))
                return false;
            var convert = _node.OpType switch
            {
                "Flatten" => (Action)ConvertFlatten,
                "Reshape" => ConvertReshape,
                "Squeeze" => ConvertSqueeze,
                "Unsqueeze" => ConvertUnsqueeze,
                "Transpose" => ConvertTranspose,
                _ => () =>
                {
                    RequireInputs(1, 1);
                    SetOutput(In(0, "input"));
                }
                ,
            };
            return Fuse(exit, _ => RunOnQuantized(x, exit.Name, exit.Type, exit.Q, convert));
        }
    }
}
