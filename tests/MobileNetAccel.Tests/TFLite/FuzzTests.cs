using System.Diagnostics;
using MobileNetAccel.Backends.Native.Quantized;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// Mutated model files (bit flips, truncations, offset corruption) either load or raise <see cref="ModelFormatException"/>
/// — never another exception, a crash or a hang (each load runs under a timeout). 3,400 variants per file, 10,200 in all,
/// from a fixed seed. Most mutations target the FlatBuffers structure (everything but the weight buffers' bytes), where
/// they matter; some hit anywhere. Loaded variants of the small 0.25/128 model whose structure changed are also run on
/// the integer path (up to <see cref="MaxRuns"/>, to keep the test near a minute on 2 cores); bigger models are load-only.
/// </summary>
[TestFixture]
public class FuzzTests
{
    private const int VariantsPerFile = 3400;
    private const int MaxRuns = 60;
    private static readonly TimeSpan PerFileTimeout = TimeSpan.FromSeconds(20);

    [TestCaseSource(typeof(TfliteReaderTests), nameof(TfliteReaderTests.Models))]
    public void MutatedModelsLoadAndRunOrRaiseModelFormatException(string model)
    {
        var original = File.ReadAllBytes(TestData.Require($"models/tflite/{model}.tflite"));
        var structure = FuzzMutations.StructurePositions(original.Length, TfliteReader.BufferDataRanges(original));
        var rng = new Random(20261128 + model.Length);
        bool run = model.Contains("0.25_128", StringComparison.Ordinal);
        int runs = 0;
        var kinds = new int[3];
        var tally = new FuzzTally();
        var input = new byte[128 * 128 * 3];
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < VariantsPerFile && !tally.Stop; i++)
        {
            int kind = i % 3;
            kinds[kind]++;
            var (data, what, structural) = FuzzMutations.Mutate(original, structure, kind, rng);
            bool finished = tally.Check(i, what, () =>
            {
                var g = TfliteReader.Read(data, $"{model}#{i}");
                if (run && structural && runs < MaxRuns)
                {
                    Interlocked.Increment(ref runs);
                    using var r = IntegerRunner.Create(g);
                    var x = new byte[g.Inputs[0].SizeInBytes];
                    rng.NextBytes(input);
                    input.AsSpan(0, Math.Min(input.Length, x.Length)).CopyTo(x);
                    r.RunRaw(x, new byte[g.Outputs[0].SizeInBytes]);
                }
            }, PerFileTimeout);
            if (!finished)
                break;
        }
        TestContext.Out.WriteLine($"{model}: {VariantsPerFile} variants (bit flips {kinds[0]}, truncations {kinds[1]}, offset corruptions {kinds[2]}): " +
            $"{tally.Loaded} loaded, {tally.Rejected} rejected with ModelFormatException, {runs} loaded structural variants run; {sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(tally.Failures, Is.Empty, string.Join("\n", tally.Failures));
    }
}
