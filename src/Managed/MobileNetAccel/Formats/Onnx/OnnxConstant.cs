using System.Runtime.InteropServices;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>A problem found while converting a node; the importer turns it into a <see cref="ModelFormatException"/>
/// naming the node.</summary>
internal sealed class OnnxImportProblem : Exception
{
    public OnnxImportProblem(string message) : base(message) { }
}

/// <summary>A constant known at import time, in ONNX layout: float32 or integer (int64/int32/…, held as long).</summary>
internal sealed class OnnxConstant
{
    public OnnxConstant(int[] shape, float[] floats)
    {
        Shape = shape;
        Floats = floats;
    }

    public OnnxConstant(int[] shape, long[] ints)
    {
        Shape = shape;
        Ints = ints;
    }

    public int[] Shape { get; }
    /// <summary>The element type of the tensor this constant was read from (Undefined for constants the importer
    /// computes); quantization reads it to tell uint8 from int8 zero points and weights.</summary>
    public OnnxDataType ElementType { get; init; }
    public float[]? Floats { get; }
    public long[]? Ints { get; }
    public bool IsFloat => Floats is not null;
    public int Count => Floats?.Length ?? Ints!.Length;

    public static OnnxConstant From(OnnxTensor t, string what)
    {
        var shape = new int[t.Dims.Length];
        for (int i = 0; i < shape.Length; i++)
            shape[i] = checked((int)t.Dims[i]);
        long n = t.ElementCount;
        var c = FromData(t, shape, n, what);
        return c.ElementType == t.DataType ? c : new OnnxConstant(c.Shape, c.Floats, c.Ints, t.DataType);
    }

    private OnnxConstant(int[] shape, float[]? floats, long[]? ints, OnnxDataType type)
    {
        Shape = shape;
        Floats = floats;
        Ints = ints;
        ElementType = type;
    }

    private static OnnxConstant FromData(OnnxTensor t, int[] shape, long n, string what)
    {
        var span = t.Data.AsSpan();
        switch (t.DataType)
        {
            case OnnxDataType.Float:
                return new OnnxConstant(shape, MemoryMarshal.Cast<byte, float>(span).ToArray());
            case OnnxDataType.Double:
                return new OnnxConstant(shape, MemoryMarshal.Cast<byte, double>(span).ToArray().Select(d => (float)d).ToArray());
            case OnnxDataType.Int64:
                return new OnnxConstant(shape, MemoryMarshal.Cast<byte, long>(span).ToArray());
            case OnnxDataType.Int32:
                return new OnnxConstant(shape, MemoryMarshal.Cast<byte, int>(span).ToArray().Select(v => (long)v).ToArray());
            case OnnxDataType.Int8:
                return new OnnxConstant(shape, span.ToArray().Select(v => (long)(sbyte)v).ToArray());
            case OnnxDataType.UInt8 or OnnxDataType.Bool:
                return new OnnxConstant(shape, span.ToArray().Select(v => (long)v).ToArray());
            default:
                throw new OnnxImportProblem($"{what}: tensor '{t.Name}' has data type {t.DataType} ({n} elements), which is not supported");
        }
    }

    public float[] RequireFloats(string what) => Floats ?? throw new OnnxImportProblem($"{what} must be a float tensor; it is an integer tensor");
    public long[] RequireInts(string what) => Ints ?? throw new OnnxImportProblem($"{what} must be an integer tensor; it is a float tensor");

    public OnnxConstant WithShape(int[] shape) => new(shape, Floats, Ints, ElementType);

    /// <summary>Permuted copy: output dim i is input dim perm[i].</summary>
    public OnnxConstant Transpose(int[] perm)
    {
        var outShape = perm.Select(p => Shape[p]).ToArray();
        var inStrides = Strides(Shape);
        var src = perm.Select(p => inStrides[p]).ToArray();
        int n = Count, rank = outShape.Length;
        var map = new int[n];
        var idx = new int[rank];
        int offset = 0;
        for (int o = 0; o < n; o++)
        {
            map[o] = offset;
            for (int d = rank - 1; d >= 0; d--)
            {
                offset += src[d];
                if (++idx[d] < outShape[d]) break;
                offset -= src[d] * outShape[d];
                idx[d] = 0;
            }
        }
        if (IsFloat)
        {
            var f = new float[n];
            for (int o = 0; o < n; o++) f[o] = Floats![map[o]];
            return new OnnxConstant(outShape, f, null, ElementType);
        }
        var l = new long[n];
        for (int o = 0; o < n; o++) l[o] = Ints![map[o]];
        return new OnnxConstant(outShape, null, l, ElementType);
    }

    public static int[] Strides(int[] shape)
    {
        var s = new int[shape.Length];
        int acc = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            s[i] = acc;
            acc *= shape[i];
        }
        return s;
    }

    public Value ToValue(string name)
    {
        if (Floats is null)
            throw new OnnxImportProblem($"constant '{name}' is an integer tensor where a float tensor is needed");
        return Value.Constant(name, (int[])Shape.Clone(), Floats);
    }
}
