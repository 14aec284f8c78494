using MobileNetAccel.Graph;
using MobileNetAccel.Models;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Models;

public class ModelZooTests
{
    // The table (TF-slim counting rule: conv/dw kernels + classifier weights and bias; MACs per image).
    [TestCase("v1", 1.0, 224, 4_211_113L, 568_741_376L)]
    [TestCase("v1", 0.75, 192, 2_569_913L, 239_274_240L)]
    [TestCase("v1", 0.5, 160, 1_321_161L, 76_525_312L)]
    [TestCase("v1", 0.25, 128, 464_857L, 13_570_304L)]
    [TestCase("v2", 1.4, 224, 6_062_633L, 582_197_616L)]
    [TestCase("v2", 1.0, 224, 3_472_041L, 300_775_552L)]
    [TestCase("v2", 0.75, 160, 2_611_065L, 107_296_480L)]
    [TestCase("v2", 0.35, 96, 1_664_329L, 11_935_408L)]
    public void ParametersAndMacsMatchTfSlim(string arch, double alpha, int resolution, long parameters, long macs)
    {
        var g = ModelZoo.Build(ModelZoo.ParseArchitecture(arch), alpha, resolution);
        Assert.That(g.TotalParameters, Is.EqualTo(parameters), "parameters");
        Assert.That(g.TotalMacs, Is.EqualTo(macs), "MACs");
        Assert.That(g.Outputs.Single().Shape, Is.EqualTo(new[] { 1, 1001 }));
    }

    [Test]
    public void V2ChannelRoundingFollowsMakeDivisible()
    {
        Assert.That(MobileNetV2.MakeDivisible(32 * 0.35), Is.EqualTo(16), "11.2 rounds to 8, below 90% → 16");
        Assert.That(MobileNetV2.MakeDivisible(16 * 0.35), Is.EqualTo(8));
        Assert.That(MobileNetV2.MakeDivisible(1280 * 1.4), Is.EqualTo(1792));
        Assert.That(MobileNetV2.MakeDivisible(24 * 0.75), Is.EqualTo(24), "18 → 16 is below 90% → 24");
        Assert.That(MobileNetV1.Depth(32, 0.25), Is.EqualTo(8));
        Assert.That(MobileNetV1.Depth(64, 0.75), Is.EqualTo(48));
    }

    [Test]
    public void V2StructureFollowsTfSlim()
    {
        var g = MobileNetV2.Build(1.0, 224);
        // First block has no expansion; 16 expand convs follow; 10 residual adds; last conv 1280 at alpha 1.
        Assert.That(g.Nodes.Count(n => n.Name.EndsWith("/expand", StringComparison.Ordinal)), Is.EqualTo(16));
        Assert.That(g.Nodes.Any(n => n.Name == "MobilenetV2/expanded_conv/expand"), Is.False);
        Assert.That(g.Nodes.OfType<AddNode>().Count(), Is.EqualTo(10));
        Assert.That(g.Nodes.Single(n => n.Name == "MobilenetV2/Conv_1").Output.Shape, Is.EqualTo(new[] { 1, 7, 7, 1280 }));
        Assert.That(MobileNetV2.Build(0.5, 96).Nodes.Single(n => n.Name == "MobilenetV2/Conv_1").Output.Shape[3], Is.EqualTo(1280));
        Assert.That(g.Nodes.OfType<BatchNormNode>().Count(), Is.EqualTo(52), "every conv but the classifier has batch norm");
    }

    [Test]
    public void WeightsAreSeededAndDeterministic()
    {
        var a = MobileNetV1.Build(0.25, 128, seed: 7);
        var b = MobileNetV1.Build(0.25, 128, seed: 7);
        var c = MobileNetV1.Build(0.25, 128, seed: 8);
        var wa = a.Nodes.OfType<Conv2DNode>().First().Weights.AsFloats().ToArray();
        Assert.That(b.Nodes.OfType<Conv2DNode>().First().Weights.AsFloats().ToArray(), Is.EqualTo(wa));
        Assert.That(c.Nodes.OfType<Conv2DNode>().First().Weights.AsFloats().ToArray(), Is.Not.EqualTo(wa));
        // He-normal: std ≈ sqrt(2 / fan_in) for the biggest pointwise conv.
        var big = a.Nodes.OfType<Conv2DNode>().OrderByDescending(n => n.Weights.ElementCount).Skip(1).First();
        var w = big.Weights.AsFloats().ToArray();
        double std = Math.Sqrt(w.Select(v => (double)v * v).Average());
        Assert.That(std, Is.EqualTo(Math.Sqrt(2.0 / big.Weights.Shape[3])).Within(5).Percent);
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MobileNetV2.Build(0, 224));
        Assert.Throws<ArgumentOutOfRangeException>(() => MobileNetV1.Build(1.0, 8));
        Assert.Throws<ArgumentException>(() => ModelZoo.ParseArchitecture("v3"));
    }
}
