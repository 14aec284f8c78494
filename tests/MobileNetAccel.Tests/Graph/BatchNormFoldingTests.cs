using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class BatchNormFoldingTests
{
    private static ModelGraph ConvBn(bool depthwise, bool withBias, bool secondConsumer = false)
    {
        var g = new ModelGraph("conv-bn");
        var x = new Value("x", new[] { 2, 7, 6, 4 });
        g.Inputs.Add(x);
        Node conv = depthwise
            ? new DepthwiseConv2DNode("dw", x, Const("dw/w", new[] { 1, 3, 3, 4 }), withBias ? Const("dw/b", new[] { 4 }) : null, Act("dw"))
            { StrideH = 2, StrideW = 2, Padding = Padding.Same(7, 6, 3, 3, 2, 2) }
            : new Conv2DNode("conv", x, Const("conv/w", new[] { 5, 3, 3, 4 }), withBias ? Const("conv/b", new[] { 5 }) : null, Act("conv"))
            { Padding = new Padding(1, 1, 1, 1) };
        g.Add(conv);
        int c = depthwise ? 4 : 5;
        var bn = g.Add(BatchNorm("bn", conv.Output, c));
        var relu = g.Add(new ActivationNode("relu", bn.Output, Act("relu"), Activation.Relu6));
        if (secondConsumer)
        {
            var sum = g.Add(new AddNode("add", relu.Output, conv.Output, Act("add")));
            g.Outputs.Add(sum.Output);
        }
        else
            g.Outputs.Add(relu.Output);
        g.Validate();
        return g;
    }

    [TestCase(false, false)]
    [TestCase(false, true)]
    [TestCase(true, false)]
    [TestCase(true, true)]
    public void FoldsIntoConvolutionWithoutChangingResults(bool depthwise, bool withBias)
    {
        var g = ConvBn(depthwise, withBias);
        var input = Random(2 * 7 * 6 * 4, 1);
        var before = RunManaged(g, input);
        var folded = g.Clone();
        folded.Validate();
        int n = new BatchNormFoldingPass().Run(folded);
        Assert.That(n, Is.EqualTo(1));
        Assert.That(Count<BatchNormNode>(folded), Is.Zero);
        Assert.That(folded.Nodes, Has.Count.EqualTo(2));
        AssertClose(before, RunManaged(folded, input), 1e-5, "folded vs unfolded");
        // The original graph's constants are untouched.
        AssertClose(before, RunManaged(g, input), 0, "original after folding a clone");
    }

    [Test]
    public void DoesNotFoldWhenTheConvolutionOutputHasAnotherConsumer()
    {
        var g = ConvBn(false, false, secondConsumer: true);
        Assert.That(new BatchNormFoldingPass().Run(g), Is.Zero);
        Assert.That(Count<BatchNormNode>(g), Is.EqualTo(1));
    }
}
