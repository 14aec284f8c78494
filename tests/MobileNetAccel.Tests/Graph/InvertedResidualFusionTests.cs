using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Graph;

public class InvertedResidualFusionTests
{
    /// <summary>x → [expand 1x1 + ReLU6] → dw 3x3 + ReLU6 → project 1x1 [+ x], already folded/fused (biases, fused activations).</summary>
    private static ModelGraph Block(int inC, int hidden, int outC, int stride, bool expand, bool residual, int size = 8,
        Activation addActivation = Activation.None, bool expandHasSecondConsumer = false)
    {
        var g = new ModelGraph("block");
        var x = new Value("x", new[] { 2, size, size, inC });
        g.Inputs.Add(x);
        Value t = x;
        int c = inC;
        Conv2DNode? e = null;
        if (expand)
        {
            e = g.Add(new Conv2DNode("b/expand", x, Const("e/w", new[] { hidden, 1, 1, inC }), Const("e/b", new[] { hidden }), Act("e"))
            { Activation = Activation.Relu6 });
            t = e.Output;
            c = hidden;
        }
        var dw = g.Add(new DepthwiseConv2DNode("b/depthwise", t, Const("d/w", new[] { 1, 3, 3, c }, -1, 1), Const("d/b", new[] { c }), Act("d"))
        {
            StrideH = stride, StrideW = stride, Padding = Padding.Same(size, size, 3, 3, stride, stride), Activation = Activation.Relu6,
        });
        var p = g.Add(new Conv2DNode("b/project", dw.Output, Const("p/w", new[] { outC, 1, 1, c }), Const("p/b", new[] { outC }), Act("p")));
        Value y = p.Output;
        if (residual)
            y = g.Add(new AddNode("b/add", p.Output, x, Act("add")) { Activation = addActivation }).Output;
        if (expandHasSecondConsumer)
            y = g.Add(new AddNode("other", y, g.Add(new Conv2DNode("side", e!.Output, Const("s/w", new[] { outC, 1, 1, hidden }), null, Act("side"))).Output, Act("other"))).Output;
        g.Outputs.Add(y);
        g.Validate();
        return g;
    }

    private static InvertedResidualNode FuseAndCompare(ModelGraph g, int expectedNodes)
    {
        var input = Random((int)g.Inputs[0].ElementCount, 11, -2, 2);
        var before = RunManaged(g, input);
        Assert.That(new InvertedResidualFusionPass().Run(g), Is.EqualTo(1));
        Assert.That(g.Nodes, Has.Count.EqualTo(expectedNodes), string.Join(", ", g.Nodes));
        AssertClose(before, RunManaged(g, input), 1e-5, "fused vs unfused");
        return g.Nodes.OfType<InvertedResidualNode>().Single();
    }

    [Test]
    public void FusesExpandDepthwiseProjectAndResidualAdd()
    {
        var n = FuseAndCompare(Block(8, 48, 8, 1, expand: true, residual: true), 1);
        Assert.That(n.Residual, Is.True);
        Assert.That(n.ExpandWeights!.Shape, Is.EqualTo(new[] { 48, 8 }));
        Assert.That(n.ProjectWeights.Shape, Is.EqualTo(new[] { 8, 48 }));
        Assert.That(n.Name, Is.EqualTo("b"));
        Assert.That(n.ExpandActivation, Is.EqualTo(Activation.Relu6));
        Assert.That(n.ProjectActivation, Is.EqualTo(Activation.None));
    }

    [Test]
    public void FusesStride2BlockWithAsymmetricSamePadding()
    {
        var n = FuseAndCompare(Block(8, 48, 16, 2, expand: true, residual: false), 1);
        Assert.That(n.Stride, Is.EqualTo(2));
        Assert.That(n.Padding, Is.EqualTo(new Padding(0, 0, 1, 1)));
        Assert.That(n.Residual, Is.False);
    }

    [Test]
    public void FusesExpansionFactorOneBlocks()
    {
        var n = FuseAndCompare(Block(16, 0, 8, 1, expand: false, residual: false), 1);
        Assert.That(n.ExpandWeights, Is.Null);
        Assert.That(n.HiddenChannels, Is.EqualTo(16));
    }

    [Test]
    public void LeavesAnAddWithAnActivationOutside()
    {
        var n = FuseAndCompare(Block(8, 48, 8, 1, expand: true, residual: true, addActivation: Activation.Relu), 2);
        Assert.That(n.Residual, Is.False);
    }

    [Test]
    public void DoesNotPullInAnExpandWhoseOutputHasAnotherConsumer()
    {
        var n = FuseAndCompare(Block(8, 48, 8, 1, expand: true, residual: false, expandHasSecondConsumer: true), 4);
        Assert.That(n.ExpandWeights, Is.Null, "expand stays a separate node; the block is depthwise + project");
    }

    [Test]
    public void DoesNotFuseA5x5Depthwise()
    {
        var g = new ModelGraph("dw5");
        var x = new Value("x", new[] { 1, 8, 8, 4 });
        g.Inputs.Add(x);
        var dw = g.Add(new DepthwiseConv2DNode("dw", x, Const("w", new[] { 1, 5, 5, 4 }), null, Act("d")) { Padding = new Padding(2, 2, 2, 2) });
        g.Outputs.Add(g.Add(new Conv2DNode("pw", dw.Output, Const("p", new[] { 4, 1, 1, 4 }), null, Act("p"))).Output);
        g.Validate();
        Assert.That(new InvertedResidualFusionPass().Run(g), Is.Zero);
    }

    [Test]
    public void DefaultPipelineTurnsUnfoldedV2StyleBlockIntoOneNode()
    {
        // expand conv → BN → ReLU6 → dw → BN → ReLU6 → project → BN → add, as the model zoo builds it.
        var g = new ModelGraph("unfolded");
        var x = new Value("x", new[] { 1, 6, 6, 8 });
        g.Inputs.Add(x);
        var e = g.Add(new Conv2DNode("blk/expand", x, Const("ew", new[] { 24, 1, 1, 8 }), null, Act("e")));
        var eb = g.Add(BatchNorm("blk/expand/BatchNorm", e.Output, 24));
        var er = g.Add(new ClipNode("blk/expand/Relu6", eb.Output, Act("er"), 0, 6));
        var d = g.Add(new DepthwiseConv2DNode("blk/depthwise", er.Output, Const("dw", new[] { 1, 3, 3, 24 }, -1, 1), null, Act("d")) { Padding = new Padding(1, 1, 1, 1) });
        var db = g.Add(BatchNorm("blk/depthwise/BatchNorm", d.Output, 24));
        var dr = g.Add(new ActivationNode("blk/depthwise/Relu6", db.Output, Act("dr"), Activation.Relu6));
        var p = g.Add(new Conv2DNode("blk/project", dr.Output, Const("pw", new[] { 8, 1, 1, 24 }), null, Act("p")));
        var pb = g.Add(BatchNorm("blk/project/BatchNorm", p.Output, 8));
        var add = g.Add(new AddNode("blk/add", pb.Output, x, Act("y")));
        g.Outputs.Add(add.Output);
        g.Validate();
        var input = Random(288, 2, -2, 2);
        var before = RunManaged(g, input);
        var log = GraphOptimizer.Optimize(g);
        Assert.That(g.Nodes.Single(), Is.TypeOf<InvertedResidualNode>(), string.Join("; ", log));
        Assert.That(((InvertedResidualNode)g.Nodes[0]).Residual, Is.True);
        AssertClose(before, RunManaged(g, input), 1e-5, "optimised vs original");
    }
}
