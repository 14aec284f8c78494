using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class IdentityReshapeRemovalTests
{
    [Test]
    public void RemovesIdentityReshapesAndKeepsRealOnes()
    {
        var g = new ModelGraph("reshape");
        var x = new Value("x", new[] { 2, 3, 3, 4 });
        g.Inputs.Add(x);
        var r1 = g.Add(new ReshapeNode("same", x, Act("r1"), new[] { 2, 3, 3, -1 }));
        var relu = g.Add(new ActivationNode("relu", r1.Output, Act("relu"), Activation.Relu));
        var r2 = g.Add(new ReshapeNode("flatten", relu.Output, Act("r2"), new[] { 2, -1 }));
        var r3 = g.Add(new ReshapeNode("same-at-end", r2.Output, Act("out"), new[] { 2, 36 }));
        g.Outputs.Add(r3.Output);
        g.Validate();
        var input = Random(72, 9);
        var before = RunManaged(g, input);
        Assert.That(new IdentityReshapeRemovalPass().Run(g), Is.EqualTo(2));
        Assert.That(g.Nodes.Select(n => n.Name), Is.EqualTo(new[] { "relu", "flatten" }));
        Assert.That(g.Outputs[0].Name, Is.EqualTo("out"), "the graph output keeps its name");
        AssertClose(before, RunManaged(g, input), 0, "after removal");
    }

    [Test]
    public void KeepsAReshapeFromGraphInputToGraphOutput()
    {
        var g = new ModelGraph("reshape");
        var x = new Value("x", new[] { 2, 3 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new ReshapeNode("same", x, Act("y"), new[] { 2, 3 })).Output);
        g.Validate();
        Assert.That(new IdentityReshapeRemovalPass().Run(g), Is.Zero);
    }
}
