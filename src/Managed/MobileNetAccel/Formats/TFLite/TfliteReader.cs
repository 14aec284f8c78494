using MobileNetAccel.Graph;
using static MobileNetAccel.Formats.TFLite.TfliteSchema;

namespace MobileNetAccel.Formats.TFLite;

/// <summary>
/// Reads a .tflite file into a <see cref="ModelGraph"/>: subgraph 0's tensors become <see cref="Value"/>s (constants
/// when their buffer holds data, with dtype and quantization), its operators become IR nodes (SAME/VALID padding made
/// explicit, fused activations kept). Everything is validated; any problem raises <see cref="ModelFormatException"/>
/// naming the file, the subgraph/operator/tensor index and what is wrong.
/// Weight layouts match the IR as they are: CONV_2D OHWI, DEPTHWISE_CONV_2D [1,KH,KW,C], FULLY_CONNECTED [M,K].
/// </summary>
internal static partial class TfliteReader
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

    private sealed partial class Reader
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
                var node = Convert(op, code, custom, where);
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
    }
}
