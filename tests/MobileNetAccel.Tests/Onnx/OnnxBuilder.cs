using System.Text;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>Writes protobuf messages by field number, to build small ONNX models for tests (field numbers of onnx.proto).</summary>
internal sealed class Proto
{
    private readonly List<byte> _b = new();

    public byte[] Bytes => _b.ToArray();

    private void Varint(ulong v)
    {
        while (v >= 0x80)
        {
            _b.Add((byte)(v | 0x80));
            v >>= 7;
        }
        _b.Add((byte)v);
    }

    private void Tag(int field, int wire) => Varint((ulong)(field << 3 | wire));

    public Proto Int(int field, long v)
    {
        Tag(field, 0);
        Varint((ulong)v);
        return this;
    }

    public Proto Float(int field, float v)
    {
        Tag(field, 5);
        _b.AddRange(BitConverter.GetBytes(v));
        return this;
    }

    public Proto Bytes_(int field, byte[] v)
    {
        Tag(field, 2);
        Varint((ulong)v.Length);
        _b.AddRange(v);
        return this;
    }

    public Proto Str(int field, string v) => Bytes_(field, Encoding.UTF8.GetBytes(v));
    public Proto Msg(int field, Proto m) => Bytes_(field, m.Bytes);
}

/// <summary>Builds ONNX ModelProtos (opset given) from nodes, initializers and typed inputs/outputs.</summary>
internal sealed class OnnxBuilder
{
    private readonly Proto _graph = new();
    private readonly int _opset;

    public OnnxBuilder(int opset = 13) => _opset = opset;

    public OnnxBuilder Input(string name, params long[] dims)
    {
        _graph.Msg(11, ValueInfo(name, dims));
        return this;
    }

    /// <summary>A graph input of an ONNX element type (UINT8 = 2, INT8 = 3, …).</summary>
    public OnnxBuilder TypedInput(string name, int elementType, params long[] dims)
    {
        _graph.Msg(11, ValueInfo(name, dims, elementType));
        return this;
    }

    public OnnxBuilder Output(string name, params long[] dims)
    {
        _graph.Msg(12, ValueInfo(name, dims));
        return this;
    }

    /// <summary>A graph output of an ONNX element type (INT64 = 7, …).</summary>
    public OnnxBuilder TypedOutput(string name, int elementType, params long[] dims)
    {
        _graph.Msg(12, ValueInfo(name, dims, elementType));
        return this;
    }

    /// <summary>A graph value_info entry (field 13) declaring <paramref name="name"/> with an ONNX element type.</summary>
    public OnnxBuilder ValueInfoEntry(string name, int elementType, params long[] dims)
    {
        _graph.Msg(13, ValueInfo(name, dims, elementType));
        return this;
    }

    private static Proto ValueInfo(string name, long[] dims, int elementType = 1)
    {
        var shape = new Proto();
        foreach (long d in dims)
            shape.Msg(1, new Proto().Int(1, d));
        var tensorType = new Proto().Int(1, elementType).Msg(2, shape);
        return new Proto().Str(1, name).Msg(2, new Proto().Msg(1, tensorType));
    }

    public static Proto Tensor(string name, long[] dims, float[] data)
    {
        var t = new Proto();
        foreach (long d in dims)
            t.Int(1, d);
        t.Int(2, 1).Str(8, name);
        var raw = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
        return t.Bytes_(9, raw);
    }

    /// <summary>A tensor of ONNX element type <paramref name="dataType"/> (UINT8=2, INT8=3, INT32=6, …) from its
    /// little-endian bytes (raw_data, field 9).</summary>
    public static Proto RawTensor(string name, int dataType, long[] dims, byte[] raw)
    {
        var t = new Proto();
        foreach (long d in dims)
            t.Int(1, d);
        return t.Int(2, dataType).Str(8, name).Bytes_(9, raw);
    }

    public static Proto UInt8Tensor(string name, long[] dims, byte[] data) => RawTensor(name, 2, dims, data);

    public static Proto Int8Tensor(string name, long[] dims, sbyte[] data) =>
        RawTensor(name, 3, dims, data.Select(v => unchecked((byte)v)).ToArray());

    public static Proto Int32Tensor(string name, long[] dims, int[] data)
    {
        var raw = new byte[data.Length * 4];
        Buffer.BlockCopy(data, 0, raw, 0, raw.Length);
        return RawTensor(name, 6, dims, raw);
    }

    public static Proto Int64Tensor(string name, long[] dims, long[] data)
    {
        var t = new Proto();
        foreach (long d in dims)
            t.Int(1, d);
        t.Int(2, 7).Str(8, name);
        foreach (long v in data)
            t.Int(7, v);
        return t;
    }

    public OnnxBuilder Initializer(Proto tensor)
    {
        _graph.Msg(5, tensor);
        return this;
    }

    public OnnxBuilder Initializer(string name, long[] dims, float[] data) => Initializer(Tensor(name, dims, data));

    /// <summary>Adds a node; attributes are (name, value) with value an int, long, float, string, long[] or float[].</summary>
    public OnnxBuilder Node(string op, string[] inputs, string[] outputs, string name = "", params (string Name, object Value)[] attributes)
    {
        var n = new Proto();
        foreach (var i in inputs)
            n.Str(1, i);
        foreach (var o in outputs)
            n.Str(2, o);
        if (name.Length > 0)
            n.Str(3, name);
        n.Str(4, op);
        foreach (var (an, av) in attributes)
        {
            var a = new Proto().Str(1, an);
            switch (av)
            {
                case int i: a.Int(3, i).Int(20, 2); break;
                case long l: a.Int(3, l).Int(20, 2); break;
                case float f: a.Float(2, f).Int(20, 1); break;
                case string s: a.Str(4, s).Int(20, 3); break;
                case long[] ls:
                    foreach (long l in ls) a.Int(8, l);
                    a.Int(20, 7);
                    break;
                case float[] fs:
                    foreach (float f in fs) a.Float(7, f);
                    a.Int(20, 6);
                    break;
                case Proto t: a.Msg(5, t).Int(20, 4); break;
                default: throw new ArgumentException($"attribute type {av.GetType()}");
            }
            n.Msg(5, a);
        }
        _graph.Msg(1, n);
        return this;
    }

    public byte[] Build()
    {
        var g = _graph.Bytes;
        var model = new Proto().Int(1, 8).Str(2, "MobileNetAccel.Tests").Bytes_(7, g).Msg(8, new Proto().Str(1, "").Int(2, _opset));
        return model.Bytes;
    }
}
