using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>A tensor whose declared type is not what its operator produces is a <see cref="ModelFormatException"/>
/// naming the tensor (before: shape inference silently retyped it and uint8 bytes were written into a FLOAT32 tensor).</summary>
[TestFixture]
public class DeclaredTypeTests
{
    private static byte[] Conv(int outputType, bool quantizedOutput)
    {
        var m = new B();
        var x = m.Tensor("x", new[] { 1, 4, 4, 2 }, B.UInt8, scales: new[] { 0.05f }, zeroPoints: new[] { 128L });
        var w = m.Tensor("w", new[] { 3, 1, 1, 2 }, B.UInt8, Enumerable.Range(0, 6).Select(i => (byte)(100 + 7 * i)).ToArray(), new[] { 0.02f }, new[] { 120L });
        var b = m.Tensor("b", new[] { 3 }, B.Int32, new[] { 5, -3, 0 }.SelectMany(BitConverter.GetBytes).ToArray());
        var y = quantizedOutput
            ? m.Tensor("conv_out", new[] { 1, 4, 4, 3 }, outputType, scales: new[] { 0.1f }, zeroPoints: new[] { 10L })
            : m.Tensor("conv_out", new[] { 1, 4, 4, 3 }, outputType);
        m.Op(3, new[] { x, w, b }, new[] { y }, 1, B.Conv(1, 1, 0));
        return m.Build(new[] { x }, new[] { y });
    }

    [Test]
    public void MatchingUInt8OutputLoads()
    {
        var g = TfliteReader.Read(Conv(B.UInt8, true), "ok.tflite");
        Assert.That(g.Outputs[0].DataType, Is.EqualTo(DataType.UInt8));
    }

    [TestCase(B.Float32, false, "FLOAT32")]
    [TestCase(B.Int32, true, "INT32")]
    [TestCase(B.Int8, true, "INT8")]
    public void MismatchedOutputTypeNamesTheTensor(int type, bool quantized, string declared)
    {
        var ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(Conv(type, quantized), "bad.tflite"))!;
        Assert.That(ex.Message, Does.Contain("'conv_out'").And.Contain("bad.tflite"), ex.Message);
        Assert.That(ex.Message, Does.Contain(declared).IgnoreCase, ex.Message);
        // Through the public entry point too.
        var path = Path.Combine(Path.GetTempPath(), $"mna-declared-{Guid.NewGuid():N}.tflite");
        File.WriteAllBytes(path, Conv(type, quantized));
        try
        {
            var ex2 = Assert.Throws<ModelFormatException>(() => Model.Load(path))!;
            Assert.That(ex2.Message, Does.Contain("'conv_out'"));
        }
        finally
        {
            File.Delete(path);
        }
    }
}

/// <summary>ONNX: a value_info entry whose element type is not what its operator produces names the tensor.</summary>
[TestFixture]
public class OnnxDeclaredTypeTests
{
    private static byte[] Model(int declaredType) => new MobileNetAccel.Tests.Onnx.OnnxBuilder()
        .Input("x", 1, 4).Output("y", 1, 4)
        .Node("Relu", new[] { "x" }, new[] { "r" })
        .Node("Relu", new[] { "r" }, new[] { "y" })
        .ValueInfoEntry("r", declaredType, 1, 4)
        .Build();

    [Test]
    public void MatchingValueInfoLoads() =>
        Assert.That(MobileNetAccel.Formats.Onnx.OnnxImporter.Import(MobileNetAccel.Formats.Onnx.OnnxReader.Read(Model(1), null, "ok.onnx")).Nodes, Is.Not.Empty);

    [TestCase(7, "Int64")]
    [TestCase(2, "UInt8")]
    [TestCase(11, "Double")]
    public void MismatchedValueInfoNamesTheTensor(int type, string declared)
    {
        var ex = Assert.Throws<ModelFormatException>(() =>
            MobileNetAccel.Formats.Onnx.OnnxImporter.Import(MobileNetAccel.Formats.Onnx.OnnxReader.Read(Model(type), null, "bad.onnx")))!;
        Assert.That(ex.Message, Does.Contain("'r'").And.Contain(declared).And.Contain("bad.onnx"), ex.Message);
    }
}
