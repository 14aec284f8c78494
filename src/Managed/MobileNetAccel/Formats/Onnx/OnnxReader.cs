using System.Buffers.Binary;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>
/// Reads ONNX protobuf files by field number (ModelProto, GraphProto, NodeProto, AttributeProto, TensorProto,
/// ValueInfoProto, OperatorSetIdProto). Field numbers are those of onnx.proto. Tensor data is decoded from
/// raw_data, the typed fields, or external files (resolved against the model's folder and checked to stay inside it).
/// Every problem raises <see cref="ModelFormatException"/> naming the file and the element.
/// </summary>
internal static partial class OnnxReader
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
}
