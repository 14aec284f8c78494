using MobileNetAccel.Graph;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class ShapeInferenceTests
{
    [Test]
    public void ConvChannelMismatchNamesNodeAndShapes()
    {
        var g = new ModelGraph("bad");
        var x = new Value("x", new[] { 1, 8, 8, 3 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new Conv2DNode("features/conv0", x, Const("w", new[] { 16, 3, 3, 4 }), null, Act("y"))).Output);
        var e = Assert.Throws<GraphException>(() => g.Validate())!;
        Assert.That(e.Message, Does.Contain("features/conv0").And.Contain("[16,3,3,4]").And.Contain("[1,8,8,3]"));
    }

    [Test]
    public void AddShapeMismatchNamesNodeAndShapes()
    {
        var g = new ModelGraph("bad");
        var x = new Value("x", new[] { 1, 8, 8, 3 });
        var y = new Value("y", new[] { 1, 4, 4, 3 });
        g.Inputs.Add(x);
        g.Inputs.Add(y);
        g.Outputs.Add(g.Add(new AddNode("block/add", x, y, Act("s"))).Output);
        var e = Assert.Throws<GraphException>(() => g.Validate())!;
        Assert.That(e.Message, Does.Contain("block/add").And.Contain("[1,8,8,3]").And.Contain("[1,4,4,3]"));
    }

    [Test]
    public void WindowLargerThanInputNamesNode()
    {
        var g = new ModelGraph("bad");
        var x = new Value("x", new[] { 1, 2, 2, 3 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new DepthwiseConv2DNode("dw", x, Const("w", new[] { 1, 3, 3, 3 }), null, Act("y"))).Output);
        var e = Assert.Throws<GraphException>(() => g.Validate())!;
        Assert.That(e.Message, Does.Contain("'dw'").And.Contain("3x3"));
    }

    [Test]
    public void BatchChangeThatBreaksAReshapeNamesTheReshape()
    {
        var g = new ModelGraph("fixed reshape");
        var x = new Value("x", new[] { 1, 2, 2, 3 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new ReshapeNode("flatten", x, Act("y"), new[] { 1, 12 })).Output);
        var model = new Model(g);
        var e = Assert.Throws<GraphException>(() => model.WithBatch(2))!;
        Assert.That(e.Message, Does.Contain("flatten").And.Contain("[2,2,2,3]"));
    }

    [Test]
    public void ZooModelsChangeBatch()
    {
        var m = Model.Zoo.MobileNetV2(0.35, 96).WithBatch(3);
        var g = m.Graph;
        Assert.That(g.Inputs[0].Shape, Is.EqualTo(new[] { 3, 96, 96, 3 }));
        Assert.That(g.Outputs[0].Shape, Is.EqualTo(new[] { 3, 1001 }));
        Assert.That(m.MacsPerImage, Is.EqualTo(11_935_408), "MACs are per image");
    }
}
