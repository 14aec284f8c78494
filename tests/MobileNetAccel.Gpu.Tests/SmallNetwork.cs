using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>A small MobileNetV2-shaped network (every op kind the zoo uses) with seeded weights, for batch and
/// whole-graph tests that do not depend on the zoo.</summary>
internal static class SmallNetwork
{
    public static ModelGraph Build(int batch, int resolution)
    {
        var r = new Random(42);
        Value W(string name, int[] shape, int fanIn)
        {
            int count = shape.Aggregate(1, (a, b) => a * b);
            var d = new float[count];
            float s = 1f / MathF.Sqrt(fanIn);
            for (int i = 0; i < count; i++)
                d[i] = (float)(r.NextDouble() * 2 - 1) * s;
            return Value.Constant(name, shape, d);
        }
        Value B(string name, int n) => W(name, new[] { n }, 4);
        var g = new ModelGraph("small-v2");
        var x = new Value("input", new[] { batch, resolution, resolution, 3 });
        g.Inputs.Add(x);
        var c1 = new Value("conv1", Array.Empty<int>());
        g.Add(new Conv2DNode("conv1", x, W("conv1/w", new[] { 16, 3, 3, 3 }, 27), B("conv1/b", 16), c1)
        { StrideH = 2, StrideW = 2, Padding = Padding.Same(resolution, resolution, 3, 3, 2, 2), Activation = Activation.Relu6 });
        int h = (resolution + 1) / 2;
        var b1 = new Value("block1", Array.Empty<int>());
        g.Add(new InvertedResidualNode("block1", c1, null, null, W("b1/dw", new[] { 1, 3, 3, 16 }, 9), B("b1/dwb", 16),
            W("b1/pw", new[] { 8, 16 }, 16), B("b1/pwb", 8), b1)
        { Padding = Padding.Same(h, h, 3, 3, 1, 1) });
        var b2 = new Value("block2", Array.Empty<int>());
        g.Add(new InvertedResidualNode("block2", b1, W("b2/ew", new[] { 48, 8 }, 8), B("b2/eb", 48), W("b2/dw", new[] { 1, 3, 3, 48 }, 9), B("b2/dwb", 48),
            W("b2/pw", new[] { 12, 48 }, 48), B("b2/pwb", 12), b2)
        { Stride = 2, Padding = Padding.Same(h, h, 3, 3, 2, 2) });
        int h2 = (h + 1) / 2;
        var b3 = new Value("block3", Array.Empty<int>());
        g.Add(new InvertedResidualNode("block3", b2, W("b3/ew", new[] { 72, 12 }, 12), B("b3/eb", 72), W("b3/dw", new[] { 1, 3, 3, 72 }, 9), B("b3/dwb", 72),
            W("b3/pw", new[] { 12, 72 }, 72), B("b3/pwb", 12), b3)
        { Padding = Padding.Same(h2, h2, 3, 3, 1, 1), Residual = true });
        var dw = new Value("dw", Array.Empty<int>());
        g.Add(new DepthwiseConv2DNode("dw", b3, W("dw/w", new[] { 1, 3, 3, 12 }, 9), B("dw/b", 12), dw)
        { Padding = Padding.Same(h2, h2, 3, 3, 1, 1), Activation = Activation.Relu6 });
        var pw = new Value("pw", Array.Empty<int>());
        g.Add(new Conv2DNode("pw", dw, W("pw/w", new[] { 40, 1, 1, 12 }, 12), B("pw/b", 40), pw) { Activation = Activation.Relu6 });
        var gap = new Value("gap", Array.Empty<int>());
        g.Add(new GlobalAveragePoolNode("gap", pw, gap));
        var flat = new Value("flat", Array.Empty<int>());
        g.Add(new ReshapeNode("flatten", gap, flat, new[] { batch, 40 }));
        var logits = new Value("logits", Array.Empty<int>());
        g.Add(new FullyConnectedNode("fc", flat, W("fc/w", new[] { 11, 40 }, 40), B("fc/b", 11), logits));
        var prob = new Value("prob", Array.Empty<int>());
        g.Add(new SoftmaxNode("softmax", logits, prob));
        g.Outputs.Add(prob);
        g.Outputs.Add(logits);
        return g;
    }
}
