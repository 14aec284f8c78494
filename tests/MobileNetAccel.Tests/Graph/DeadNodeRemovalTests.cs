using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class DeadNodeRemovalTests
{
    [Test]
    public void RemovesNodesThatDoNotReachAnOutput()
    {
        var g = new ModelGraph("dead");
        var x = new Value("x", new[] { 1, 4, 4, 2 });
        g.Inputs.Add(x);
        var a = g.Add(new ActivationNode("live", x, Act("a"), Activation.Relu));
        var d1 = g.Add(new ActivationNode("dead1", x, Act("d1"), Activation.Relu6));
        g.Add(new AddNode("dead2", d1.Output, a.Output, Act("d2")));
        g.Add(new GlobalAveragePoolNode("dead3", x, Act("d3")));
        g.Outputs.Add(a.Output);
        g.Validate();
        var input = Random(32, 4, -3, 3);
        var before = RunManaged(g, input);
        Assert.That(new DeadNodeRemovalPass().Run(g), Is.EqualTo(3));
        Assert.That(g.Nodes.Single().Name, Is.EqualTo("live"));
        AssertClose(before, RunManaged(g, input), 0, "after removal");
    }

    [Test]
    public void KeepsEverythingInALiveChain()
    {
        var g = new ModelGraph("live");
        var x = new Value("x", new[] { 1, 4 });
        g.Inputs.Add(x);
        var a = g.Add(new ActivationNode("a", x, Act("a"), Activation.Relu));
        g.Outputs.Add(g.Add(new SoftmaxNode("s", a.Output, Act("s"))).Output);
        g.Validate();
        Assert.That(new DeadNodeRemovalPass().Run(g), Is.Zero);
        Assert.That(g.Nodes, Has.Count.EqualTo(2));
    }
}
