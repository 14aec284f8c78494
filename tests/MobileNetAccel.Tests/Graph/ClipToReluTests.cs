using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class ClipToReluTests
{
    [TestCase(0f, 6f, Activation.Relu6)]
    [TestCase(0f, float.PositiveInfinity, Activation.Relu)]
    public void RewritesReluClips(float min, float max, Activation expected)
    {
        var g = new ModelGraph("clip");
        var x = new Value("x", new[] { 1, 4, 4, 3 });
        g.Inputs.Add(x);
        var clip = g.Add(new ClipNode("clip", x, Act("y"), min, max));
        g.Outputs.Add(clip.Output);
        g.Validate();
        var input = Random(48, 3, -10f, 10f);
        var before = RunManaged(g, input);
        Assert.That(new ClipToReluPass().Run(g), Is.EqualTo(1));
        Assert.That(g.Nodes.Single(), Is.TypeOf<ActivationNode>());
        Assert.That(((ActivationNode)g.Nodes[0]).Kind, Is.EqualTo(expected));
        AssertClose(before, RunManaged(g, input), 0, "clip vs relu");
    }

    [Test]
    public void LeavesOtherClipsAlone()
    {
        var g = new ModelGraph("clip");
        var x = new Value("x", new[] { 1, 4 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new ClipNode("clip", x, Act("y"), -1f, 1f)).Output);
        g.Validate();
        Assert.That(new ClipToReluPass().Run(g), Is.Zero);
        Assert.That(g.Nodes.Single(), Is.TypeOf<ClipNode>());
    }
}
