using System.Runtime.InteropServices;
using System.Text.Json;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// DeepLabV3 (1.0 and 0.5) under <see cref="SessionOptions.ForceFloat"/>: every node, the dilated depthwise
/// convolutions included, runs on the native cpu backend (nothing falls back to the managed reference), and the mask
/// equals the nearer TFLite reference (ArmNN or LiteRT, ../shared/models/segmentation/reference) on at least 97% of the
/// pixels. Float arithmetic is not the references' integer one, so the logits are not compared quantum for quantum.
/// The 97% rule applies where the two references agree with each other on at least 98% of the pixels (the README's
/// table): not to dog_segmentation (93.92% for 1.0, 97.38% for 0.5), where a third implementation cannot be held
/// closer to them than they are to each other. There the agreement is printed, and
/// <see cref="CpuFloatMaskEqualsTheManagedReference"/> shows the cpu float mask is the managed reference's.
/// </summary>
[TestFixture]
public class SegmentationFloatTests
{
    private const string Dir = "models/segmentation";
    private const int Side = 513;
    private const double MinMaskPct = 97.0;
    private static readonly string[] Models = { "deeplabv3_mnv2_pascal_quant", "deeplabv3_mnv2_dm05_pascal_quant" };
    private static readonly string[] Images = { "bird_segmentation.bmp", "dog_segmentation.bmp", "grace_hopper.bmp", "kite_and_cold.jpg" };

    public static IEnumerable<TestCaseData> Cases() => Models.Select(m => new TestCaseData(m).SetName($"SegmentationFloat({m})"));

    /// <summary>The float mask on the cpu backend equals the managed reference backend's (double accumulation, the
    /// dilated depthwise by definition) on dm05 / dog_segmentation, the case farthest from the integer references.</summary>
    [Test]
    public void CpuFloatMaskEqualsTheManagedReference()
    {
        const string model = "deeplabv3_mnv2_dm05_pascal_quant";
        byte[] input = File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/513x513__dog_segmentation.bmp.rgb.u8"));
        long[] Mask(string backend)
        {
            using var session = new InferenceSession(Model.Load(TestData.Require($"{Dir}/{model}.tflite")),
                new SessionOptions { ForceFloat = true, Backend = backend, Threads = 2 });
            Assert.That(session.Placement.Backends, Is.EqualTo(new[] { backend }));
            var ids = new long[Side * Side];
            var sw = System.Diagnostics.Stopwatch.StartNew();
            session.RunRaw(input, MemoryMarshal.AsBytes(ids.AsSpan()));
            TestContext.Out.WriteLine($"{backend}: {sw.ElapsedMilliseconds} ms");
            return ids;
        }
        long[] cpu = Mask("cpu"), managed = Mask("managed");
        int equal = cpu.Zip(managed).Count(p => p.First == p.Second);
        double pct = 100.0 * equal / cpu.Length;
        TestContext.Out.WriteLine($"{model} / dog_segmentation (ForceFloat): cpu mask = managed reference mask on {pct:F3}% of the pixels");
        Assert.That(pct, Is.GreaterThanOrEqualTo(99.9), "cpu float mask vs the managed reference's");
    }

    [TestCaseSource(nameof(Cases))]
    public void ForceFloatRunsEveryNodeOnCpuAndKeepsTheMask(string model)
    {
        using var session = new InferenceSession(Model.Load(TestData.Require($"{Dir}/{model}.tflite")),
            new SessionOptions { ForceFloat = true, Threads = 2 });
        var dilated = session.Graph.Nodes.OfType<DepthwiseConv2DNode>().Where(n => n.IsDilated).ToList();
        Assert.That(dilated, Is.Not.Empty, "the float graph keeps DeepLab's dilated depthwise convolutions");
        Assert.That(dilated.All(n => n.Input.DataType == DataType.Float32), "ForceFloat runs them in float32");
        var off = session.Placement.Where(p => p.Backend != "cpu").Select(p => $"{p.Node} -> {p.Backend}").ToList();
        Assert.That(off, Is.Empty, "nodes placed off the native cpu backend");

        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        string refDir = TestData.Require($"{Dir}/reference");
        foreach (string image in Images)
        {
            var c = doc.RootElement.GetProperty("cases").EnumerateArray()
                .Single(e => e.GetProperty("model").GetString() == model && e.GetProperty("image").GetString() == image);
            var files = c.GetProperty("files");
            byte[] Ref(string key) => File.ReadAllBytes(Path.Combine(refDir, files.GetProperty(key).GetString()!));
            byte[] ma = Ref("armnn_mask"), ml = Ref("litert_mask");
            byte[] input = File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/513x513__{image}.rgb.u8"));
            var ids = new long[Side * Side];
            session.RunRaw(input, MemoryMarshal.AsBytes(ids.AsSpan()));
            int eqA = 0, eqL = 0;
            for (int i = 0; i < ids.Length; i++)
            {
                Assert.That(ids[i], Is.InRange(0, 20), "class index");
                eqA += ids[i] == ma[i] ? 1 : 0;
                eqL += ids[i] == ml[i] ? 1 : 0;
            }
            double pctA = 100.0 * eqA / ids.Length, pctL = 100.0 * eqL / ids.Length;
            TestContext.Out.WriteLine($"{model} / {image} (ForceFloat, {dilated.Count} dilated depthwise on cpu): mask = ArmNN {pctA:F3}%, = LiteRT {pctL:F3}%");
            if (image != "dog_segmentation.bmp")
                Assert.That(Math.Max(pctA, pctL), Is.GreaterThanOrEqualTo(MinMaskPct), $"{image}: mask agreement with the nearer reference");
        }
    }
}
