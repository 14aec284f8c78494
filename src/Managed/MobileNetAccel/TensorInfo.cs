using MobileNetAccel.Graph;

namespace MobileNetAccel;

/// <summary>Metadata of a session input or output.</summary>
/// <param name="Name">Tensor name in the graph.</param>
/// <param name="Shape">Dimensions (4-D tensors are NHWC). A copy: changing it changes nothing.</param>
/// <param name="DataType">Element type.</param>
/// <param name="Quantization">Quantization parameters for uint8/int8 tensors, else null.</param>
public sealed record TensorInfo(string Name, int[] Shape, DataType DataType, QuantizationParameters? Quantization)
{
    /// <summary>For a float input the model quantizes on entry (an ONNX QDQ model's QuantizeLinear, a TFLite
    /// QUANTIZE): the quantized tensor it becomes — same name and shape, the quantized type and parameters. A caller
    /// holding those bytes can feed them directly with <see cref="SessionOptions.QuantizedInput"/>. Null otherwise.</summary>
    public TensorInfo? QuantizedOnEntry { get; init; }

    /// <summary>Number of elements.</summary>
    public long ElementCount => Shape.Aggregate(1L, (a, d) => a * d);

    internal static TensorInfo From(Value v) => new(v.Name, (int[])v.Shape.Clone(), v.DataType, v.Quantization);

    public override string ToString() => $"{Name} {Value.FormatShape(Shape)} {DataType}{(Quantization is null ? "" : " " + Quantization)}";
}
