using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    /// <summary>ONNX Runtime's contrib-operator domain.</summary>
    public const string MicrosoftDomain = "com.microsoft";

    /// <summary>The com.microsoft operators the importer converts (the integer ops ORT's quantizer and converters emit).</summary>
    public static readonly IReadOnlySet<string> MicrosoftOperators = new HashSet<string>
    {
        "QLinearConv", "QLinearAdd", "QLinearGlobalAveragePool", "QLinearAveragePool", "QLinearSoftmax", "QGemm",
    };

    private sealed partial class Builder
    {
        // ------------------------------------------------------------------ QuantizeLinear / DequantizeLinear

        private void ConvertQuantizeLinear()
        {
            RequireInputs(2, 3);
            var x = In(0, "x");
            if (x.QParams is not null || x.Value is { DataType: not DataType.Float32 })
                throw Err("input x must be a float tensor");
            DataType fallback = DataType.UInt8;
            if (_opset >= 21 && AttrInt("output_dtype", 0) is long od and not 0)
                fallback = od switch
                {
                    (long)OnnxDataType.UInt8 => DataType.UInt8,
                    (long)OnnxDataType.Int8 => DataType.Int8,
                    _ => throw Err($"output_dtype {od} is not supported (only uint8 and int8)"),
                };
            if (_node.Attribute("block_size") is { I: not 0 })
                throw Err("blocked quantization (block_size) is not supported");
            var (type, q) = ReadQuantization(1, 2, x, "y", fallback, allowInt32: false);
            if (x.Const is not null)
            {
                var f = x.Const.RequireFloats("QuantizeLinear x");
                var ints = new long[f.Length];
                var (lo, hi) = TypeRange(type);
                long inner = Inner(x.Shape, q);
                for (int i = 0; i < f.Length; i++)
                {
                    int c = q.IsPerChannel ? (int)(i / inner % q.Scales.Length) : 0;
                    double v = Math.Round(f[i] / q.Scales[c], MidpointRounding.ToEven) + q.ZeroPoints[c];
                    ints[i] = (long)Math.Clamp(v, lo, hi);
                }
                SetOutput(new Sym { Const = new OnnxConstant(x.Shape, ints), Shape = x.Shape, QParams = q, QType = type });
                return;
            }
            if (q.IsPerChannel)
                throw Err("per-axis quantization of a run-time tensor is not supported (only of constants)");
            // A 4-D tensor is quantized in NHWC: its consumers are convolutions and pools.
            bool nhwc = x.Rank == 4;
            var input = nhwc ? Nhwc(x, "x") : x.Value!;
            var output = new Value(OutName(), Array.Empty<int>(), type, q);
            AddNode(new QuantizeNode(_nodeName, input, output));
            SetRuntime(output, nhwc);
        }

        private void ConvertDequantizeLinear()
        {
            RequireInputs(2, 3);
            var x = In(0, "x");
            DataType xType = x.Const is not null
                ? x.QParams is not null ? x.QType : x.Const.ElementType switch
                {
                    OnnxDataType.UInt8 => DataType.UInt8,
                    OnnxDataType.Int8 => DataType.Int8,
                    OnnxDataType.Int32 => DataType.Int32,
                    var t => throw Err($"x has element type {t}; only uint8, int8 and int32 are supported"),
                }
                : x.Value!.DataType;
            if (xType is not (DataType.UInt8 or DataType.Int8 or DataType.Int32))
                throw Err($"x is {xType}; only uint8, int8 and int32 tensors can be dequantized");
            var (type, q) = ReadQuantization(1, 2, x, "x", xType, allowInt32: true);
            if (type != xType)
                throw Err($"x is {xType} but its zero point is {type}");
            if (x.Const is not null)
            {
                var ints = x.Const.RequireInts("DequantizeLinear x");
                var f = new float[ints.Length];
                long inner = Inner(x.Shape, q);
                for (int i = 0; i < f.Length; i++)
                {
                    int c = q.IsPerChannel ? (int)(i / inner % q.Scales.Length) : 0;
                    f[i] = (float)(ints[i] - q.ZeroPoints[c]) * q.Scales[c];
                }
                var source = new Sym { Const = x.Const, Shape = x.Shape, QParams = q, QType = type };
                SetOutput(new Sym { Const = new OnnxConstant(x.Shape, f), Shape = x.Shape, DequantizedFrom = source });
                return;
            }
            if (q.IsPerChannel)
                throw Err("per-axis dequantization of a run-time tensor is not supported (only of constants)");
            if (type == DataType.Int32)
                throw Err("dequantization of a run-time int32 tensor is not supported");
            var bound = Bind(x, type, q, "x");
            var output = OutValue();
            AddNode(new DequantizeNode(_nodeName, bound.Value!, output));
            SetOutput(new Sym { Value = output, Nhwc = bound.Nhwc, Shape = x.Shape, DequantizedFrom = bound });
        }

        // ------------------------------------------------------------------ quantization parameters

        private static (long Lo, long Hi) TypeRange(DataType t) => t switch
        {
            DataType.UInt8 => (0, 255),
            DataType.Int8 => (-128, 127),
            _ => (int.MinValue, int.MaxValue),
        };

        private static long Inner(int[] shape, QuantizationParameters q)
        {
            long inner = 1;
            if (q.IsPerChannel)
                for (int d = q.Axis + 1; d < shape.Length; d++)
                    inner *= shape[d];
            return inner;
        }

        /// <summary>Reads a scale (float, scalar or 1-D) and an optional zero point (its element type is the quantized
        /// type; <paramref name="typeIfNoZeroPoint"/> when absent) for tensor <paramref name="x"/>. A 1-D scale of more
        /// than one element is per-axis along the node's <c>axis</c> attribute (default 1), or along
        /// <paramref name="fixedAxis"/> for operators that define it (QLinearConv's weights: the output channels).</summary>
        private (DataType Type, QuantizationParameters Q) ReadQuantization(int scaleIndex, int zpIndex, Sym x, string role,
            DataType typeIfNoZeroPoint, bool allowInt32, int? fixedAxis = null)
        {
            var scale = ConstIn(scaleIndex, $"{role}_scale");
            var sf = scale.RequireFloats($"{role}_scale");
            if (scale.Shape.Length > 1 || sf.Length == 0)
                throw Err($"{role}_scale {Value.FormatShape(scale.Shape)} must be a scalar or a non-empty 1-D tensor");
            OnnxConstant? zp = OptIn(zpIndex) is null ? null : ConstIn(zpIndex, $"{role}_zero_point");
            DataType type = zp is null ? typeIfNoZeroPoint : zp.ElementType switch
            {
                OnnxDataType.UInt8 => DataType.UInt8,
                OnnxDataType.Int8 => DataType.Int8,
                OnnxDataType.Int32 when allowInt32 => DataType.Int32,
                var t => throw Err($"{role}_zero_point has element type {t}; only uint8 and int8{(allowInt32 ? " (and int32 for biases)" : "")} are supported"),
            };
            long[] zps = zp is null ? new long[sf.Length] : zp.RequireInts($"{role}_zero_point");
            if (zps.Length != sf.Length)
                throw Err($"{role}_zero_point has {zps.Length} elements for {sf.Length} scales");
            var (lo, hi) = TypeRange(type);
            for (int i = 0; i < sf.Length; i++)
            {
                if (!float.IsFinite(sf[i]) || sf[i] <= 0 || sf[i] < 1e-30f)
                    throw Err($"{role}_scale {sf[i]:G9} must be positive and finite");
                if (zps[i] < lo || zps[i] > hi)
                    throw Err($"{role}_zero_point {zps[i]} is outside the {type} range");
                if (type == DataType.Int32 && zps[i] != 0)
                    throw Err($"an int32 tensor's zero point must be 0; it is {zps[i]}");
            }
            if (sf.Length == 1)
                return (type, new QuantizationParameters(new[] { sf[0] }, new[] { zps[0] }));
            int axis;
            if (fixedAxis is { } fa)
                axis = fa;
            else
            {
                if (_opset < 13 && _node.OpType is "QuantizeLinear" or "DequantizeLinear")
                    throw Err($"a 1-D {role}_scale (per-axis quantization) needs opset 13 or later");
                axis = NormalizeAxis(AttrInt("axis", 1), Math.Max(x.Rank, 1));
            }
            if (axis >= x.Rank || x.Shape[axis] != sf.Length)
                throw Err($"{sf.Length} scales do not match axis {axis} of {role} {Value.FormatShape(x.Shape)}");
            return (type, new QuantizationParameters(sf, zps, axis));
        }

        private static bool SameParameters(QuantizationParameters a, QuantizationParameters b) =>
            a.Scales.AsSpan().SequenceEqual(b.Scales) && a.ZeroPoints.AsSpan().SequenceEqual(b.ZeroPoints)
            && (a.Scales.Length == 1 || a.Axis == b.Axis);

        /// <summary>The run-time quantized tensor <paramref name="x"/> read with parameters <paramref name="q"/>: its
        /// value takes them when it has none (a uint8 graph input gets them from the first operator that reads it);
        /// when it was given other ones, a byte-for-byte copy carries these.</summary>
        private Sym Bind(Sym x, DataType type, QuantizationParameters q, string role)
        {
            var v = x.Value ?? throw Err($"{role} must be a run-time tensor");
            if (v.DataType != type)
                throw Err($"{role} is {v.DataType}; its zero point says {type}");
            if (v.Quantization is null)
            {
                AssignQuantization(v, q);
                return x;
            }
            if (SameParameters(v.Quantization, q))
                return x;
            var alias = new Value(AuxName("requantized"), Array.Empty<int>(), type, q);
            AddNode(new ReshapeNode(AuxName("reinterpret"), v, alias, (int[])v.Shape.Clone()));
            return new Sym { Value = alias, Nhwc = x.Nhwc, Shape = x.Shape };
        }

        /// <summary>Gives <paramref name="v"/> (and the values it is a reshaped or transposed copy of, back to a graph
        /// input) the quantization parameters it lacked.</summary>
        private void AssignQuantization(Value v, QuantizationParameters q)
        {
            while (true)
            {
                v.Quantization = q;
                var producer = _graph.Nodes.LastOrDefault(n => n.Outputs.Any(o => ReferenceEquals(o, v)));
                if (producer is not (ReshapeNode or TransposeNode) || producer.Input.Quantization is not null)
                    return;
                v = producer.Input;
            }
        }

        /// <summary>The IR value of the output with the island's / operator's output quantization.</summary>
        private Value QuantizedOutValue(DataType type, QuantizationParameters q) => new(OutName(), Array.Empty<int>(), type, q);

        private string OutName() => _islandOutput ?? (_node.Outputs.Count > 0 && _node.Outputs[0].Length > 0 ? _node.Outputs[0] : AuxName("out"));

        /// <summary>Weights of an integer convolution / fully connected layer from the quantized constant
        /// <paramref name="w"/>, permuted to the IR layout by <paramref name="perm"/>. Per-channel weights must lie
        /// along the output channels (IR axis <paramref name="channelAxis"/>) and be symmetric; uint8 ones with zero
        /// point 128 become int8 with zero point 0 (the same differences).</summary>
        private Value QuantizedWeights(Sym w, int[] perm, int channelAxis, string what)
        {
            var q = w.QParams ?? throw Err($"weights '{what}' are not quantized");
            var c = w.Const!.Transpose(perm);
            var ints = c.RequireInts("weights");
            var type = w.QType;
            if (q.IsPerChannel)
            {
                int irAxis = Array.IndexOf(perm, q.Axis);
                if (irAxis != channelAxis)
                    throw Err($"per-channel weights must be quantized along the output channels (ONNX axis {perm[channelAxis]}); they are along axis {q.Axis}");
                if (type == DataType.UInt8 && q.ZeroPoints.All(z => z == 128))
                {
                    ints = ints.Select(v => v - 128).ToArray();
                    type = DataType.Int8;
                    q = new QuantizationParameters(q.Scales, new long[q.Scales.Length], irAxis);
                }
                else
                    q = new QuantizationParameters(q.Scales, q.ZeroPoints, irAxis);
                if (q.ZeroPoints.Any(z => z != 0))
                    throw Err("per-channel weights with non-zero zero points are not supported (only symmetric ones)");
            }
            if (type is not (DataType.UInt8 or DataType.Int8))
                throw Err($"weights are {type}; only uint8 and int8 weights are supported");
            var bytes = new byte[ints.Length];
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] = unchecked((byte)ints[i]);
            return new Value($"{_nodeName}/{what}", (int[])c.Shape.Clone(), type, q, bytes);
        }

        /// <summary>An int32 bias (QLinearConv's B, or the int32 tensor behind a bias DequantizeLinear).</summary>
        private Value QuantizedBias(Sym b, int channels)
        {
            var c = (b.DequantizedFrom ?? b).Const ?? throw Err("bias must be a constant");
            var ints = c.RequireInts("bias");
            if (ints.Length != channels)
                throw Err($"bias {Value.FormatShape(c.Shape)} does not match {channels} output channels");
            var bytes = new byte[ints.Length * 4];
            for (int i = 0; i < ints.Length; i++)
            {
                if (ints[i] < int.MinValue || ints[i] > int.MaxValue)
                    throw Err($"bias element {i} ({ints[i]}) does not fit int32");
                BitConverter.TryWriteBytes(bytes.AsSpan(i * 4), (int)ints[i]);
            }
            return new Value($"{_nodeName}/bias", new[] { channels }, DataType.Int32, null, bytes);
        }

        /// <summary>Every uint8/int8 graph input and output must end up with quantization parameters.</summary>
        private void CheckQuantizedBoundaries()
        {
            foreach (var v in _graph.Inputs.Concat(_graph.Outputs))
                if (v.DataType is DataType.UInt8 or DataType.Int8 && v.Quantization is null)
                    throw new ModelFormatException(Source, "", $"graph {(_graph.Inputs.Contains(v) ? "input" : "output")} '{v.Name}' is {v.DataType} but no operator gives its scale and zero point (plain integer tensors are not supported, only quantized ones)");
        }
    }
}
