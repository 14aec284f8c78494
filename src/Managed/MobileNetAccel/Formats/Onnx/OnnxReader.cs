using System.Buffers.Binary;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>
/// Reads ONNX protobuf files by field number (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
/// ValueInfoProto, OperatorSetIdProto). Field numbers are those of onnx.proto. Tensor data is decoded from
/// raw_data, the typed fields, or external files (resolved against the model's folder and checked to stay inside it).
/// Every problem raises <see cref="ModelFormatException"/> naming the file and the element.
/// </summary>
internal static class OnnxReader
{
    /// <summary>Largest tensor accepted (bytes): guards allocations against corrupt dims.</summary>
    public const long MaxTensorBytes = 1L << 31;
    private const int MaxGraphDepth = 8;

    public static OnnxModel ReadFile(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] bytes = BoundedFile.ReadAll(path, ModelFormatException.MaxFileBytes, "model",
            (problem, inner) => inner is null ? new ModelFormatException(path, "", problem) : new ModelFormatException(path, "", problem, inner));
        return Read(bytes, Path.GetDirectoryName(Path.GetFullPath(path)), Path.GetFileName(path));
    }

    /// <summary>Parses a ModelProto. <paramref name="directory"/> is where external data lives (null: external data is an error).</summary>
    public static OnnxModel Read(byte[] bytes, string? directory = null, string source = "<memory>")
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var model = new OnnxModel { Directory = directory, Source = source };
        var ctx = new Context(source, directory);
        var r = new ProtoReader(bytes, 0, bytes.Length, source, "ModelProto");
        bool sawGraph = false;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: model.IrVersion = r.ReadInt64(wire); break;
                case 2: Expect(ref r, wire); model.ProducerName = r.ReadString(); break;
                case 3: Expect(ref r, wire); model.ProducerVersion = r.ReadString(); break;
                case 7:
                    Expect(ref r, wire);
                    if (sawGraph)
                        throw new ModelFormatException(source, "", $"ModelProto has more than one graph");
                    model.Graph = ReadGraph(r.ReadMessage($"graph"), ctx, 0);
                    sawGraph = true;
                    break;
                case 8:
                    Expect(ref r, wire);
                    model.Opsets.Add(ReadOpset(r.ReadMessage($"opset_import")));
                    break;
                default: r.Skip(wire); break;
            }
        }
        if (!sawGraph)
            throw new ModelFormatException(source, "", $"the model has no graph (not an ONNX ModelProto?)");
        if (model.IrVersion <= 0)
            throw new ModelFormatException(source, "", $"ir_version {model.IrVersion} is missing or invalid");
        if (model.IrVersion >= 3 && model.Opsets.Count == 0)
            throw new ModelFormatException(source, "", $"the model has no opset_import (required from IR version 3)");
        foreach (var g in model.Opsets.GroupBy(o => o.Domain == "ai.onnx" ? "" : o.Domain))
            if (g.Count() > 1)
                throw new ModelFormatException(source, "", $"opset_import lists domain '{g.Key}' {g.Count()} times");
        if (model.Opsets.Count == 0)
            model.Opsets.Add(new OnnxOpset("", 1)); // IR < 3: opset 1 implied
        return model;
    }

    /// <summary>Parses a serialized TensorProto (e.g. the input_N.pb / output_N.pb files of ONNX's node tests).</summary>
    public static OnnxTensor ReadTensor(byte[] bytes, string source = "<memory>", string? directory = null)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        return ReadTensor(new ProtoReader(bytes, 0, bytes.Length, source, "TensorProto"), new Context(source, directory));
    }

    private sealed record Context(string Source, string? Directory);

    private static void Expect(ref ProtoReader r, WireType wire) => r.Expect(wire, WireType.LengthDelimited);

    private static OnnxOpset ReadOpset(ProtoReader r)
    {
        string domain = "";
        long version = 0;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: r.Expect(wire, WireType.LengthDelimited); domain = r.ReadString(); break;
                case 2: version = r.ReadInt64(wire); break;
                default: r.Skip(wire); break;
            }
        }
        return new OnnxOpset(domain, version);
    }

    private static OnnxGraph ReadGraph(ProtoReader r, Context ctx, int depth)
    {
        if (depth > MaxGraphDepth)
            throw new ModelFormatException(ctx.Source, "", $"subgraphs nested more than {MaxGraphDepth} deep");
        var g = new OnnxGraph();
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    Expect(ref r, wire);
                    var node = ReadNode(r.ReadMessage($"node #{g.Nodes.Count}"), ctx, depth, g.Nodes.Count);
                    g.Nodes.Add(node);
                    break;
                case 2: Expect(ref r, wire); g.Name = r.ReadString(); break;
                case 5:
                    Expect(ref r, wire);
                    g.Initializers.Add(ReadTensor(r.ReadMessage($"initializer #{g.Initializers.Count}"), ctx));
                    break;
                case 11: Expect(ref r, wire); g.Inputs.Add(ReadValueInfo(r.ReadMessage($"graph input #{g.Inputs.Count}"))); break;
                case 12: Expect(ref r, wire); g.Outputs.Add(ReadValueInfo(r.ReadMessage($"graph output #{g.Outputs.Count}"))); break;
                case 13: Expect(ref r, wire); g.ValueInfo.Add(ReadValueInfo(r.ReadMessage($"value_info #{g.ValueInfo.Count}"))); break;
                case 15: r.Skip(wire); g.HasSparseInitializers = true; break;
                default: r.Skip(wire); break;
            }
        }
        return g;
    }

    private static OnnxNode ReadNode(ProtoReader r, Context ctx, int depth, int index)
    {
        var n = new OnnxNode { Index = index };
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: Expect(ref r, wire); n.Inputs.Add(r.ReadString()); break;
                case 2: Expect(ref r, wire); n.Outputs.Add(r.ReadString()); break;
                case 3: Expect(ref r, wire); n.Name = r.ReadString(); break;
                case 4: Expect(ref r, wire); n.OpType = r.ReadString(); break;
                case 5:
                    Expect(ref r, wire);
                    n.Attributes.Add(ReadAttribute(r.ReadMessage($"node #{index} attribute #{n.Attributes.Count}"), ctx, depth));
                    break;
                case 7: Expect(ref r, wire); n.Domain = r.ReadString(); break;
                default: r.Skip(wire); break;
            }
        }
        if (n.OpType.Length == 0)
            throw new ModelFormatException(ctx.Source, "", $"{n.Describe()} has no op_type");
        var names = new HashSet<string>();
        foreach (var a in n.Attributes)
        {
            if (a.Name.Length == 0)
                throw new ModelFormatException(ctx.Source, "", $"{n.Describe()} has an attribute without a name");
            if (!names.Add(a.Name))
                throw new ModelFormatException(ctx.Source, "", $"{n.Describe()} has attribute '{a.Name}' twice");
        }
        return n;
    }

    private static OnnxAttribute ReadAttribute(ProtoReader r, Context ctx, int depth)
    {
        var a = new OnnxAttribute();
        bool hasF = false, hasI = false, hasS = false;
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: Expect(ref r, wire); a.Name = r.ReadString(); break;
                case 2: a.F = r.ReadFloat(wire); hasF = true; break;
                case 3: a.I = r.ReadInt64(wire); hasI = true; break;
                case 4: Expect(ref r, wire); a.S = r.ReadBytes(); hasS = true; break;
                case 5: Expect(ref r, wire); a.T = ReadTensor(r.ReadMessage($"attribute tensor"), ctx); break;
                case 6: Expect(ref r, wire); a.G = ReadGraph(r.ReadMessage($"attribute graph"), ctx, depth + 1); break;
                case 7: r.ReadRepeatedFloat(wire, a.Floats); break;
                case 8: r.ReadRepeatedVarint(wire, a.Ints); break;
                case 9: Expect(ref r, wire); a.Strings.Add(r.ReadBytes()); break;
                case 10: Expect(ref r, wire); a.Tensors.Add(ReadTensor(r.ReadMessage($"attribute tensors"), ctx)); break;
                case 11: r.Skip(wire); a.Graphs++; break;
                case 20:
                    int t = r.ReadInt32(wire);
                    if (t < 0 || t > (int)OnnxAttributeType.TypeProtos)
                        throw new ModelFormatException(ctx.Source, "", $"attribute '{a.Name}' has unknown type {t}");
                    a.Type = (OnnxAttributeType)t;
                    break;
                case 21: Expect(ref r, wire); a.RefAttrName = r.ReadString(); break;
                default: r.Skip(wire); break;
            }
        }
        if (a.Type == OnnxAttributeType.Undefined)
        {
            // IR version 1 models may omit the type: infer it from the one field present.
            a.Type = a.T is not null ? OnnxAttributeType.Tensor
                : a.G is not null ? OnnxAttributeType.Graph
                : a.Floats.Count > 0 ? OnnxAttributeType.Floats
                : a.Ints.Count > 0 ? OnnxAttributeType.Ints
                : a.Strings.Count > 0 ? OnnxAttributeType.Strings
                : a.Tensors.Count > 0 ? OnnxAttributeType.Tensors
                : hasF ? OnnxAttributeType.Float
                : hasI ? OnnxAttributeType.Int
                : hasS ? OnnxAttributeType.String
                : OnnxAttributeType.Undefined;
        }
        return a;
    }

    private static OnnxValueInfo ReadValueInfo(ProtoReader r)
    {
        var v = new OnnxValueInfo();
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: Expect(ref r, wire); v.Name = r.ReadString(); break;
                case 2: Expect(ref r, wire); ReadType(r.ReadMessage("TypeProto"), v); break;
                default: r.Skip(wire); break;
            }
        }
        return v;
    }

    private static void ReadType(ProtoReader r, OnnxValueInfo v)
    {
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1:
                    Expect(ref r, wire);
                    var t = r.ReadMessage("TypeProto.Tensor");
                    while (t.Next(out int f2, out var w2))
                    {
                        switch (f2)
                        {
                            case 1: v.ElementType = (OnnxDataType)t.ReadInt32(w2); break;
                            case 2:
                                t.Expect(w2, WireType.LengthDelimited);
                                v.HasShape = true;
                                v.Dims.Clear();
                                v.DimParams.Clear();
                                var s = t.ReadMessage("TensorShapeProto");
                                while (s.Next(out int f3, out var w3))
                                {
                                    if (f3 != 1)
                                    {
                                        s.Skip(w3);
                                        continue;
                                    }
                                    s.Expect(w3, WireType.LengthDelimited);
                                    var d = s.ReadMessage("TensorShapeProto.Dimension");
                                    long? value = null;
                                    string? param = null;
                                    while (d.Next(out int f4, out var w4))
                                    {
                                        if (f4 == 1) value = d.ReadInt64(w4);
                                        else if (f4 == 2) { d.Expect(w4, WireType.LengthDelimited); param = d.ReadString(); }
                                        else d.Skip(w4);
                                    }
                                    v.Dims.Add(value);
                                    v.DimParams.Add(param);
                                }
                                break;
                            default: t.Skip(w2); break;
                        }
                    }
                    break;
                case 4 or 5 or 8 or 9: r.Skip(wire); v.IsNonTensor = true; break;
                default: r.Skip(wire); break;
            }
        }
    }

    /// <summary>Size in bytes of one element, or 0 for types without fixed-size storage here (string).</summary>
    public static int ElementSize(OnnxDataType t) => t switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Double or OnnxDataType.UInt64 or OnnxDataType.Complex64 => 8,
        OnnxDataType.Complex128 => 16,
        _ => 0,
    };

    private static OnnxTensor ReadTensor(ProtoReader r, Context ctx)
    {
        var t = new OnnxTensor();
        var dims = new List<long>();
        byte[]? raw = null;
        List<float>? floats = null;
        List<long>? int32s = null, int64s = null, uint64s = null;
        List<double>? doubles = null;
        bool external = false, hasStrings = false, hasSegment = false;
        var externalInfo = new Dictionary<string, string>();
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: r.ReadRepeatedVarint(wire, dims); break;
                case 2:
                    int dt = r.ReadInt32(wire);
                    t.DataType = (OnnxDataType)dt;
                    break;
                case 3: r.Skip(wire); hasSegment = true; break;
                case 4: r.ReadRepeatedFloat(wire, floats ??= new()); break;
                case 5: r.ReadRepeatedVarint(wire, int32s ??= new()); break;
                case 6: r.Skip(wire); hasStrings = true; break;
                case 7: r.ReadRepeatedVarint(wire, int64s ??= new()); break;
                case 8: Expect(ref r, wire); t.Name = r.ReadString(); break;
                case 9: Expect(ref r, wire); raw = r.ReadBytes(); break;
                case 10: r.ReadRepeatedDouble(wire, doubles ??= new()); break;
                case 11: r.ReadRepeatedVarint(wire, uint64s ??= new()); break;
                case 13:
                    Expect(ref r, wire);
                    var e = r.ReadMessage("StringStringEntryProto");
                    string key = "", value = "";
                    while (e.Next(out int f2, out var w2))
                    {
                        if (f2 == 1) { e.Expect(w2, WireType.LengthDelimited); key = e.ReadString(); }
                        else if (f2 == 2) { e.Expect(w2, WireType.LengthDelimited); value = e.ReadString(); }
                        else e.Skip(w2);
                    }
                    externalInfo[key] = value;
                    break;
                case 14: external = r.ReadInt32(wire) == 1; break;
                default: r.Skip(wire); break;
            }
        }
        string what = $"tensor '{t.Name}'";
        if (hasSegment)
            throw new ModelFormatException(ctx.Source, what, $"segmented tensors are not supported");
        foreach (long d in dims)
            if (d < 0 || d > int.MaxValue)
                throw new ModelFormatException(ctx.Source, what, $"dimension {d} is out of range");
        t.Dims = dims.ToArray();
        if (t.DataType == OnnxDataType.String || hasStrings)
        {
            if (t.DataType != OnnxDataType.String)
                throw new ModelFormatException(ctx.Source, what, $"string_data in a tensor of type {t.DataType}");
            t.Data = Array.Empty<byte>();
            return t;
        }
        int size = ElementSize(t.DataType);
        if (size == 0)
            throw new ModelFormatException(ctx.Source, what, $"unknown or unsupported data type {(int)t.DataType}");
        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
            if (count * size > MaxTensorBytes)
                throw new ModelFormatException(ctx.Source, what, $"shape [{string.Join(",", dims)}] is larger than {MaxTensorBytes} bytes");
        }
        long bytes = count * size;

        int sources = (raw is not null ? 1 : 0) + (external ? 1 : 0) + (floats is not null ? 1 : 0) + (int32s is not null ? 1 : 0)
            + (int64s is not null ? 1 : 0) + (doubles is not null ? 1 : 0) + (uint64s is not null ? 1 : 0);
        if (sources > 1)
            throw new ModelFormatException(ctx.Source, what, $"data is given in more than one field");
        if (external)
        {
            t.Data = ReadExternal(externalInfo, ctx, what, bytes);
            return t;
        }
        if (raw is not null)
        {
            if (raw.LongLength != bytes)
                throw new ModelFormatException(ctx.Source, what, $"raw_data has {raw.Length} bytes; shape [{string.Join(",", dims)}] {t.DataType} needs {bytes}");
            t.Data = raw;
            return t;
        }
        var data = new byte[bytes];
        long have;
        switch (t.DataType)
        {
            case OnnxDataType.Float or OnnxDataType.Complex64:
                have = floats?.Count ?? 0;
                Check(have, count * (t.DataType == OnnxDataType.Complex64 ? 2 : 1), "float_data", ctx, what, int32s, int64s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), floats![i]);
                break;
            case OnnxDataType.Int32 or OnnxDataType.Int16 or OnnxDataType.Int8 or OnnxDataType.UInt16 or OnnxDataType.UInt8
                or OnnxDataType.Bool or OnnxDataType.Float16 or OnnxDataType.BFloat16:
                have = int32s?.Count ?? 0;
                Check(have, count, "int32_data", ctx, what, floats, int64s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                {
                    long v = int32s![i];
                    switch (size)
                    {
                        case 4: BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * 4), (int)v); break;
                        case 2: BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), (ushort)v); break;
                        default: data[i] = (byte)v; break;
                    }
                }
                break;
            case OnnxDataType.Int64:
                have = int64s?.Count ?? 0;
                Check(have, count, "int64_data", ctx, what, floats, int32s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), int64s![i]);
                break;
            case OnnxDataType.Double or OnnxDataType.Complex128:
                have = doubles?.Count ?? 0;
                Check(have, count * (t.DataType == OnnxDataType.Complex128 ? 2 : 1), "double_data", ctx, what, floats, int32s, int64s, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), doubles![i]);
                break;
            case OnnxDataType.UInt32 or OnnxDataType.UInt64:
                have = uint64s?.Count ?? 0;
                Check(have, count, "uint64_data", ctx, what, floats, int32s, int64s, doubles);
                for (int i = 0; i < have; i++)
                {
                    if (size == 4) BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(i * 4), (uint)uint64s![i]);
                    else BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), uint64s![i]);
                }
                break;
            default:
                throw new ModelFormatException(ctx.Source, what, $"unsupported data type {t.DataType}");
        }
        t.Data = data;
        return t;
    }

    private static void Check(long have, long need, string field, Context ctx, string what, params object?[] others)
    {
        if (others.Any(o => o is not null))
            throw new ModelFormatException(ctx.Source, what, $"data is stored in a field that does not match its data type (expected {field})");
        if (have != need)
            throw new ModelFormatException(ctx.Source, what, $"{field} has {have} elements; the shape needs {need}");
    }

    private static byte[] ReadExternal(Dictionary<string, string> info, Context ctx, string what, long bytes)
    {
        if (ctx.Directory is null)
            throw new ModelFormatException(ctx.Source, what, $"external data needs the model's folder (load the model from a file)");
        if (!info.TryGetValue("location", out string? location) || location.Length == 0)
            throw new ModelFormatException(ctx.Source, what, $"external data without a 'location'");
        long offset = 0, length = -1;
        if (info.TryGetValue("offset", out string? o) && (!long.TryParse(o, out offset) || offset < 0))
            throw new ModelFormatException(ctx.Source, what, $"external data offset '{o}' is invalid");
        if (info.TryGetValue("length", out string? l) && (!long.TryParse(l, out length) || length < 0))
            throw new ModelFormatException(ctx.Source, what, $"external data length '{l}' is invalid");
        if (length >= 0 && length != bytes)
            throw new ModelFormatException(ctx.Source, what, $"external data length {length} does not match the {bytes} bytes its shape needs");
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new ModelFormatException(ctx.Source, what, $"external data location '{location}' must be a relative path inside the model's folder");
        string root = Path.GetFullPath(ctx.Directory);
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new ModelFormatException(ctx.Source, what, $"external data location '{location}' leaves the model's folder");
        try
        {
            var file = new FileInfo(full);
            if (!file.Exists)
                throw new ModelFormatException(ctx.Source, what, $"external data file '{location}' does not exist");
            // A symbolic link must not lead outside the folder either.
            if (file.LinkTarget is not null)
            {
                var target = file.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !Path.GetFullPath(target.FullName).StartsWith(rootWithSep, StringComparison.Ordinal))
                    throw new ModelFormatException(ctx.Source, what, $"external data file '{location}' is a link that leaves the model's folder");
            }
            if (offset > file.Length || bytes > file.Length - offset)
                throw new ModelFormatException(ctx.Source, what, $"external data '{location}' has {file.Length} bytes; {bytes} needed at offset {offset}");
            var data = new byte[bytes];
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(data);
            return data;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ctx.Source, what, $"cannot read external data '{location}': {e.Message}", e);
        }
    }
}
