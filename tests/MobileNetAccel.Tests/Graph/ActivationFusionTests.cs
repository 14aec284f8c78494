using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class ActivationFusionTests
{
    private static (ModelGraph, float[]) Build(string producer, Activation act)
    {
        var g = new ModelGraph("act");
        var x = new Value("x", new[] { 1, 5, 5, 4 });
        g.Inputs.Add(x);
        Node p = producer switch
        {
            "conv" => new Conv2DNode("p", x, Const("w", new[] { 6, 3, 3, 4 }, -1, 1), Const("b", new[] { 6 }), Act("p")) { Padding = new Padding(1, 1, 1, 1) },
            "dw" => new DepthwiseConv2DNode("p", x, Const("w", new[] { 1, 3, 3, 4 }, -1, 1), null, Act("p")),
            "fc" => new FullyConnectedNode("p", x, Const("w", new[] { 7, 100 }, -1, 1), Const("b", new[] { 7 }), Act("p")),
            "add" => new AddNode("p", x, x, Act("p")),
            "pool" => new AveragePool2DNode("p", x, Act("p"), 2, 2) { StrideH = 2, StrideW = 2, Padding = new Padding(0, 0, 1, 1) },
            _ => throw new ArgumentException(producer),
        };
        g.Add(p);
        // A bias-like shift so both clamps of ReLU6 are exercised.
        var y = g.Add(new ActivationNode("act", p.Output, Act("y"), act));
        g.Outputs.Add(y.Output);
        g.Validate();
        return (g, Random((int)x.ElementCount, 5, -4f, 4f));
    }

    [Test]
    public void FusesIntoEveryProducerKind([Values("conv", "dw", "fc", "add", "pool")] string producer, [Values(Activation.Relu, Activation.Relu6)] Activation act)
    {
        var (g, input) = Build(producer, act);
        var before = RunManaged(g, input);
        Assert.That(new ActivationFusionPass().Run(g), Is.EqualTo(1));
        Assert.That(g.Nodes, Has.Count.EqualTo(1));
        Assert.That(g.Outputs[0].Name, Is.EqualTo("y"), "the graph output keeps its value");
        var fused = g.Nodes[0];
        var kind = fused switch
        {
            WindowNode w => w.Activation,
            FullyConnectedNode f => f.Activation,
            AddNode a => a.Activation,
            _ => Activation.None,
        };
        Assert.That(kind, Is.EqualTo(act));
        AssertClose(before, RunManaged(g, input), 1e-6, $"{producer}+{act}");
    }

    [Test]
    public void DoesNotFuseWhenTheProducerOutputIsAlsoAGraphOutput()
    {
        var (g, _) = Build("conv", Activation.Relu);
        g.Outputs.Add(g.Nodes[0].Output);
        Assert.That(new ActivationFusionPass().Run(g), Is.Zero);
    }

    [Test]
    public void DoesNotFuseIntoAProducerThatAlreadyHasAnActivation()
    {
        var (g, input) = Build("conv", Activation.Relu6);
        ((Conv2DNode)g.Nodes[0]).Activation = Activation.Relu;
        var before = RunManaged(g, input);
        Assert.That(new ActivationFusionPass().Run(g), Is.Zero);
        AssertClose(before, RunManaged(g, input), 0, "unchanged");
    }
}
