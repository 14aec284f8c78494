using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using static MobileNetAccel.Formats.TFLite.TfliteSchema;

namespace MobileNetAccel.Formats.TFLite;

/// <summary>
/// Reads a .tflite file into a <see cref="ModelGraph"/>: subgraph 0's tensors become <see cref="Value"/>s (constants
/// when their buffer holds data, with dtype and quantization), its operators become IR nodes (SAME/VALID padding made
/// explicit, fused activations kept). Everything is validated; any problem raises <see cref="ModelFormatException"/>
/// naming the file, the subgraph/operator/tensor index and what is wrong.
/// Weight layouts match the IR as they are: CONV_2D OHWI, DEPTHWISE_CONV_2D [1,KH,KW,C], FULLY_CONNECTED [M,K].
/// </summary>
public static class TfliteReader
{
    /// <summary>Largest element count accepted for one tensor (2^28): far above any MobileNet activation, small enough
    /// that a corrupted shape cannot make the executor allocate gigabytes.</summary>
    public const long MaxTensorElements = 1L << 28;

    /// <summary>Reads a model file.</summary>
    public static ModelGraph Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = BoundedFile.ReadAll(path, ModelFormatException.MaxFileBytes, "model",
            (problem, inner) => inner is null ? new ModelFormatException(path, "", problem) : new ModelFormatException(path, "", problem, inner));
        return Read(data, path);
    }

    /// <summary>Reads a model from memory; <paramref name="fileName"/> is used in error messages and as the graph name.</summary>
    public static ModelGraph Read(byte[] data, string fileName)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(fileName);
        return new Reader(new FlatBufferView(data, fileName)).Run();
    }

    /// <summary>Byte ranges of the buffers' data vectors in a valid file (for tests that mutate only the structure).</summary>
    internal static List<(int Start, int Length)> BufferDataRanges(byte[] data)
    {
        var v = new FlatBufferView(data, "file");
        var model = v.Root(FileIdentifier);
        var r = new List<(int, int)>();
        int n = model.TableCount(ModelBuffers, "buffers");
        for (int i = 0; i < n; i++)
            if (model.TableAt(ModelBuffers, "buffers", i, "buffer").Bytes(BufferData, "data") is { Count: > 0 } seg)
                r.Add((seg.Offset, seg.Count));
        return r;
    }

    private sealed class Reader
    {
        private readonly FlatBufferView _v;
        private Value?[] _values = Array.Empty<Value?>();
        private int[][] _declaredShapes = Array.Empty<int[]>();
        private DataType[] _declaredTypes = Array.Empty<DataType>();
        private readonly Dictionary<Node, (int Index, string Op)> _nodeOps = new(ReferenceEqualityComparer.Instance);

        public Reader(FlatBufferView v) => _v = v;

        private ModelFormatException Fail(string where, string problem) => _v.Fail(where, problem);

        public ModelGraph Run()
        {
            var model = _v.Root(FileIdentifier);
            uint version = model.U32(ModelVersion, "version");
            if (version != 3)
                throw Fail("model", $"schema version {version} is not supported (expected 3)");

            int nCodes = model.TableCount(ModelOperatorCodes, "operator_codes");
            var codes = new (int Code, int Version, string? Custom)[nCodes];
            for (int i = 0; i < nCodes; i++)
            {
                string where = $"operator code {i}";
                var oc = model.TableAt(ModelOperatorCodes, "operator_codes", i, where);
                int dep = (sbyte)oc.U8(OpCodeDeprecatedBuiltin, "deprecated_builtin_code");
                int builtin = oc.I32(OpCodeBuiltin, "builtin_code");
                codes[i] = (Math.Max(dep, builtin), oc.I32(OpCodeVersion, "version", 1), oc.String(OpCodeCustom, "custom_code"));
            }

            int nBuffers = model.TableCount(ModelBuffers, "buffers");
            int nSub = model.TableCount(ModelSubgraphs, "subgraphs");
            if (nSub < 1)
                throw Fail("model", "has no subgraph");
            var sg = model.TableAt(ModelSubgraphs, "subgraphs", 0, "subgraph 0");
            string graphName = Path.GetFileNameWithoutExtension(_v.File);
            var graph = new ModelGraph(string.IsNullOrEmpty(graphName) ? "tflite" : graphName);

            ReadTensors(model, sg, nBuffers);

            foreach (int t in sg.Int32s(SubGraphInputs, "inputs") ?? Array.Empty<int>())
            {
                var v = TensorRef(t, "subgraph 0 inputs", "input");
                if (v.IsConstant)
                    throw Fail("subgraph 0", $"graph input tensor {t} '{v.Name}' has constant data");
                if (!graph.Inputs.Contains(v))
                    graph.Inputs.Add(v);
            }
            if (graph.Inputs.Count == 0)
                throw Fail("subgraph 0", "has no inputs");

            int nOps = sg.TableCount(SubGraphOperators, "operators");
            for (int i = 0; i < nOps; i++)
            {
                var op = sg.TableAt(SubGraphOperators, "operators", i, $"subgraph 0, operator {i}");
                uint ci = op.U32(OperatorOpcodeIndex, "opcode_index");
                if (ci >= (uint)nCodes)
                    throw Fail($"subgraph 0, operator {i}", $"opcode_index {ci} is outside the {nCodes} operator codes");
                var (code, ver, custom) = codes[ci];
                string name = code == 32 ? $"CUSTOM '{custom}'" : OperatorName(code);
                string where = $"subgraph 0, operator {i} ({name})";
                int max = MaxVersion(code);
                if (max == 0)
                    throw Fail(where, $"operator {name} is not supported");
                if (ver < 1 || ver > max)
                    throw Fail(where, $"operator version {ver} is not supported (1..{max})");
                var node = Convert(op, code, where);
                if (_pendingPre is { } pre)
                {
                    _nodeOps[pre] = (i, name);
                    graph.Add(pre);
                    _pendingPre = null;
                }
                _nodeOps[node] = (i, name);
                graph.Add(node);
            }

            foreach (int t in sg.Int32s(SubGraphOutputs, "outputs") ?? Array.Empty<int>())
            {
                var v = TensorRef(t, "subgraph 0 outputs", "output");
                if (!graph.Outputs.Contains(v))
                    graph.Outputs.Add(v);
            }
            if (graph.Outputs.Count == 0)
                throw Fail("subgraph 0", "has no outputs");

            try
            {
                graph.Validate();
            }
            catch (Exception e) when (e is GraphException or OverflowException or ArgumentException or InvalidOperationException)
            {
                throw new ModelFormatException(_v.File, "subgraph 0", e.Message, e);
            }
            CheckInferred(graph);
            MarkClassifierBias(graph);
            return graph;
        }

        // ------------------------------------------------------------------ tensors

        private void ReadTensors(FbTable model, FbTable sg, int nBuffers)
        {
            int n = sg.TableCount(SubGraphTensors, "tensors");
            _values = new Value?[n];
            _declaredShapes = new int[n][];
            _declaredTypes = new DataType[n];
            for (int i = 0; i < n; i++)
            {
                string where = $"subgraph 0, tensor {i}";
                var t = sg.TableAt(SubGraphTensors, "tensors", i, where);
                string name = t.String(TensorName, "name") ?? $"tensor{i}";
                where = $"subgraph 0, tensor {i} '{name}'";
                if (t.Has(TensorSparsity))
                    throw Fail(where, "sparse tensors are not supported");
                int type = t.U8(TensorType, "type");
                DataType dt = type switch
                {
                    TypeFloat32 => DataType.Float32,
                    TypeUInt8 => DataType.UInt8,
                    TypeInt8 => DataType.Int8,
                    TypeInt32 => DataType.Int32,
                    TypeInt64 => DataType.Int64,
                    _ => throw Fail(where, $"tensor type {TypeName(type)} is not supported (FLOAT32, UINT8, INT8, INT32, INT64)"),
                };
                int[] shape = t.Int32s(TensorShape, "shape") ?? Array.Empty<int>();
                if (shape.Length > 8)
                    throw Fail(where, $"rank {shape.Length} is not supported");
                long count = 1;
                foreach (int d in shape)
                {
                    if (d < 1)
                        throw Fail(where, $"shape {Value.FormatShape(shape)} has a dimension < 1");
                    count *= d;
                    if (count > MaxTensorElements)
                        throw Fail(where, $"shape {Value.FormatShape(shape)} has more than {MaxTensorElements} elements");
                }
                var q = ReadQuantization(t, where, dt, shape);
                byte[]? data = null;
                uint bi = t.U32(TensorBuffer, "buffer");
                if (bi >= (uint)nBuffers)
                    throw Fail(where, $"buffer index {bi} is outside the {nBuffers} buffers");
                if (bi != 0)
                {
                    var seg = ReadBuffer(model, (int)bi, where);
                    if (seg.Count > 0)
                    {
                        long expected = count * dt.SizeInBytes();
                        if (seg.Count != expected)
                            throw Fail(where, $"buffer {bi} holds {seg.Count} bytes; shape {Value.FormatShape(shape)} {TypeName(type)} needs {expected}");
                        data = seg.ToArray();
                    }
                }
                _declaredShapes[i] = shape;
                _declaredTypes[i] = dt;
                _values[i] = new Value(name, (int[])shape.Clone(), dt, q, data);
            }
        }

        private ArraySegment<byte> ReadBuffer(FbTable model, int index, string where)
        {
            var b = model.TableAt(ModelBuffers, "buffers", index, $"{where}, buffer {index}");
            if (b.Bytes(BufferData, "data") is { } seg && seg.Count > 0)
                return seg;
            ulong offset = b.U64(BufferOffset, "offset"), size = b.U64(BufferSize, "size");
            if (offset > 1 && size > 0)
            {
                if (offset >= (ulong)_v.Length || size > (ulong)_v.Length - offset)
                    throw Fail($"{where}, buffer {index}", $"external data at offset {offset} (+{size}) lies outside the {_v.Length}-byte file");
                return new ArraySegment<byte>(_v.Data, (int)offset, (int)size);
            }
            return ArraySegment<byte>.Empty;
        }

        private QuantizationParameters? ReadQuantization(FbTable t, string where, DataType dt, int[] shape)
        {
            if (t.Table(TensorQuantization, "quantization", where + " quantization") is not { } qt)
                return null;
            if (qt.U8(QuantDetailsType, "details_type") != 0)
                throw Fail(where, "custom quantization details are not supported");
            float[]? scales = qt.Floats(QuantScale, "scale");
            if (scales is null || scales.Length == 0)
                return null; // min/max only: not quantized for inference
            long[] zps = qt.Int64s(QuantZeroPoint, "zero_point") ?? new long[scales.Length];
            if (zps.Length != scales.Length)
                throw Fail(where, $"{scales.Length} scales but {zps.Length} zero points");
            int axis = qt.I32(QuantDimension, "quantized_dimension");
            if (scales.Length > 1)
            {
                if (axis < 0 || axis >= shape.Length || shape[axis] != scales.Length)
                    throw Fail(where, $"{scales.Length} per-channel scales do not match dimension {axis} of shape {Value.FormatShape(shape)}");
            }
            (long lo, long hi) = dt switch
            {
                DataType.UInt8 => (0L, 255L),
                DataType.Int8 => (-128L, 127L),
                DataType.Int32 or DataType.Int64 => (0L, 0L),
                _ => (long.MinValue, long.MaxValue),
            };
            for (int i = 0; i < scales.Length; i++)
            {
                if (!float.IsFinite(scales[i]) || scales[i] <= 0)
                    throw Fail(where, $"quantization scale {scales[i]} must be positive and finite");
                if (dt != DataType.Float32 && (zps[i] < lo || zps[i] > hi))
                    throw Fail(where, $"zero point {zps[i]} is outside [{lo},{hi}] for {dt}");
            }
            return new QuantizationParameters(scales, zps, scales.Length > 1 ? axis : -1);
        }

        private Value TensorRef(int index, string where, string role)
        {
            if (index < 0 || index >= _values.Length)
                throw Fail(where, $"{role} tensor index {index} is outside the {_values.Length} tensors");
            return _values[index]!;
        }

        // ---------------------------------------------------------------- operators

        private Node Convert(FbTable op, int code, string where)
        {
            int[] ins = op.Int32s(OperatorInputs, "inputs") ?? Array.Empty<int>();
            int[] outs = op.Int32s(OperatorOutputs, "outputs") ?? Array.Empty<int>();
            int optType = op.U8(OperatorOptionsType, "builtin_options_type");
            FbTable? opt = op.Table(OperatorOptions, "builtin_options", where + " options");

            Value In(int i, string role)
            {
                if (i >= ins.Length || ins[i] < 0)
                    throw Fail(where, $"input {i} ({role}) is missing");
                return TensorRef(ins[i], where, $"input {i} ({role})");
            }
            Value? Optional(int i, string role) => i < ins.Length && ins[i] >= 0 ? TensorRef(ins[i], where, $"input {i} ({role})") : null;
            Value Constant(int i, string role)
            {
                var v = In(i, role);
                if (!v.IsConstant)
                    throw Fail(where, $"input {i} ({role}) '{v.Name}' must be a constant tensor");
                return v;
            }
            FbTable Options(int expected, string typeName)
            {
                if (optType != expected || opt is null)
                    throw Fail(where, $"builtin options are {(opt is null ? "absent" : $"of union type {optType}")}; expected {typeName}");
                return opt.Value;
            }
            if (outs.Length != 1 || outs[0] < 0)
                throw Fail(where, $"has {outs.Length} outputs; expected 1");
            var output = TensorRef(outs[0], where, "output 0");
            if (output.IsConstant)
                throw Fail(where, $"output tensor '{output.Name}' has constant data");
            int expectedInputs = code switch
            {
                Conv2D or DepthwiseConv2D or FullyConnected => 3,
                Add or Mean or Pad or Reshape => 2,
                _ => 1,
            };
            if (ins.Length < (code is Reshape ? 1 : code is Conv2D or DepthwiseConv2D or FullyConnected ? 2 : expectedInputs) || ins.Length > expectedInputs)
                throw Fail(where, $"has {ins.Length} inputs");

            switch (code)
            {
                case Conv2D:
                {
                    var o = Options(OptConv2D, "Conv2DOptions");
                    var x = In(0, "input");
                    var w = Constant(1, "filter");
                    var b = Optional(2, "bias");
                    CheckRank(x, 4, where, "input");
                    CheckRank(w, 4, where, "filter");
                    if (o.I32(ConvDilationW, "dilation_w_factor", 1) != 1 || o.I32(ConvDilationH, "dilation_h_factor", 1) != 1)
                        throw Fail(where, "dilated convolution is not supported");
                    var n = new Conv2DNode(output.Name, x, w, b, output);
                    SetWindow(n, where, x, w.Shape[1], w.Shape[2], o.U8(ConvPadding, "padding"), o.I32(ConvStrideH, "stride_h"),
                        o.I32(ConvStrideW, "stride_w"), o.U8(ConvActivation, "fused_activation_function"));
                    return n;
                }
                case DepthwiseConv2D:
                {
                    var o = Options(OptDepthwiseConv2D, "DepthwiseConv2DOptions");
                    var x = In(0, "input");
                    var w = Constant(1, "filter");
                    var b = Optional(2, "bias");
                    CheckRank(x, 4, where, "input");
                    CheckRank(w, 4, where, "filter");
                    int dm = o.I32(DwMultiplier, "depth_multiplier", 1);
                    if (w.Shape[3] != x.Shape[3] || (dm != 1 && dm != 0))
                        throw Fail(where, $"depth multiplier {dm} (filter {Value.FormatShape(w.Shape)} on {x.Shape[3]} channels) is not supported; only 1");
                    if (o.I32(DwDilationW, "dilation_w_factor", 1) != 1 || o.I32(DwDilationH, "dilation_h_factor", 1) != 1)
                        throw Fail(where, "dilated depthwise convolution is not supported");
                    var n = new DepthwiseConv2DNode(output.Name, x, w, b, output);
                    SetWindow(n, where, x, w.Shape[1], w.Shape[2], o.U8(DwPadding, "padding"), o.I32(DwStrideH, "stride_h"),
                        o.I32(DwStrideW, "stride_w"), o.U8(DwActivation, "fused_activation_function"));
                    return n;
                }
                case FullyConnected:
                {
                    var o = Options(OptFullyConnected, "FullyConnectedOptions");
                    if (o.U8(FcWeightsFormat, "weights_format") != 0)
                        throw Fail(where, "shuffled weights format is not supported");
                    var w = Constant(1, "weights");
                    CheckRank(w, 2, where, "weights");
                    var n = new FullyConnectedNode(output.Name, In(0, "input"), w, Optional(2, "bias"), output)
                    {
                        Activation = MapActivation(o.U8(FcActivation, "fused_activation_function"), where),
                    };
                    return n;
                }
                case Add:
                {
                    var o = Options(OptAdd, "AddOptions");
                    var a = In(0, "a");
                    var b = In(1, "b");
                    if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
                        throw Fail(where, $"broadcasting ADD ({Value.FormatShape(a.Shape)} + {Value.FormatShape(b.Shape)}) is not supported");
                    return new AddNode(output.Name, a, b, output) { Activation = MapActivation(o.U8(AddActivation, "fused_activation_function"), where) };
                }
                case AveragePool2D:
                {
                    var o = Options(OptPool2D, "Pool2DOptions");
                    var x = In(0, "input");
                    CheckRank(x, 4, where, "input");
                    int kh = o.I32(PoolFilterH, "filter_height"), kw = o.I32(PoolFilterW, "filter_width");
                    if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096)
                        throw Fail(where, $"filter {kh}x{kw} is invalid");
                    var n = new AveragePool2DNode(output.Name, x, output, kh, kw);
                    SetWindow(n, where, x, kh, kw, o.U8(PoolPadding, "padding"), o.I32(PoolStrideH, "stride_h"),
                        o.I32(PoolStrideW, "stride_w"), o.U8(PoolActivation, "fused_activation_function"));
                    return n;
                }
                case Mean:
                {
                    var x = In(0, "input");
                    CheckRank(x, 4, where, "input");
                    var axes = Constant(1, "axes");
                    if (axes.DataType != DataType.Int32)
                        throw Fail(where, "axes must be INT32");
                    var ax = axes.AsInt32s().ToArray().Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).ToArray();
                    if (!ax.SequenceEqual(new[] { 1, 2 }))
                        throw Fail(where, $"MEAN over axes [{string.Join(",", ax)}] is not supported; only the spatial axes [1,2] (global pooling)");
                    bool keep = optType == OptReducer && opt is { } ro && ro.Bool(ReducerKeepDims, "keep_dims");
                    if (keep)
                        return new GlobalAveragePoolNode(output.Name, x, output);
                    // Global pooling to [N,1,1,C], then a reshape to the declared [N,C].
                    var pooled = new Value(output.Name + "/pooled", new[] { x.Shape[0], 1, 1, x.Shape[3] }, output.DataType, output.Quantization);
                    _pendingPre = new GlobalAveragePoolNode(output.Name + "/pool", x, pooled);
                    return new ReshapeNode(output.Name, pooled, output, new[] { x.Shape[0], x.Shape[3] });
                }
                case Reshape:
                case Squeeze:
                {
                    var x = In(0, "input");
                    return new ReshapeNode(output.Name, x, output, (int[])output.Shape.Clone());
                }
                case Softmax:
                {
                    var o = Options(OptSoftmax, "SoftmaxOptions");
                    float beta = o.F32(SoftmaxBeta, "beta");
                    if (!float.IsFinite(beta) || beta <= 0)
                        throw Fail(where, $"beta {beta} must be positive and finite");
                    return new SoftmaxNode(output.Name, In(0, "input"), output, beta);
                }
                case Pad:
                {
                    var x = In(0, "input");
                    var p = Constant(1, "paddings");
                    int r = x.Rank;
                    if (p.Rank != 2 || p.Shape[0] != r || p.Shape[1] != 2 || p.DataType is not (DataType.Int32 or DataType.Int64))
                        throw Fail(where, $"paddings {Value.FormatShape(p.Shape)} {p.DataType} must be [{r},2] INT32/INT64");
                    var before = new int[r];
                    var after = new int[r];
                    for (int i = 0; i < r; i++)
                    {
                        long b = PadAt(p, 2 * i), a = PadAt(p, 2 * i + 1);
                        if (b < 0 || a < 0 || b > 1 << 16 || a > 1 << 16)
                            throw Fail(where, $"padding {b}/{a} on axis {i} is invalid");
                        before[i] = (int)b;
                        after[i] = (int)a;
                    }
                    return new PadNode(output.Name, x, output, before, after);
                }
                case Relu:
                    return new ActivationNode(output.Name, In(0, "input"), output, Activation.Relu);
                case Relu6:
                    return new ActivationNode(output.Name, In(0, "input"), output, Activation.Relu6);
                case Quantize:
                    return new QuantizeNode(output.Name, In(0, "input"), output);
                case Dequantize:
                    return new DequantizeNode(output.Name, In(0, "input"), output);
                default:
                    throw Fail(where, $"operator {OperatorName(code)} is not supported");
            }
        }

        private Node? _pendingPre;

        private static long PadAt(Value p, int i) => p.DataType == DataType.Int32
            ? p.AsInt32s()[i]
            : BitConverter.ToInt64(p.Data!, 8 * i);

        private void CheckRank(Value v, int rank, string where, string role)
        {
            if (v.Rank != rank)
                throw Fail(where, $"{role} '{v.Name}' has shape {Value.FormatShape(v.Shape)}; expected rank {rank}");
        }

        private Activation MapActivation(int act, string where) => act switch
        {
            ActNone => Activation.None,
            ActRelu => Activation.Relu,
            ActRelu6 => Activation.Relu6,
            _ => throw Fail(where, $"fused activation {act} is not supported (NONE, RELU, RELU6)"),
        };

        private void SetWindow(WindowNode n, string where, Value x, int kh, int kw, int padding, int strideH, int strideW, int act)
        {
            if (strideH < 1 || strideW < 1 || strideH > 1024 || strideW > 1024)
                throw Fail(where, $"stride {strideH}x{strideW} is invalid");
            n.StrideH = strideH;
            n.StrideW = strideW;
            n.Activation = MapActivation(act, where);
            n.Padding = padding switch
            {
                PaddingSame => Padding.Same(x.Shape[1], x.Shape[2], kh, kw, strideH, strideW),
                PaddingValid => Padding.Zero,
                _ => throw Fail(where, $"padding {padding} is not SAME (0) or VALID (1)"),
            };
        }

        /// <summary>TF-slim's parameter rule counts the bias of the classifier convolution only (the other biases come
        /// from folded batch norms): the Conv2D reached from the graph output through reshapes/squeezes/softmax.</summary>
        private static void MarkClassifierBias(ModelGraph graph)
        {
            var v = graph.Outputs[0];
            for (int guard = 0; guard < graph.Nodes.Count && v.Producer is { } p; guard++)
            {
                if (p is Conv2DNode conv)
                {
                    conv.BiasIsParameter = true;
                    return;
                }
                if (p is not (ReshapeNode or SoftmaxNode or QuantizeNode or DequantizeNode))
                    return;
                v = p.Input;
            }
        }

        // ------------------------------------------------------ checks after inference

        private void CheckInferred(ModelGraph graph)
        {
            for (int i = 0; i < _values.Length; i++)
            {
                var v = _values[i]!;
                if (!v.Shape.AsSpan().SequenceEqual(_declaredShapes[i]) && v.Producer is { } p && _nodeOps.TryGetValue(p, out var op))
                    throw Fail($"subgraph 0, operator {op.Index} ({op.Op})",
                        $"output tensor {i} '{v.Name}' is declared {Value.FormatShape(_declaredShapes[i])} but the operator produces {Value.FormatShape(v.Shape)}");
                // Shape inference sets an output's type from its inputs; a tensor declared otherwise (a FLOAT32 or INT32
                // output of a uint8 operator) would otherwise be filled with bytes of another type.
                if (v.DataType != _declaredTypes[i] && v.Producer is { } q && _nodeOps.TryGetValue(q, out var qop))
                    throw Fail($"subgraph 0, operator {qop.Index} ({qop.Op})",
                        $"output tensor {i} '{v.Name}' is declared {_declaredTypes[i].ToString().ToUpperInvariant()} but the operator produces {v.DataType.ToString().ToUpperInvariant()}");
            }
            foreach (var n in graph.Nodes)
            {
                string where = _nodeOps.TryGetValue(n, out var op) ? $"subgraph 0, operator {op.Index} ({op.Op})" : $"subgraph 0, node '{n.Name}'";
                CheckTypes(n, where);
            }
        }

        private void CheckTypes(Node n, string where)
        {
            var x = n.Input;
            var y = n.Output;
            bool quantized = x.DataType is DataType.UInt8 or DataType.Int8;
            switch (n)
            {
                case QuantizeNode:
                    if (y.DataType is not (DataType.UInt8 or DataType.Int8) || y.Quantization is null || y.Quantization.IsPerChannel)
                        throw Fail(where, $"output '{y.Name}' must be per-tensor quantized UINT8/INT8");
                    if (x.DataType != DataType.Float32 && (!quantized || x.Quantization is null))
                        throw Fail(where, $"input '{x.Name}' must be FLOAT32 or quantized");
                    return;
                case DequantizeNode:
                    if (!quantized || x.Quantization is null || x.Quantization.IsPerChannel || y.DataType != DataType.Float32)
                        throw Fail(where, $"needs a per-tensor quantized UINT8/INT8 input and a FLOAT32 output (got {x.DataType} -> {y.DataType})");
                    return;
            }
            if (x.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
                throw Fail(where, $"input '{x.Name}' has type {x.DataType}; FLOAT32, UINT8 or INT8 expected");
            if (y.DataType != x.DataType)
                throw Fail(where, $"output '{y.Name}' is {y.DataType} but input '{x.Name}' is {x.DataType} (mixed/hybrid types are not supported)");
            if (quantized)
            {
                RequirePerTensor(x, where);
                RequirePerTensor(y, where);
            }
            switch (n)
            {
                case AddNode add:
                    var b = add.Inputs[1]!;
                    if (b.DataType != x.DataType)
                        throw Fail(where, $"inputs are {x.DataType} and {b.DataType}");
                    if (quantized)
                        RequirePerTensor(b, where);
                    break;
                case Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode:
                    var w = n.Inputs[1]!;
                    var bias = n.Inputs.Count > 2 ? n.Inputs[2] : null;
                    int axis = n is DepthwiseConv2DNode ? 3 : 0;
                    if (!quantized)
                    {
                        if (w.DataType != DataType.Float32 || (bias is not null && bias.DataType != DataType.Float32))
                            throw Fail(where, $"a FLOAT32 operator needs FLOAT32 weights and bias (got {w.DataType}/{bias?.DataType})");
                        break;
                    }
                    if (w.DataType != x.DataType || w.Quantization is null)
                        throw Fail(where, $"weights '{w.Name}' must be quantized {x.DataType} (got {w.DataType})");
                    if (w.Quantization.IsPerChannel && (w.Quantization.Axis != axis || x.DataType != DataType.Int8))
                        throw Fail(where, $"per-channel weights '{w.Name}' must be INT8 along axis {axis} (got {w.DataType} axis {w.Quantization.Axis})");
                    if (bias is not null && (bias.DataType != DataType.Int32 || !bias.IsConstant))
                        throw Fail(where, $"bias '{bias.Name}' must be a constant INT32 tensor (got {bias.DataType})");
                    break;
                case SoftmaxNode when quantized:
                    if (x.Rank < 1)
                        throw Fail(where, "softmax of a scalar");
                    break;
            }
        }

        private void RequirePerTensor(Value v, string where)
        {
            if (v.Quantization is null || v.Quantization.IsPerChannel)
                throw Fail(where, $"quantized tensor '{v.Name}' needs per-tensor quantization parameters");
        }
    }
}
