using System.Text.Json;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

[TestFixture]
public class TfliteReaderTests
{
    public static readonly string[] Models = { "mobilenet_v1_0.25_128_quant", "mobilenet_v1_0.5_160_quant", "mobilenet_v2_1.0_224_quant" };

    [TestCaseSource(nameof(Models))]
    public void ImportsGraphWithReferenceMetadata(string model)
    {
        var g = TfliteReader.Load(TestData.Require($"models/tflite/{model}.tflite"));
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require("models/tflite/reference/reference.json")));
        var m = doc.RootElement.GetProperty("models").GetProperty(model);

        void CheckIo(Value v, JsonElement e)
        {
            Assert.That(v.Name, Is.EqualTo(e.GetProperty("name").GetString()));
            Assert.That(v.Shape, Is.EqualTo(e.GetProperty("shape").EnumerateArray().Select(x => x.GetInt32()).ToArray()));
            Assert.That(v.DataType, Is.EqualTo(DataType.UInt8));
            Assert.That(v.Quantization!.Scale, Is.EqualTo(e.GetProperty("scale").GetSingle()));
            Assert.That(v.Quantization!.ZeroPoint, Is.EqualTo(e.GetProperty("zero_point").GetInt64()));
        }
        Assert.That(g.Inputs, Has.Count.EqualTo(1));
        Assert.That(g.Outputs, Has.Count.EqualTo(1));
        CheckIo(g.Inputs[0], m.GetProperty("input"));
        CheckIo(g.Outputs[0], m.GetProperty("output"));

        var counts = m.GetProperty("operators").GetProperty("operator_counts");
        var expected = new Dictionary<OpType, int>();
        foreach (var p in counts.EnumerateObject())
        {
            var op = p.Name switch
            {
                "CONV_2D" => OpType.Conv2D,
                "DEPTHWISE_CONV_2D" => OpType.DepthwiseConv2D,
                "AVERAGE_POOL_2D" => OpType.AveragePool2D,
                "RESHAPE" => OpType.Reshape,
                "SOFTMAX" => OpType.Softmax,
                "ADD" => OpType.Add,
                _ => throw new AssertionException($"unexpected operator {p.Name} in reference.json"),
            };
            expected[op] = p.Value.GetInt32();
        }
        var actual = g.Nodes.GroupBy(n => n.Op).ToDictionary(x => x.Key, x => x.Count());
        Assert.That(actual, Is.EquivalentTo(expected));
        // Every conv / depthwise has uint8 weights, int32 bias and the fused activation the variant list names.
        int relu6 = g.Nodes.OfType<WindowNode>().Count(n => n.Activation == MobileNetAccel.Graph.Activation.Relu6);
        int expectedRelu6 = m.GetProperty("operators").GetProperty("operator_variants").EnumerateObject()
            .Where(p => p.Name.Contains("RELU6")).Sum(p => p.Value.GetInt32());
        Assert.That(relu6, Is.EqualTo(expectedRelu6));
        foreach (var n in g.Nodes.Where(n => n is Conv2DNode or DepthwiseConv2DNode))
        {
            Assert.That(n.Inputs[1]!.DataType, Is.EqualTo(DataType.UInt8), n.Name);
            Assert.That(n.Inputs[2]!.DataType, Is.EqualTo(DataType.Int32), n.Name);
        }
        TestContext.Out.WriteLine($"{model}: {g.Nodes.Count} nodes, {g.TotalParameters} parameters, {g.TotalMacs} MACs");
    }

    [Test]
    public void RejectsNonTfliteAndTruncatedFiles()
    {
        var ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(new byte[] { 1, 2, 3 }, "tiny.tflite"))!;
        Assert.That(ex.Message, Does.StartWith("tiny.tflite:"));
        var bytes = File.ReadAllBytes(TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"));
        var cut = bytes.AsSpan(0, bytes.Length / 2).ToArray();
        ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(cut, "half.tflite"))!;
        TestContext.Out.WriteLine(ex.Message);
        Assert.That(ex.Message, Does.StartWith("half.tflite:"));
    }
}
