using MobileNetAccel.Backends.Native.Quantized;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The integer path against two independent TFLite runtimes (ArmNN CpuRef, LiteRT/XNNPACK), fed the exact reference
/// input bytes: every output within tolerance_quanta of the nearer reference (max over the 1001 outputs), and the same
/// top-1 wherever the references agree on it.
/// </summary>
[TestFixture]
public class IntegerPathTests
{
    public static IEnumerable<ReferenceCase> Cases() => ReferenceCase.All();

    [TestCaseSource(nameof(Cases))]
    public void MatchesReferencesWithinTolerance(ReferenceCase c)
    {
        var output = IntegerRunner.Run(ReferenceCase.Graph(c.Model), c.Input);
        byte[] armnn = c.Armnn, litert = c.Litert;
        int dA = ReferenceCase.MaxDistance(output, armnn), dL = ReferenceCase.MaxDistance(output, litert);
        int top = ReferenceCase.ArgMax(output), topA = ReferenceCase.ArgMax(armnn), topL = ReferenceCase.ArgMax(litert);
        TestContext.Out.WriteLine($"| {c.Model} | {c.Image} | {dA} | {dL} | {c.ReferencesMaxDelta} | {c.ToleranceQuanta} | {top} ({output[top]}) | {topA} | {topL} |");
        Assert.That(Math.Min(dA, dL), Is.LessThanOrEqualTo(c.ToleranceQuanta),
            $"max distance to ArmNN {dA}, to LiteRT {dL}; tolerance {c.ToleranceQuanta}");
        if (c.Top1Agree)
            Assert.That(top, Is.EqualTo(topA), "top-1 differs from the references (which agree)");
    }
}
