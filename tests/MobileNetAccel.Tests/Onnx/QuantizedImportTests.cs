using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>Small quantized ONNX graphs: a uint8 graph input whose parameters come from its consumer, the byte
/// transpose of the integer path, and the clear errors of what the integer import does not take.</summary>
[TestFixture]
public class QuantizedImportTests
{
    private const int UInt8 = 2;

    private static Proto Scalar(string name, float v) => OnnxBuilder.Tensor(name, Array.Empty<long>(), new[] { v });

    private static Proto ByteScalar(string name, int type, byte v) =>
        new Proto().Int(2, type).Str(8, name).Bytes_(9, new[] { v });

    [Test]
    public void Uint8InputTakesItsParametersFromTheConsumerAndIsTransposedAsBytes()
    {
        // x (uint8 NCHW [1,2,3,4]) → Transpose(0,2,3,1) → DequantizeLinear(0.5, 10) → y (float NHWC [1,3,4,2])
        var bytes = new OnnxBuilder()
            .TypedInput("x", UInt8, 1, 2, 3, 4)
            .Output("y", 1, 3, 4, 2)
            .Initializer(Scalar("s", 0.5f))
            .Initializer(ByteScalar("z", UInt8, 10))
            .Node("Transpose", new[] { "x" }, new[] { "t" }, "t", ("perm", new long[] { 0, 2, 3, 1 }))
            .Node("DequantizeLinear", new[] { "t", "s", "z" }, new[] { "y" }, "dq")
            .Build();
        var graph = OnnxImporter.Import(OnnxReader.Read(bytes, "", "transpose.onnx"));
        Assert.That(graph.Inputs[0].DataType, Is.EqualTo(DataType.UInt8));
        Assert.That(graph.Inputs[0].Quantization!.Scale, Is.EqualTo(0.5f));
        Assert.That(graph.Inputs[0].Quantization!.ZeroPoint, Is.EqualTo(10));
        var input = Enumerable.Range(0, 24).Select(i => (byte)(i * 7 % 256)).ToArray();
        using var session = new InferenceSession(new Model(graph));
        var output = new byte[24 * 4];
        session.RunRaw(input, output);
        var y = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(output);
        for (int h = 0; h < 3; h++)
            for (int w = 0; w < 4; w++)
                for (int c = 0; c < 2; c++)
                    Assert.That(y[(h * 4 + w) * 2 + c], Is.EqualTo(0.5f * (input[(c * 3 + h) * 4 + w] - 10)), $"y[0,{h},{w},{c}]");
    }

    [Test]
    public void FloatOperatorOnARawIntegerTensorIsNotSupported()
    {
        var bytes = new OnnxBuilder()
            .TypedInput("x", UInt8, 1, 4)
            .Output("y", 1, 4)
            .Node("Relu", new[] { "x" }, new[] { "y" }, "relu")
            .Build();
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Import(OnnxReader.Read(bytes, "", "relu.onnx")));
        Assert.That(e!.Message, Does.Contain("Relu on the UInt8 tensor 'x' is not supported"));
    }

    [Test]
    public void Uint8InputWithoutParametersIsAnError()
    {
        var bytes = new OnnxBuilder()
            .TypedInput("x", UInt8, 1, 4)
            .Output("y", 1, 4)
            .Node("Identity", new[] { "x" }, new[] { "y" }, "id")
            .Build();
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Import(OnnxReader.Read(bytes, "", "id.onnx")));
        Assert.That(e!.Message, Does.Contain("graph input 'x' is UInt8 but no operator gives its scale and zero point"));
    }

    [Test]
    public void NonPositiveScaleIsAnError()
    {
        var bytes = new OnnxBuilder()
            .Input("x", 1, 4)
            .Output("y", 1, 4)
            .Initializer(Scalar("s", 0f))
            .Node("QuantizeLinear", new[] { "x", "s" }, new[] { "q" }, "q")
            .Node("DequantizeLinear", new[] { "q", "s" }, new[] { "y" }, "dq")
            .Build();
        var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Import(OnnxReader.Read(bytes, "", "scale.onnx")));
        Assert.That(e!.Message, Does.Contain("y_scale 0 must be positive and finite"));
    }

    [Test]
    public void WhatIsNotFusedRunsDequantizedAndThePlacementReportSaysSo()
    {
        // x → Q → DQ → Mul by a constant (no integer form) → Q → DQ → y
        var bytes = new OnnxBuilder()
            .Input("x", 1, 4)
            .Output("y", 1, 4)
            .Initializer(Scalar("s", 0.05f))
            .Initializer(ByteScalar("z", UInt8, 128))
            .Initializer("k", new long[] { 1, 4 }, new[] { 1f, -2f, 0.5f, 3f })
            .Node("QuantizeLinear", new[] { "x", "s", "z" }, new[] { "xq" }, "q0")
            .Node("DequantizeLinear", new[] { "xq", "s", "z" }, new[] { "xf" }, "dq0")
            .Node("Mul", new[] { "xf", "k" }, new[] { "m" }, "mul")
            .Node("QuantizeLinear", new[] { "m", "s", "z" }, new[] { "mq" }, "q1")
            .Node("DequantizeLinear", new[] { "mq", "s", "z" }, new[] { "y" }, "dq1")
            .Build();
        using var session = new InferenceSession(new Model(OnnxImporter.Import(OnnxReader.Read(bytes, "", "mul.onnx"))));
        Assert.That(session.Placement.Reasons, Has.Some.Contains("Mul 'mul' runs in float on dequantized values"));
        var y = session.Run(new[] { 1f, 1f, -1f, 0.5f });
        Assert.That(y, Is.EqualTo(new[] { 1f, -2f, -0.5f, 1.5f }).Within(0.026f), "within half a quantum of each rounding");
    }
}
