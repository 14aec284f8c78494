using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The pretrained quantized models through a session on every integer kernel table this CPU can run (AVX-512 VNNI,
/// AVX-VNNI, AVX2, scalar; NEON dotprod / NEON on arm64), 1 and 2 threads: the output bytes equal the reference
/// table's (the scalar reference kernels) exactly — integer kernels leave no room for a tolerance. The reference
/// table's output is itself checked against ArmNN and LiteRT in <see cref="IntegerPathTests"/>.
/// </summary>
[TestFixture, NonParallelizable]
public class IntegerKernelTableTests
{
    [TearDown]
    public void RestoreAuto() => NativeQ8Kernels.Select(IntegerKernelIsa.Auto);

    public static IEnumerable<TestCaseData> Models() =>
        ReferenceCase.All().GroupBy(c => c.Model).Select(g => new TestCaseData(g.Key, g.ToArray()).SetArgDisplayNames(g.Key));

    private static byte[][] RunAll(string modelPath, ReferenceCase[] cases, int threads)
    {
        var model = Model.Load(modelPath);
        using var session = new InferenceSession(model, new SessionOptions { Threads = threads, Backend = "cpu" });
        return cases.Select(c =>
        {
            var y = new byte[1001];
            session.RunRaw(c.Input, y);
            return y;
        }).ToArray();
    }

    [TestCaseSource(nameof(Models))]
    public void EveryTableGivesTheReferenceBytes(string modelName, ReferenceCase[] cases)
    {
        string path = cases[0].ModelPath;
        NativeQ8Kernels.Select(IntegerKernelIsa.Reference);
        byte[][] expected = RunAll(path, cases, 1);
        var tables = Enum.GetValues<IntegerKernelIsa>().Where(i => i is not (IntegerKernelIsa.Auto or IntegerKernelIsa.Reference) && NativeQ8Kernels.IsSupported(i)).ToArray();
        Assert.That(tables, Is.Not.Empty, "the scalar table at least");
        foreach (var isa in tables)
        {
            NativeQ8Kernels.Select(isa);
            foreach (int threads in new[] { 1, 2 })
            {
                byte[][] got = RunAll(path, cases, threads);
                for (int i = 0; i < cases.Length; i++)
                {
                    int differ = got[i].Zip(expected[i]).Count(p => p.First != p.Second);
                    Assert.That(differ, Is.Zero, $"{modelName} on {cases[i].Image}: table {NativeQ8Kernels.Name(isa)}, {threads} threads: {differ} of 1001 output bytes differ from the reference table");
                }
            }
            TestContext.Out.WriteLine($"{modelName}: {NativeQ8Kernels.Name(isa)} = reference on {cases.Length} photos, 1 and 2 threads");
        }
        int litertExact = cases.Where((c, i) => c.Litert.AsSpan().SequenceEqual(expected[i])).Count();
        TestContext.Out.WriteLine($"{modelName}: {litertExact} of {cases.Length} outputs byte-identical to LiteRT's");
    }

    [Test]
    public void FusedQuantizedBlocksGiveTheUnfusedBytes()
    {
        var cases = ReferenceCase.All().Where(r => r.Model == "mobilenet_v2_1.0_224_quant").ToArray();
        Assert.That(cases, Is.Not.Empty);
        using var fused = new InferenceSession(Model.Load(cases[0].ModelPath), new SessionOptions { Threads = 2, Backend = "cpu" });
        using var unfused = new InferenceSession(Model.Load(cases[0].ModelPath), new SessionOptions { Threads = 2, Backend = "cpu", Optimize = false });
        var rewrites = fused.PassLog.Single(p => p.Pass == "fuse-quantized-inverted-residual").Rewrites;
        Assert.That(rewrites, Is.EqualTo(17), "MobileNetV2 has 17 inverted-residual blocks");
        Assert.That(fused.Graph.Nodes.OfType<MobileNetAccel.Graph.QuantizedInvertedResidualNode>().Count(n => n.Add is not null), Is.EqualTo(10),
            "10 of them with a residual add");
        foreach (var c in cases)
        {
            byte[] a = new byte[1001], b = new byte[1001];
            fused.RunRaw(c.Input, a);
            unfused.RunRaw(c.Input, b);
            Assert.That(a, Is.EqualTo(b), $"{c.Image}: the fused blocks changed the output");
        }
    }

    [Test]
    public void QuantizedRunAllocatesNothing()
    {
        var c = ReferenceCase.All().First(r => r.Model == "mobilenet_v1_0.25_128_quant");
        using var session = new InferenceSession(Model.Load(c.ModelPath), new SessionOptions { Threads = 2, Backend = "cpu" });
        byte[] input = c.Input, y = new byte[1001];
        float[] fin = input.Select(b => (b - 128) / 128f).ToArray(), fout = new float[1001];
        for (int i = 0; i < 3; i++) { session.RunRaw(input, y); session.Run(fin, fout); }
        var windows = Reliability.Allocations.UntilAWindowAllocatesNothing(() => { session.RunRaw(input, y); session.Run(fin, fout); });
        Assert.That(windows[^1], Is.Zero, $"every window of 20 RunRaw + 20 Run(float) on a quantized model allocated: {string.Join(", ", windows)} bytes");
    }
}
