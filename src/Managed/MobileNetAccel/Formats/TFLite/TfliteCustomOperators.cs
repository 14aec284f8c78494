using MobileNetAccel.Graph;
using static MobileNetAccel.Formats.TFLite.TfliteSchema;

namespace MobileNetAccel.Formats.TFLite;

/// <summary>A CUSTOM operator of subgraph 0 as stored: its code, tensor indices and raw custom options.</summary>
internal sealed record TfliteCustomOperator(int Index, string Code, int Version, int[] Inputs, int[] Outputs, byte[] Options,
    int OptionsFormat);

/// <summary>A tensor of subgraph 0 as stored: declared shape and type, raw little-endian data (null when it has none),
/// per-tensor quantization when present.</summary>
internal sealed record TfliteTensor(int Index, string Name, int[] Shape, DataType DataType, byte[]? Data,
    QuantizationParameters? Quantization);

/// <summary>
/// Reads the parts of a .tflite file that the graph reader does not turn into IR: CUSTOM operators with their
/// flexbuffer options (e.g. <c>TFLite_Detection_PostProcess</c>) and single constant tensors (its anchors). All reads
/// go through the bounds-checked <see cref="FlatBufferView"/> and <see cref="FlexBufferReader"/>; malformed data raises
/// <see cref="ModelFormatException"/>.
/// </summary>
internal static class TfliteCustomOperators
{
    public const string DetectionPostProcessCode = "TFLite_Detection_PostProcess";

    /// <summary>Subgraph 0's CUSTOM operators, in execution order.</summary>
    public static List<TfliteCustomOperator> Read(byte[] data, string file)
    {
        ArgumentNullException.ThrowIfNull(data);
        var v = new FlatBufferView(data, file);
        var model = v.Root(FileIdentifier);
        int nCodes = model.TableCount(ModelOperatorCodes, "operator_codes");
        var customCodes = new string?[nCodes];
        var versions = new int[nCodes];
        for (int i = 0; i < nCodes; i++)
        {
            var oc = model.TableAt(ModelOperatorCodes, "operator_codes", i, $"operator code {i}");
            int code = Math.Max((sbyte)oc.U8(OpCodeDeprecatedBuiltin, "deprecated_builtin_code"), oc.I32(OpCodeBuiltin, "builtin_code"));
            customCodes[i] = code == 32 ? oc.String(OpCodeCustom, "custom_code") ?? "" : null;
            versions[i] = oc.I32(OpCodeVersion, "version", 1);
        }
        if (model.TableCount(ModelSubgraphs, "subgraphs") < 1)
            throw v.Fail("model", "has no subgraph");
        var sg = model.TableAt(ModelSubgraphs, "subgraphs", 0, "subgraph 0");
        var r = new List<TfliteCustomOperator>();
        int nOps = sg.TableCount(SubGraphOperators, "operators");
        for (int i = 0; i < nOps; i++)
        {
            string where = $"subgraph 0, operator {i}";
            var op = sg.TableAt(SubGraphOperators, "operators", i, where);
            uint ci = op.U32(OperatorOpcodeIndex, "opcode_index");
            if (ci >= (uint)nCodes)
                throw v.Fail(where, $"opcode_index {ci} is outside the {nCodes} operator codes");
            if (customCodes[ci] is not { } custom)
                continue;
            r.Add(new TfliteCustomOperator(i, custom, versions[ci],
                op.Int32s(OperatorInputs, "inputs") ?? Array.Empty<int>(),
                op.Int32s(OperatorOutputs, "outputs") ?? Array.Empty<int>(),
                op.Bytes(OperatorCustomOptions, "custom_options")?.ToArray() ?? Array.Empty<byte>(),
                op.U8(OperatorCustomOptionsFormat, "custom_options_format")));
        }
        return r;
    }

    /// <summary>Tensor <paramref name="index"/> of subgraph 0: a supported type, per-tensor (or no) quantization, and,
    /// when it has data, a buffer that matches its shape.</summary>
    public static TfliteTensor ReadTensor(byte[] data, string file, int index)
    {
        ArgumentNullException.ThrowIfNull(data);
        var v = new FlatBufferView(data, file);
        var model = v.Root(FileIdentifier);
        if (model.TableCount(ModelSubgraphs, "subgraphs") < 1)
            throw v.Fail("model", "has no subgraph");
        var sg = model.TableAt(ModelSubgraphs, "subgraphs", 0, "subgraph 0");
        int n = sg.TableCount(SubGraphTensors, "tensors");
        if ((uint)index >= (uint)n)
            throw v.Fail("subgraph 0", $"tensor index {index} is outside the {n} tensors");
        string where = $"subgraph 0, tensor {index}";
        var t = sg.TableAt(SubGraphTensors, "tensors", index, where);
        string name = t.String(TensorName, "name") ?? $"tensor{index}";
        where = $"{where} '{name}'";
        int type = t.U8(TensorType, "type");
        DataType dt = type switch
        {
            TypeFloat32 => DataType.Float32,
            TypeUInt8 => DataType.UInt8,
            TypeInt8 => DataType.Int8,
            TypeInt32 => DataType.Int32,
            TypeInt64 => DataType.Int64,
            _ => throw v.Fail(where, $"tensor type {TypeName(type)} is not supported"),
        };
        int[] shape = t.Int32s(TensorShape, "shape") ?? Array.Empty<int>();
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 1 || (count *= d) > TfliteReader.MaxTensorElements)
                throw v.Fail(where, $"shape {Value.FormatShape(shape)} is invalid or too large");
        }
        uint bi = t.U32(TensorBuffer, "buffer");
        int nBuffers = model.TableCount(ModelBuffers, "buffers");
        if (bi >= (uint)nBuffers)
            throw v.Fail(where, $"buffer index {bi} is outside the {nBuffers} buffers");
        byte[]? bytes = null;
        if (bi != 0 && model.TableAt(ModelBuffers, "buffers", (int)bi, $"{where}, buffer {bi}").Bytes(BufferData, "data") is { Count: > 0 } seg)
        {
            long expected = count * dt.SizeInBytes();
            if (seg.Count != expected)
                throw v.Fail(where, $"buffer {bi} holds {seg.Count} bytes; shape {Value.FormatShape(shape)} {dt} needs {expected}");
            bytes = seg.ToArray();
        }
        QuantizationParameters? q = null;
        if (t.Table(TensorQuantization, "quantization", where + " quantization") is { } qt && qt.Floats(QuantScale, "scale") is { Length: > 0 } scales)
        {
            long[] zps = qt.Int64s(QuantZeroPoint, "zero_point") ?? new long[scales.Length];
            if (scales.Length != 1 || zps.Length != 1)
                throw v.Fail(where, $"{scales.Length} scales / {zps.Length} zero points; only per-tensor quantization is read here");
            if (!float.IsFinite(scales[0]) || scales[0] <= 0)
                throw v.Fail(where, $"quantization scale {scales[0]} must be positive and finite");
            q = new QuantizationParameters(scales, zps);
        }
        return new TfliteTensor(index, name, shape, dt, bytes, q);
    }

    /// <summary>Parses and checks the flexbuffer options of <c>TFLite_Detection_PostProcess</c>: the nine keys TFLite
    /// requires, <c>detections_per_class</c> (default 100), <c>use_regular_nms</c> (default false) and
    /// <c>_output_quantized</c>; other keys are ignored, as TFLite does.</summary>
    public static DetectionPostProcessOptions ParseDetectionPostProcessOptions(byte[] options, string file, string where)
    {
        ArgumentNullException.ThrowIfNull(options);
        var reader = new FlexBufferReader(options, file, where);
        var map = reader.Root().AsMap();
        FlexRef Required(string key) => map.TryGet(key, out var r) && !r.IsNull ? r : throw reader.Fail($"custom option '{key}' is missing");
        FlexRef? Optional(string key) => map.TryGet(key, out var r) && !r.IsNull ? r : null;
        float Float(string key) => (float)Required(key).AsDouble();
        var o = new DetectionPostProcessOptions
        {
            MaxDetections = Required("max_detections").AsInt32(),
            MaxClassesPerDetection = Required("max_classes_per_detection").AsInt32(),
            DetectionsPerClass = Optional("detections_per_class")?.AsInt32() ?? 100,
            UseRegularNms = Optional("use_regular_nms")?.AsBool() ?? false,
            NmsScoreThreshold = Float("nms_score_threshold"),
            NmsIouThreshold = Float("nms_iou_threshold"),
            NumClasses = Required("num_classes").AsInt32(),
            YScale = Float("y_scale"),
            XScale = Float("x_scale"),
            HScale = Float("h_scale"),
            WScale = Float("w_scale"),
            OutputQuantized = Optional("_output_quantized")?.AsBool() ?? false,
        };
        if (o.Problem() is { } problem)
            throw reader.Fail(problem);
        return o;
    }

    /// <summary>The options of the first <c>TFLite_Detection_PostProcess</c> operator of the file, with the operator.</summary>
    public static (TfliteCustomOperator Operator, DetectionPostProcessOptions Options) ReadDetectionPostProcess(byte[] data, string file)
    {
        var op = Read(data, file).FirstOrDefault(c => c.Code == DetectionPostProcessCode)
            ?? throw new ModelFormatException(file, "subgraph 0", $"has no {DetectionPostProcessCode} operator");
        string where = $"subgraph 0, operator {op.Index} (CUSTOM '{op.Code}')";
        if (op.OptionsFormat != CustomOptionsFlexBuffers)
            throw new ModelFormatException(file, where, $"custom_options_format {op.OptionsFormat} is not FLEXBUFFERS (0)");
        if (op.Inputs.Length != 3 || op.Outputs.Length != 4)
            throw new ModelFormatException(file, where, $"has {op.Inputs.Length} inputs and {op.Outputs.Length} outputs; expected 3 and 4");
        return (op, ParseDetectionPostProcessOptions(op.Options, file, where + " custom options"));
    }
}
