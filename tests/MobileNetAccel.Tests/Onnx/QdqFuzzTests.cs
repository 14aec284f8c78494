using System.Collections.Concurrent;
using System.Diagnostics;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>
/// 5,000 mutated variants of the two small shared QDQ models (../shared/models/onnx-int8, 2,500 each): every variant
/// must either load and run one inference (native cpu backend) or raise <see cref="ModelFormatException"/> — no other
/// exception, no crash, no hang (each case has a timeout). A missing shared file fails under CI=true (see
/// <see cref="TestData"/>).
/// <para>Four in five variants are <see cref="OnnxFuzzTests"/>' mutations (structure bit flips, flips anywhere,
/// truncation, field corruption, byte insertion/deletion); the fifth aims at what only a QDQ model has: the small
/// initializers' payloads — scales (flipped bits, or set to 0, −s, NaN, ∞, a denormal), zero points and int32 biases —
/// so that the island matching and the integer parameters see odd but well-framed values. Seeds are stable and printed
/// with any failure.</para>
/// </summary>
[TestFixture]
public class QdqFuzzTests
{
    public static readonly string[] Models = { "mobilenet_v1_0.25_128_qdq_int8", "mobilenet_v2_0.35_96_qdq_int8" };

    /// <summary>2,500 per model (5,000 in all); MNA_QDQ_FUZZ_VARIANTS overrides it for local iteration.</summary>
    private static readonly int VariantsPerModel =
        int.TryParse(Environment.GetEnvironmentVariable("MNA_QDQ_FUZZ_VARIANTS"), out int n) && n > 0 ? n : 2500;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    [TestCaseSource(nameof(Models))]
    public void MutatedQdqModelsLoadAndRunOrRaiseModelFormatException(string name)
    {
        string path = TestData.Require($"models/onnx-int8/{name}.onnx");
        byte[] original = File.ReadAllBytes(path);
        string directory = Path.GetDirectoryName(path)!;
        long baseMacs = new Model(OnnxImporter.Import(OnnxReader.Read(original, directory, name))).MacsPerImage;
        var structural = OnnxFuzzTests.StructuralPositions(original);
        var parameters = SmallPayloads(original);
        TestContext.Out.WriteLine($"{name}: {original.Length} bytes, {structural.Length} outside raw_data, "
            + $"{parameters.Count} small initializer payloads (scales, zero points, biases)");

        int loadedAndRan = 0, rejected = 0, tooLarge = 0;
        var failures = new ConcurrentQueue<string>();
        var kinds = new ConcurrentDictionary<string, int>();
        var sw = Stopwatch.StartNew();
        Parallel.For(0, VariantsPerModel, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            int seed = 10_000_000 + Array.IndexOf(Models, name) * 1_000_000 + i; // stable across runs, apart from OnnxFuzzTests'
            var (bytes, kind) = seed % 5 == 4 ? MutateParameters(original, parameters, seed) : OnnxFuzzTests.Mutate(original, structural, seed);
            var task = Task.Run(() => OnnxFuzzTests.LoadAndRun(bytes, directory, name, baseMacs));
            if (!task.Wait(CaseTimeout))
            {
                failures.Enqueue($"variant {i} ({kind}, seed {seed}): no result within {CaseTimeout.TotalSeconds} s");
                return;
            }
            switch (task.Result)
            {
                case ("ran", _): Interlocked.Increment(ref loadedAndRan); kinds.AddOrUpdate(kind + ":ran", 1, (_, c) => c + 1); break;
                case ("rejected", _): Interlocked.Increment(ref rejected); kinds.AddOrUpdate(kind + ":rejected", 1, (_, c) => c + 1); break;
                case ("large", _): Interlocked.Increment(ref tooLarge); break;
                case (_, var message): failures.Enqueue($"variant {i} ({kind}, seed {seed}): {message}"); break;
            }
        });
        TestContext.Out.WriteLine($"{name}: {VariantsPerModel} variants in {sw.Elapsed.TotalSeconds:F1} s: {loadedAndRan} loaded and ran, "
            + $"{rejected} raised ModelFormatException, {tooLarge} loaded but not run (> 8x the MACs), {failures.Count} failed");
        TestContext.Out.WriteLine("  by mutation: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        foreach (var f in failures.Take(20))
            TestContext.Out.WriteLine("  FAILED " + f);
        Assert.That(failures, Is.Empty);
        Assert.That(rejected, Is.GreaterThan(VariantsPerModel / 10), "the mutations should break most structures");
    }

    /// <summary>Mutates one or two of the small initializer payloads: bit flips, or a float scale set to an odd value.</summary>
    private static (byte[] Bytes, string Kind) MutateParameters(byte[] original, List<(int Start, int Length, int DataType)> payloads, int seed)
    {
        var rng = new Random(seed);
        var b = (byte[])original.Clone();
        bool odd = false;
        for (int k = 1 + rng.Next(2); k > 0; k--)
        {
            var (start, length, dataType) = payloads[rng.Next(payloads.Count)];
            if (dataType == 1 && length >= 4 && rng.Next(2) == 0)
            {
                int at = start + 4 * rng.Next(length / 4);
                float old = BitConverter.ToSingle(b, at);
                float value = rng.Next(6) switch
                {
                    0 => 0f,
                    1 => -old,
                    2 => float.NaN,
                    3 => float.PositiveInfinity,
                    4 => 1e-40f,
                    _ => old * (float)Math.Pow(2, rng.Next(-20, 21)),
                };
                BitConverter.TryWriteBytes(b.AsSpan(at), value);
                odd = true;
            }
            else
                b[start + rng.Next(length)] ^= (byte)(1 << rng.Next(8));
        }
        return (b, odd ? "odd-scale" : "flip-parameters");
    }

    /// <summary>raw_data payloads of the initializers other than large int8 weights: (start, length, data_type).</summary>
    private static List<(int Start, int Length, int DataType)> SmallPayloads(byte[] bytes)
    {
        var list = new List<(int, int, int)>();
        var model = new ProtoReader(bytes, 0, bytes.Length, "model", "ModelProto");
        while (model.Next(out int f, out var w))
        {
            if (f != 7 || w != WireType.LengthDelimited)
            {
                model.Skip(w);
                continue;
            }
            var graph = model.ReadMessage("graph");
            while (graph.Next(out int gf, out var gw))
            {
                if (gf != 5 || gw != WireType.LengthDelimited)
                {
                    graph.Skip(gw);
                    continue;
                }
                var tensor = graph.ReadMessage("tensor");
                int dataType = 0;
                (int Start, int Length)? raw = null;
                while (tensor.Next(out int tf, out var tw))
                {
                    if (tf == 9 && tw == WireType.LengthDelimited)
                        raw = tensor.ReadLengthDelimited();
                    else if (tf == 2 && tw == WireType.Varint)
                        dataType = (int)tensor.ReadVarint();
                    else
                        tensor.Skip(tw);
                }
                if (raw is { Length: > 0 } r && (dataType != 3 || r.Length <= 2048))
                    list.Add((r.Start, r.Length, dataType));
            }
        }
        return list;
    }
}
