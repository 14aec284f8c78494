using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        // ------------------------------------------------------------------ integer operators (QLinear*, QGemm)

        /// <summary>A run-time quantized input of a QLinear operator, bound to the scale and zero point at the given
        /// input positions.</summary>
        private Sym QuantizedIn(int index, int scaleIndex, int zpIndex, string role)
        {
            var x = In(index, role);
            if (x.Const is not null)
                throw Err($"input {index} ({role}) must be a run-time tensor; a constant one is not supported");
            var v = x.Value!;
            if (v.DataType is not (DataType.UInt8 or DataType.Int8))
                throw Err($"input {index} ({role}) is {v.DataType}; a uint8 or int8 tensor is required");
            var (type, q) = ReadQuantization(scaleIndex, zpIndex, x, role, v.DataType, allowInt32: false);
            if (q.IsPerChannel)
                throw Err($"{role} must be quantized per tensor; per-axis activations are not supported");
            return Bind(x, type, q, role);
        }

        /// <summary>A constant quantized input (weights) with its scale and zero point (per-channel along
        /// <paramref name="channelAxis"/> when the scale is 1-D).</summary>
        private Sym QuantizedConstIn(int index, int scaleIndex, int zpIndex, string role, int channelAxis)
        {
            var c = ConstIn(index, role);
            var sym = In(index, role);
            var type = c.ElementType switch
            {
                OnnxDataType.UInt8 => DataType.UInt8,
                OnnxDataType.Int8 => DataType.Int8,
                _ when sym.QParams is not null => sym.QType,
                var t => throw Err($"input {index} ({role}) has element type {t}; uint8 or int8 is required"),
            };
            var (zpType, q) = ReadQuantization(scaleIndex, zpIndex, sym, role, type, allowInt32: false, fixedAxis: channelAxis);
            if (zpType != type)
                throw Err($"{role} is {type} but its zero point is {zpType}");
            return new Sym { Const = c, Shape = c.Shape, QParams = q, QType = type };
        }

        private (DataType Type, QuantizationParameters Q) OutputQuantization(int scaleIndex, int zpIndex, DataType fallback)
        {
            var (type, q) = ReadQuantization(scaleIndex, zpIndex, new Sym(), "y", fallback, allowInt32: false);
            if (q.IsPerChannel)
                throw Err("the output must be quantized per tensor");
            return (type, q);
        }

        private void ConvertQLinearConv()
        {
            RequireInputs(8, 9);
            var x = QuantizedIn(0, 1, 2, "x");
            var w = QuantizedConstIn(3, 4, 5, "w", channelAxis: 0);
            var (type, q) = OutputQuantization(6, 7, x.Value!.DataType);
            var b = OptIn(8) is null ? null : In(8, "B");
            if (b is not null && b.Const is null)
                throw Err("input 8 (B) must be a constant");
            if (_node.Domain == MicrosoftDomain && AttrInt("channels_last", 0) != 0)
                throw Err("channels_last QLinearConv is not supported");
            EmitConv(x, w, b, QuantizedOutValue(type, q), Activation.None);
        }

        private void ConvertQLinearMatMul()
        {
            RequireInputs(8, 8);
            var a = QuantizedIn(0, 1, 2, "a");
            var bc = ConstIn(3, "b");
            if (bc.Shape.Length != 2)
                throw Err($"b {Value.FormatShape(bc.Shape)} must be a 2-D constant; batched products are not supported");
            var b = QuantizedConstIn(3, 4, 5, "b", channelAxis: 1);
            var (type, q) = OutputQuantization(6, 7, a.Value!.DataType);
            EmitQuantizedFc(a, b, transB: false, null, QuantizedOutValue(type, q));
        }

        private void ConvertQGemm()
        {
            RequireInputs(6, 9);
            if (AttrFloat("alpha", 1f) != 1f)
                throw Err($"alpha {AttrFloat("alpha", 1f)} is not supported (only 1)");
            if (AttrInt("transA", 0) != 0)
                throw Err("transA=1 is not supported");
            bool transB = AttrInt("transB", 0) != 0;
            var a = QuantizedIn(0, 1, 2, "A");
            var b = QuantizedConstIn(3, 4, 5, "B", channelAxis: transB ? 0 : 1);
            if (OptIn(7) is null)
                throw Err("QGemm with a float output (no y_scale) is not supported");
            var (type, q) = OutputQuantization(7, 8, a.Value!.DataType);
            var c = OptIn(6);
            if (c is not null && c.Const is null)
                throw Err("input 6 (C) must be a constant");
            EmitQuantizedFc(a, b, transB, c, QuantizedOutValue(type, q));
        }

        /// <summary>y = a · B (+ bias) on integers: a fully connected layer whose weights are B transposed to [N,K].
        /// A rank-3+ <paramref name="a"/> runs over its flattened rows.</summary>
        private void EmitQuantizedFc(Sym a, Sym b, bool transB, Sym? bias, Value output)
        {
            if (a.Rank < 2)
                throw Err($"A {Value.FormatShape(a.Shape)} must have rank 2 or more");
            int k = a.Shape[^1];
            var bs = b.Const!.Shape;
            int kb = transB ? bs[1] : bs[0], n = transB ? bs[0] : bs[1];
            if (k != kb)
                throw Err($"inner dimensions differ: A {Value.FormatShape(a.Shape)} and B {Value.FormatShape(bs)} (transB={transB})");
            var weights = QuantizedWeights(b, transB ? new[] { 0, 1 } : new[] { 1, 0 }, 0, "weights");
            Value? biasValue = null;
            if (bias is not null)
            {
                var bc = (bias.DequantizedFrom ?? bias).Const!;
                if (bc.Count != n || (bc.Shape.Length == 2 && bc.Shape[0] != 1) || bc.Shape.Length > 2)
                    throw Err($"C {Value.FormatShape(bc.Shape)} must be a row of {n} int32 values");
                biasValue = QuantizedBias(new Sym { Const = bc.WithShape(new[] { n }), Shape = new[] { n } }, n);
            }
            var av = Onnx(a);
            if (a.Rank == 2)
                AddNode(new FullyConnectedNode(_nodeName, av, weights, biasValue, output));
            else
            {
                int rows = a.Shape.Take(a.Rank - 1).Aggregate(1, (p, d) => checked(p * d));
                var flat = new Value(AuxName("rows"), Array.Empty<int>(), av.DataType, av.Quantization);
                AddNode(new ReshapeNode(AuxName("rows"), av, flat, new[] { rows, k }));
                var product = new Value(AuxName("product"), Array.Empty<int>(), output.DataType, output.Quantization);
                AddNode(new FullyConnectedNode(AuxName("fc"), flat, weights, biasValue, product));
                AddNode(new ReshapeNode(_nodeName, product, output, a.Shape.Take(a.Rank - 1).Append(n).ToArray()));
            }
            SetRuntime(output, nhwc: false);
        }

        private void ConvertQLinearAdd()
        {
            RequireInputs(7, 8);
            var a = QuantizedIn(0, 1, 2, "A");
            var b = QuantizedIn(3, 4, 5, "B");
            var (type, q) = OutputQuantization(6, 7, a.Value!.DataType);
            EmitQuantizedAdd(a, b, QuantizedOutValue(type, q));
        }

        private void EmitQuantizedAdd(Sym a, Sym b, Value output)
        {
            if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
                throw Err($"quantized Add with broadcasting ({Value.FormatShape(a.Shape)} + {Value.FormatShape(b.Shape)}) is not supported");
            if (a.Value!.DataType != b.Value!.DataType || a.Value.DataType != output.DataType)
                throw Err($"quantized Add of {a.Value.DataType} and {b.Value.DataType} into {output.DataType} is not supported");
            bool nhwc = a.Rank == 4 && (a.Nhwc || b.Nhwc);
            var av = nhwc ? Nhwc(a, "A") : Onnx(a);
            var bv = nhwc ? Nhwc(b, "B") : Onnx(b);
            AddNode(new AddNode(_nodeName, av, bv, output));
            SetRuntime(output, nhwc);
        }

        private void ConvertQLinearGlobalAveragePool()
        {
            RequireInputs(5, 5);
            var x = QuantizedIn(0, 1, 2, "X");
            var (type, q) = OutputQuantization(3, 4, x.Value!.DataType);
            var output = QuantizedOutValue(type, q);
            if (x.Rank != 4)
                throw Err($"input {Value.FormatShape(x.Shape)} is not 4-D; only 2-D pooling is supported");
            bool channelsLast = AttrInt("channels_last", 0) != 0; // then the ONNX tensor itself is NHWC
            var input = channelsLast ? Onnx(x) : Nhwc(x, "X");
            // With the same parameters in and out (what a converted TFLite AVERAGE_POOL_2D has), the mean is an
            // average pool over the whole image, rounded as TFLite rounds it (integer, half away from zero), so such a
            // model gives the TFLite file's bytes. Otherwise: the requantizing global pool (float multiplier, as ORT).
            Node pool = type == x.Value!.DataType && SameParameters(x.Value.Quantization!, q)
                ? new AveragePool2DNode(_nodeName, input, output, input.Shape[1], input.Shape[2])
                : new GlobalAveragePoolNode(_nodeName, input, output);
            AddNode(pool);
            SetRuntime(output, nhwc: !channelsLast);
        }

        private void ConvertQLinearAveragePool()
        {
            RequireInputs(5, 5);
            if (AttrInt("channels_last", 0) != 0)
                throw Err("channels_last QLinearAveragePool is not supported");
            var x = QuantizedIn(0, 1, 2, "X");
            var (type, q) = OutputQuantization(3, 4, x.Value!.DataType);
            RunOnQuantized(x, OutName(), type, q, ConvertAveragePool);
        }

        private void ConvertQLinearSoftmax()
        {
            RequireInputs(5, 5);
            var x = QuantizedIn(0, 1, 2, "X");
            var (type, q) = OutputQuantization(3, 4, x.Value!.DataType);
            int opset = (int)AttrInt("opset", _opset);
            int axis = NormalizeAxis(AttrInt("axis", opset < 13 ? 1 : -1), Math.Max(x.Rank, 1));
            if (axis != x.Rank - 1)
                throw Err($"QLinearSoftmax over axis {axis} of {Value.FormatShape(x.Shape)} is not supported (only the last axis)");
            var output = QuantizedOutValue(type, q);
            AddNode(new SoftmaxNode(_nodeName, Onnx(x), output));
            SetRuntime(output, nhwc: false);
        }

        /// <summary>Runs a float converter with input 0 replaced by the quantized <paramref name="x"/> and output 0
        /// named <paramref name="outputName"/> with the given quantization.</summary>
        private void RunOnQuantized(Sym x, string outputName, DataType type, QuantizationParameters q, Action convert)
        {
            var (savedIn, savedOut, savedQ) = (_inputOverride, _islandOutput, _islandQuant);
            _inputOverride = x;
            _islandOutput = outputName;
            _islandQuant = (type, q);
            try
            {
                convert();
            }
            finally
            {
                (_inputOverride, _islandOutput, _islandQuant) = (savedIn, savedOut, savedQ);
            }
        }
    }
}
