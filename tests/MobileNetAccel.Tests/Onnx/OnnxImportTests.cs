using MobileNetAccel.Formats.Onnx;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

[TestFixture]
public class OnnxImportTests
{
    [TestCaseSource(typeof(OnnxModels), nameof(OnnxModels.All))]
    public void SharedModelImportsWithDeclaredInterface(string name)
    {
        var model = OnnxReader.ReadFile(OnnxModels.Path(name));
        Assert.That(model.DefaultOpset, Is.EqualTo(13));
        var graph = OnnxImporter.Import(model);
        TestContext.Out.WriteLine($"{name}: {graph.Nodes.Count} IR nodes: " +
            string.Join(", ", graph.Nodes.GroupBy(n => n.Op).Select(g => $"{g.Key} {g.Count()}")));
        Assert.That(graph.Inputs, Has.Count.EqualTo(1));
        Assert.That(graph.Outputs, Has.Count.EqualTo(1));
        int res = name.EndsWith("224") ? 224 : name.EndsWith("128") ? 128 : 96;
        // The API keeps the file's NCHW input and [1,1000] output; NHWC lives inside.
        Assert.That(graph.Inputs[0].Shape, Is.EqualTo(new[] { 1, 3, res, res }));
        Assert.That(graph.Inputs[0].Name, Is.EqualTo("input"));
        Assert.That(graph.Outputs[0].Shape, Is.EqualTo(new[] { 1, 1000 }));
        Assert.That(graph.Outputs[0].Name, Is.EqualTo("logits"));
        Assert.That(graph.Nodes.OfType<TransposeNode>().Count(), Is.EqualTo(1), "one layout conversion, at the input");
        Assert.That(graph.Nodes.OfType<Conv2DNode>().Count() + graph.Nodes.OfType<DepthwiseConv2DNode>().Count(),
            Is.EqualTo(name.StartsWith("mobilenet_v1") ? 27 : 52));
    }
}
