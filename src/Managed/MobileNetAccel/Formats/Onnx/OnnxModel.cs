namespace MobileNetAccel.Formats.Onnx;

/// <summary>ONNX TensorProto.DataType values (the ones this library names).</summary>
internal enum OnnxDataType
{
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
    Complex64 = 14,
    Complex128 = 15,
    BFloat16 = 16,
}

/// <summary>ONNX AttributeProto.AttributeType.</summary>
internal enum OnnxAttributeType
{
    Undefined = 0,
    Float = 1,
    Int = 2,
    String = 3,
    Tensor = 4,
    Graph = 5,
    Floats = 6,
    Ints = 7,
    Strings = 8,
    Tensors = 9,
    Graphs = 10,
    SparseTensor = 11,
    SparseTensors = 12,
    TypeProto = 13,
    TypeProtos = 14,
}

/// <summary>An opset import: (domain, version). The default domain is "" (also spelled "ai.onnx").</summary>
internal sealed record OnnxOpset(string Domain, long Version);

/// <summary>ModelProto: what this library reads of it.</summary>
internal sealed class OnnxModel
{
    public long IrVersion { get; internal set; }
    public string ProducerName { get; internal set; } = "";
    public string ProducerVersion { get; internal set; } = "";
    public List<OnnxOpset> Opsets { get; } = new();
    public OnnxGraph Graph { get; internal set; } = new();
    /// <summary>Folder of the model file (external data is resolved against it); null when read from memory.</summary>
    public string? Directory { get; internal set; }
    /// <summary>Name used in messages (the file name, or "&lt;memory&gt;").</summary>
    public string Source { get; internal set; } = "<memory>";

    /// <summary>The version of the default ("" / "ai.onnx") opset.</summary>
    public long DefaultOpset => Opsets.FirstOrDefault(o => o.Domain is "" or "ai.onnx")?.Version ?? 0;
}

/// <summary>GraphProto.</summary>
internal sealed class OnnxGraph
{
    public string Name { get; internal set; } = "";
    public List<OnnxNode> Nodes { get; } = new();
    public List<OnnxTensor> Initializers { get; } = new();
    public List<OnnxValueInfo> Inputs { get; } = new();
    public List<OnnxValueInfo> Outputs { get; } = new();
    public List<OnnxValueInfo> ValueInfo { get; } = new();
    public bool HasSparseInitializers { get; internal set; }
}

/// <summary>NodeProto, with its index in the graph.</summary>
internal sealed class OnnxNode
{
    public int Index { get; internal set; }
    public string Name { get; internal set; } = "";
    public string OpType { get; internal set; } = "";
    public string Domain { get; internal set; } = "";
    public List<string> Inputs { get; } = new();
    public List<string> Outputs { get; } = new();
    public List<OnnxAttribute> Attributes { get; } = new();

    /// <summary>"node 'name' (OpType, #index)" for messages.</summary>
    public string Describe() => $"node '{Name}' ({OpType}, #{Index})";

    public OnnxAttribute? Attribute(string name) => Attributes.FirstOrDefault(a => a.Name == name);
}

/// <summary>AttributeProto.</summary>
internal sealed class OnnxAttribute
{
    public string Name { get; internal set; } = "";
    public OnnxAttributeType Type { get; internal set; }
    public float F { get; internal set; }
    public long I { get; internal set; }
    public byte[] S { get; internal set; } = Array.Empty<byte>();
    public OnnxTensor? T { get; internal set; }
    public OnnxGraph? G { get; internal set; }
    public List<float> Floats { get; } = new();
    public List<long> Ints { get; } = new();
    public List<byte[]> Strings { get; } = new();
    public List<OnnxTensor> Tensors { get; } = new();
    public int Graphs { get; internal set; }
    public string? RefAttrName { get; internal set; }
}

/// <summary>TensorProto with its data decoded to raw little-endian bytes (whatever field or file it came from).</summary>
internal sealed class OnnxTensor
{
    public string Name { get; internal set; } = "";
    public OnnxDataType DataType { get; internal set; }
    public long[] Dims { get; internal set; } = Array.Empty<long>();
    /// <summary>Raw little-endian element data (ElementCount * element size bytes). Null for string tensors.</summary>
    public byte[] Data { get; internal set; } = Array.Empty<byte>();

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (long d in Dims)
                n *= d;
            return n;
        }
    }

    public override string ToString() => $"{Name}[{string.Join(",", Dims)}]:{DataType}";
}

/// <summary>ValueInfoProto for a tensor: element type and shape (a dimension is null when symbolic or absent).</summary>
internal sealed class OnnxValueInfo
{
    public string Name { get; internal set; } = "";
    public OnnxDataType ElementType { get; internal set; }
    public bool HasShape { get; internal set; }
    public List<long?> Dims { get; } = new();
    public List<string?> DimParams { get; } = new();
    /// <summary>True when the type is not a tensor (sequence, map, optional, sparse).</summary>
    public bool IsNonTensor { get; internal set; }
}
