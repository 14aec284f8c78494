using Google.FlatBuffers;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>Writes small .tflite files for tests with the FlatBuffers builder, field by field per the public schema
/// (Model, SubGraph, Tensor, Buffer, Operator, OperatorCode, QuantizationParameters, builtin options).</summary>
internal sealed class TfliteModelBuilder
{
    public const int Float32 = 0, Int32 = 2, UInt8 = 3, Int64 = 4, Int8 = 9;

    private sealed record TensorSpec(string Name, int[] Shape, int Type, int Buffer, float[]? Scales, long[]? ZeroPoints, int Axis);
    private sealed record OpSpec(int Code, int[] Inputs, int[] Outputs, int OptionsType, Func<FlatBufferBuilder, int>? Options, int Version);

    private readonly List<byte[]?> _buffers = new() { null };
    private readonly List<TensorSpec> _tensors = new();
    private readonly List<OpSpec> _ops = new();

    public int Tensor(string name, int[] shape, int type, byte[]? data = null, float[]? scales = null, long[]? zeroPoints = null, int axis = 0)
    {
        int buffer = 0;
        if (data is not null)
        {
            _buffers.Add(data);
            buffer = _buffers.Count - 1;
        }
        _tensors.Add(new TensorSpec(name, shape, type, buffer, scales, zeroPoints, axis));
        return _tensors.Count - 1;
    }

    public int Int32Tensor(string name, int[] shape, int[] values) =>
        Tensor(name, shape, Int32, values.SelectMany(BitConverter.GetBytes).ToArray());

    public void Op(int code, int[] inputs, int[] outputs, int optionsType = 0, Func<FlatBufferBuilder, int>? options = null, int version = 1) =>
        _ops.Add(new OpSpec(code, inputs, outputs, optionsType, options, version));

    private static VectorOffset Ints(FlatBufferBuilder b, int[] v)
    {
        b.StartVector(4, v.Length, 4);
        for (int i = v.Length - 1; i >= 0; i--)
            b.AddInt(v[i]);
        return b.EndVector();
    }

    private static VectorOffset Offsets(FlatBufferBuilder b, int[] v)
    {
        b.StartVector(4, v.Length, 4);
        for (int i = v.Length - 1; i >= 0; i--)
            b.AddOffset(v[i]);
        return b.EndVector();
    }

    public byte[] Build(int[] inputs, int[] outputs)
    {
        var b = new FlatBufferBuilder(1024);
        // Buffers.
        var buffers = new int[_buffers.Count];
        for (int i = 0; i < _buffers.Count; i++)
        {
            var data = _buffers[i];
            VectorOffset dv = default;
            if (data is not null)
            {
                b.StartVector(1, data.Length, 16);
                for (int k = data.Length - 1; k >= 0; k--)
                    b.AddByte(data[k]);
                dv = b.EndVector();
            }
            b.StartTable(1);
            if (data is not null)
                b.AddOffset(0, dv.Value, 0);
            buffers[i] = b.EndTable();
        }
        // Tensors.
        var tensors = new int[_tensors.Count];
        for (int i = 0; i < _tensors.Count; i++)
        {
            var t = _tensors[i];
            int quant = 0;
            if (t.Scales is not null)
            {
                b.StartVector(4, t.Scales.Length, 4);
                for (int k = t.Scales.Length - 1; k >= 0; k--)
                    b.AddFloat(t.Scales[k]);
                var sv = b.EndVector();
                var zp = t.ZeroPoints ?? new long[t.Scales.Length];
                b.StartVector(8, zp.Length, 8);
                for (int k = zp.Length - 1; k >= 0; k--)
                    b.AddLong(zp[k]);
                var zv = b.EndVector();
                b.StartTable(7);
                b.AddOffset(2, sv.Value, 0);
                b.AddOffset(3, zv.Value, 0);
                b.AddInt(6, t.Axis, 0);
                quant = b.EndTable();
            }
            var name = b.CreateString(t.Name);
            var shape = Ints(b, t.Shape);
            b.StartTable(5);
            b.AddOffset(0, shape.Value, 0);
            b.AddByte(1, (byte)t.Type, 0);
            b.AddUint(2, (uint)t.Buffer, 0);
            b.AddOffset(3, name.Value, 0);
            if (quant != 0)
                b.AddOffset(4, quant, 0);
            tensors[i] = b.EndTable();
        }
        // Operator codes (one per distinct builtin/version) and operators.
        var codes = _ops.Select(o => (o.Code, o.Version)).Distinct().ToList();
        var ops = new int[_ops.Count];
        for (int i = 0; i < _ops.Count; i++)
        {
            var o = _ops[i];
            int opt = o.Options?.Invoke(b) ?? 0;
            var ins = Ints(b, o.Inputs);
            var outs = Ints(b, o.Outputs);
            b.StartTable(5);
            b.AddUint(0, (uint)codes.IndexOf((o.Code, o.Version)), 0);
            b.AddOffset(1, ins.Value, 0);
            b.AddOffset(2, outs.Value, 0);
            if (opt != 0)
            {
                b.AddByte(3, (byte)o.OptionsType, 0);
                b.AddOffset(4, opt, 0);
            }
            ops[i] = b.EndTable();
        }
        var opcodes = new int[codes.Count];
        for (int i = 0; i < codes.Count; i++)
        {
            b.StartTable(4);
            b.AddByte(0, (byte)Math.Min(codes[i].Code, 127), 0);
            b.AddInt(2, codes[i].Version, 1);
            b.AddInt(3, codes[i].Code, 0);
            opcodes[i] = b.EndTable();
        }
        var tv = Offsets(b, tensors);
        var iv = Ints(b, inputs);
        var ov = Ints(b, outputs);
        var opv = Offsets(b, ops);
        var sgName = b.CreateString("main");
        b.StartTable(5);
        b.AddOffset(0, tv.Value, 0);
        b.AddOffset(1, iv.Value, 0);
        b.AddOffset(2, ov.Value, 0);
        b.AddOffset(3, opv.Value, 0);
        b.AddOffset(4, sgName.Value, 0);
        int subgraph = b.EndTable();
        var sgv = Offsets(b, new[] { subgraph });
        var bv = Offsets(b, buffers);
        var cv = Offsets(b, opcodes);
        var desc = b.CreateString("test model");
        b.StartTable(5);
        b.AddUint(0, 3, 0);
        b.AddOffset(1, cv.Value, 0);
        b.AddOffset(2, sgv.Value, 0);
        b.AddOffset(3, desc.Value, 0);
        b.AddOffset(4, bv.Value, 0);
        int model = b.EndTable();
        b.Finish(model, "TFL3");
        return b.SizedByteArray();
    }

    // ---- option tables
    public static Func<FlatBufferBuilder, int> Conv(int padding, int stride, int act) => b =>
    {
        b.StartTable(6);
        b.AddByte(0, (byte)padding, 0);
        b.AddInt(1, stride, 0);
        b.AddInt(2, stride, 0);
        b.AddByte(3, (byte)act, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Depthwise(int padding, int stride, int act) => b =>
    {
        b.StartTable(7);
        b.AddByte(0, (byte)padding, 0);
        b.AddInt(1, stride, 0);
        b.AddInt(2, stride, 0);
        b.AddInt(3, 1, 0);
        b.AddByte(4, (byte)act, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> DepthwiseDilated(int padding, int strideH, int strideW, int act, int dilationH, int dilationW) => b =>
    {
        b.StartTable(7);
        b.AddByte(0, (byte)padding, 0);
        b.AddInt(1, strideW, 0);
        b.AddInt(2, strideH, 0);
        b.AddInt(3, 1, 0);
        b.AddByte(4, (byte)act, 0);
        b.AddInt(5, dilationW, 1);
        b.AddInt(6, dilationH, 1);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Concatenation(int axis) => b =>
    {
        b.StartTable(2);
        b.AddInt(0, axis, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> ResizeBilinear(bool alignCorners, bool halfPixelCenters) => b =>
    {
        b.StartTable(4);
        b.AddBool(2, alignCorners, false);
        b.AddBool(3, halfPixelCenters, false);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> ArgMax(int outputType) => b =>
    {
        b.StartTable(1);
        b.AddByte(0, (byte)outputType, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Activation(int act) => b =>
    {
        b.StartTable(1);
        b.AddByte(0, (byte)act, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Softmax(float beta) => b =>
    {
        b.StartTable(1);
        b.AddFloat(0, beta, 0);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Reducer(bool keepDims) => b =>
    {
        b.StartTable(1);
        b.AddBool(0, keepDims, false);
        return b.EndTable();
    };

    public static Func<FlatBufferBuilder, int> Empty() => b =>
    {
        b.StartTable(0);
        return b.EndTable();
    };
}
