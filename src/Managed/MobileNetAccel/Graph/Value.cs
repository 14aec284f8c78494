using System.Runtime.InteropServices;

namespace MobileNetAccel.Graph;

/// <summary>Element type of a tensor.</summary>
public enum DataType
{
    Float32,
    UInt8,
    Int8,
    Int32,
    Int64,
}

public static class DataTypeExtensions
{
    public static int SizeInBytes(this DataType t) => t switch
    {
        DataType.Float32 or DataType.Int32 => 4,
        DataType.UInt8 or DataType.Int8 => 1,
        DataType.Int64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(t), t, null),
    };
}

/// <summary>Affine quantization: real = scale * (q - zeroPoint). Per-tensor when one scale; per-channel along <see cref="Axis"/>.</summary>
public sealed class QuantizationParameters
{
    public QuantizationParameters(float[] scales, long[] zeroPoints, int axis = -1)
    {
        ArgumentNullException.ThrowIfNull(scales);
        ArgumentNullException.ThrowIfNull(zeroPoints);
        if (scales.Length == 0)
            throw new ArgumentException("at least one scale is required", nameof(scales));
        if (zeroPoints.Length != scales.Length)
            throw new ArgumentException($"{zeroPoints.Length} zero points for {scales.Length} scales", nameof(zeroPoints));
        Scales = scales;
        ZeroPoints = zeroPoints;
        Axis = axis;
    }

    public float[] Scales { get; }
    public long[] ZeroPoints { get; }
    /// <summary>Channel axis for per-channel parameters; -1 (or ignored) for per-tensor.</summary>
    public int Axis { get; }
    public bool IsPerChannel => Scales.Length > 1;
    public float Scale => Scales[0];
    public long ZeroPoint => ZeroPoints[0];

    public override string ToString() => IsPerChannel
        ? $"per-channel(axis {Axis}, {Scales.Length} scales)"
        : $"scale {Scales[0]:G6}, zero point {ZeroPoints[0]}";
}

/// <summary>
/// A tensor in the graph: an edge between nodes, a graph input/output, or a constant (weights).
/// 4-D activations are NHWC. Constant data is stored raw little-endian in <see cref="Data"/>.
/// </summary>
public sealed class Value
{
    public Value(string name, int[] shape, DataType dataType = DataType.Float32, QuantizationParameters? quantization = null, byte[]? data = null)
    {
        ArgumentNullException.ThrowIfNull(name);
        ArgumentNullException.ThrowIfNull(shape);
        Name = name;
        Shape = shape;
        DataType = dataType;
        Quantization = quantization;
        if (data is not null)
            SetData(data);
    }

    public string Name { get; set; }
    /// <summary>Dimensions; an empty array is a scalar. Activations of rank 4 are NHWC.</summary>
    public int[] Shape { get; set; }
    public DataType DataType { get; set; }
    public QuantizationParameters? Quantization { get; set; }
    /// <summary>Raw constant data, or null for a run-time value.</summary>
    public byte[]? Data { get; private set; }
    public bool IsConstant => Data is not null;
    /// <summary>The node that produces this value (null for graph inputs and constants). Maintained by <see cref="ModelGraph"/>.</summary>
    public Node? Producer { get; internal set; }

    public int Rank => Shape.Length;

    public long ElementCount
    {
        get
        {
            long n = 1;
            foreach (int d in Shape)
                n = checked(n * d);
            return n;
        }
    }

    public long SizeInBytes => checked(ElementCount * DataType.SizeInBytes());

    /// <summary>Replaces the constant data; its length must match the shape and type.</summary>
    public void SetData(byte[] data)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (data.LongLength != SizeInBytes)
            throw new ArgumentException($"value '{Name}': {data.Length} bytes of data for shape [{string.Join(",", Shape)}] {DataType} ({SizeInBytes} bytes)", nameof(data));
        Data = data;
    }

    public ReadOnlySpan<float> AsFloats() => DataType == DataType.Float32 && Data is not null
        ? MemoryMarshal.Cast<byte, float>(Data)
        : throw new InvalidOperationException($"value '{Name}' is not a float32 constant");

    public ReadOnlySpan<int> AsInt32s() => DataType == DataType.Int32 && Data is not null
        ? MemoryMarshal.Cast<byte, int>(Data)
        : throw new InvalidOperationException($"value '{Name}' is not an int32 constant");

    /// <summary>A float32 constant.</summary>
    public static Value Constant(string name, int[] shape, ReadOnlySpan<float> data)
    {
        var bytes = MemoryMarshal.AsBytes(data).ToArray();
        return new Value(name, shape, DataType.Float32, null, bytes);
    }

    public static string FormatShape(int[] shape) => "[" + string.Join(",", shape) + "]";

    public override string ToString() => $"{Name}{FormatShape(Shape)}:{DataType}{(IsConstant ? " (const)" : "")}";
}
