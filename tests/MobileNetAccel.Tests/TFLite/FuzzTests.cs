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
        var weights = TfliteReader.BufferDataRanges(original);
        var structure = StructurePositions(original.Length, weights);
        var rng = new Random(20261128 + model.Length);
        bool run = model.Contains("0.25_128", StringComparison.Ordinal);
        int loaded = 0, rejected = 0, runs = 0;
        var kinds = new int[3];
        var failures = new List<string>();
        var input = new byte[128 * 128 * 3];
        var output = new byte[1001];
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < VariantsPerFile && failures.Count < 5; i++)
        {
            int kind = i % 3;
            kinds[kind]++;
            var (data, what, structural) = Mutate(original, structure, kind, rng);
            var task = Task.Run(() =>
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
                return g;
            });
            try
            {
                if (!task.Wait(PerFileTimeout))
                {
                    failures.Add($"variant {i} ({what}): no result after {PerFileTimeout.TotalSeconds} s (hang)");
                    break;
                }
                loaded++;
            }
            catch (AggregateException e) when (e.InnerException is ModelFormatException)
            {
                rejected++;
            }
            catch (AggregateException e)
            {
                failures.Add($"variant {i} ({what}): {e.InnerException!.GetType().Name}: {e.InnerException.Message}\n{e.InnerException.StackTrace}");
            }
        }
        _ = output;
        TestContext.Out.WriteLine($"{model}: {VariantsPerFile} variants (bit flips {kinds[0]}, truncations {kinds[1]}, offset corruptions {kinds[2]}): " +
            $"{loaded} loaded, {rejected} rejected with ModelFormatException, {runs} loaded structural variants run; {sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(failures, Is.Empty, string.Join("\n", failures));
    }

    private static int[] StructurePositions(int length, List<(int Start, int Length)> weights)
    {
        var isWeight = new bool[length];
        foreach (var (s, n) in weights)
            Array.Fill(isWeight, true, s, n);
        return Enumerable.Range(0, length).Where(p => !isWeight[p]).ToArray();
    }

    private static (byte[] Data, string What, bool Structural) Mutate(byte[] original, int[] structure, int kind, Random rng)
    {
        switch (kind)
        {
            case 0:
            {
                var d = (byte[])original.Clone();
                int flips = 1 + rng.Next(4);
                bool structural = rng.Next(5) != 0;
                var where = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int pos = structural ? structure[rng.Next(structure.Length)] : rng.Next(d.Length);
                    d[pos] ^= (byte)(1 << rng.Next(8));
                    where.Add(pos);
                }
                return (d, $"bit flips at {string.Join(",", where)}", structural);
            }
            case 1:
            {
                int len = rng.Next(3) == 0 ? rng.Next(64) : rng.Next(original.Length);
                return (original.AsSpan(0, len).ToArray(), $"truncated to {len} bytes", true);
            }
            default:
            {
                var d = (byte[])original.Clone();
                int pos = structure[rng.Next(structure.Length)] & ~3;
                pos = Math.Min(pos, d.Length - 4);
                uint old = BitConverter.ToUInt32(d, pos);
                uint value = rng.Next(5) switch
                {
                    0 => (uint)rng.Next(),
                    1 => old + (uint)(4 * (rng.Next(33) - 16)),
                    2 => 0xFFFFFFFF,
                    3 => (uint)d.Length - (uint)rng.Next(16),
                    _ => 0,
                };
                BitConverter.GetBytes(value).CopyTo(d, pos);
                return (d, $"word at {pos}: {old} -> {value}", true);
            }
        }
    }
}
