using System.Collections.Concurrent;
using System.Diagnostics;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>
/// 10,000 mutated variants of the two small shared ONNX models (5,000 each): every variant must either load and run
/// (native cpu backend, one inference) or raise <see cref="ModelFormatException"/> — no other exception, no crash, no
/// hang (each case has a timeout).
/// <para>Mutations (seeded, reproducible; the failing seed is printed): bit flips in the protobuf structure (the bytes
/// outside the weights' raw_data: tags, lengths, dims, attributes, names), bit flips anywhere, truncation, varint/field
/// corruption (random bytes over a structural position) and byte insertion/deletion (which shifts framing). The weights
/// are 99% of the file, so uniform flips alone would mostly test that corrupted floats still run; most mutations
/// therefore aim at the structure.</para>
/// <para>A variant that loads but whose input was mutated to a much larger image (more than 8× the original's
/// multiply-accumulates) is loaded and validated but not run, to keep the suite's time bounded; the count is printed.</para>
/// </summary>
[TestFixture]
public class OnnxFuzzTests
{
    /// <summary>5,000 per model (10,000 in all); MNA_FUZZ_VARIANTS overrides it for local iteration.</summary>
    private static readonly int VariantsPerModel =
        int.TryParse(Environment.GetEnvironmentVariable("MNA_FUZZ_VARIANTS"), out int n) && n > 0 ? n : 5000;
    private static readonly TimeSpan CaseTimeout = TimeSpan.FromSeconds(20);

    [TestCaseSource(typeof(OnnxModels), nameof(OnnxModels.Small))]
    public void MutatedModelsLoadAndRunOrRaiseModelFormatException(string name)
    {
        string path = OnnxModels.Path(name);
        byte[] original = File.ReadAllBytes(path);
        string directory = Path.GetDirectoryName(path)!;
        long baseMacs = new Model(OnnxImporter.Import(OnnxReader.Read(original, directory, name))).MacsPerImage;
        var structural = StructuralPositions(original);
        TestContext.Out.WriteLine($"{name}: {original.Length} bytes, {structural.Length} outside raw_data");

        int loadedAndRan = 0, rejected = 0, tooLarge = 0;
        var failures = new ConcurrentQueue<string>();
        var kinds = new ConcurrentDictionary<string, int>();
        var sw = Stopwatch.StartNew();
        Parallel.For(0, VariantsPerModel, new ParallelOptions { MaxDegreeOfParallelism = 2 }, i =>
        {
            int seed = i + Array.IndexOf(OnnxModels.Small, name) * 1_000_000; // stable across runs (string hashes are not)
            var (bytes, kind) = Mutate(original, structural, seed);
            var task = Task.Run(() => LoadAndRun(bytes, directory, name, baseMacs));
            if (!task.Wait(CaseTimeout))
            {
                failures.Enqueue($"variant {i} ({kind}): no result within {CaseTimeout.TotalSeconds} s");
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
        TestContext.Out.WriteLine($"{name}: {VariantsPerModel} variants in {sw.Elapsed.TotalSeconds:F1} s: {loadedAndRan} loaded and ran, " +
            $"{rejected} raised ModelFormatException, {tooLarge} loaded but not run (> 8x the MACs), {failures.Count} failed");
        TestContext.Out.WriteLine("  by mutation: " + string.Join(", ", kinds.OrderBy(k => k.Key).Select(k => $"{k.Key} {k.Value}")));
        foreach (var f in failures.Take(20))
            TestContext.Out.WriteLine("  FAILED " + f);
        Assert.That(failures, Is.Empty);
        Assert.That(rejected, Is.GreaterThan(VariantsPerModel / 10), "the mutations should break most structures");
    }

    internal static (string Outcome, string Message) LoadAndRun(byte[] bytes, string directory, string name, long baseMacs)
    {
        try
        {
            var graph = OnnxImporter.Import(OnnxReader.Read(bytes, directory, name));
            var model = new Model(graph);
            if (model.MacsPerImage > 8 * baseMacs)
                return ("large", "");
            using var session = new InferenceSession(model, new SessionOptions { Backend = "cpu", Threads = 1 });
            var input = new float[session.Inputs[0].ElementCount];
            var output = new float[session.Outputs[0].ElementCount];
            session.Run(input, output);
            return ("ran", "");
        }
        catch (ModelFormatException)
        {
            return ("rejected", "");
        }
        catch (Exception e)
        {
            return ("failed", $"{e.GetType().Name}: {e.Message}");
        }
    }

    internal static (byte[] Bytes, string Kind) Mutate(byte[] original, int[] structural, int seed)
    {
        var rng = new Random(seed);
        int StructuralPos() => structural[rng.Next(structural.Length)];
        int choice = rng.Next(100);
        if (choice < 35)
        {
            var b = (byte[])original.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++)
                b[StructuralPos()] ^= (byte)(1 << rng.Next(8));
            return (b, "flip-structure");
        }
        if (choice < 50)
        {
            var b = (byte[])original.Clone();
            int flips = 1 + rng.Next(4);
            for (int k = 0; k < flips; k++)
                b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
            return (b, "flip-anywhere");
        }
        if (choice < 65)
        {
            // Truncate: half at a structural position, half anywhere.
            int cut = rng.Next(2) == 0 ? StructuralPos() : rng.Next(original.Length);
            return (original.AsSpan(0, cut).ToArray(), "truncate");
        }
        if (choice < 85)
        {
            var b = (byte[])original.Clone();
            int at = StructuralPos();
            int n = 1 + rng.Next(5);
            for (int k = 0; k < n && at + k < b.Length; k++)
                b[at + k] = (byte)(rng.Next(2) == 0 ? rng.Next(256) : 0x80 | rng.Next(128));
            return (b, "corrupt-field");
        }
        {
            int at = StructuralPos();
            int n = 1 + rng.Next(8);
            if (rng.Next(2) == 0)
            {
                var ins = new byte[n];
                rng.NextBytes(ins);
                return (original.AsSpan(0, at).ToArray().Concat(ins).Concat(original.AsSpan(at).ToArray()).ToArray(), "insert");
            }
            int end = Math.Min(original.Length, at + n);
            return (original.AsSpan(0, at).ToArray().Concat(original.AsSpan(end).ToArray()).ToArray(), "delete");
        }
    }

    /// <summary>Byte positions outside initializer raw_data payloads (ModelProto.graph=7 → GraphProto.initializer=5 → TensorProto.raw_data=9).</summary>
    internal static int[] StructuralPositions(byte[] bytes)
    {
        var payloads = new List<(int Start, int Length)>();
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
                while (tensor.Next(out int tf, out var tw))
                {
                    if (tf == 9 && tw == WireType.LengthDelimited)
                        payloads.Add(tensor.ReadLengthDelimited());
                    else
                        tensor.Skip(tw);
                }
            }
        }
        var inPayload = new bool[bytes.Length];
        foreach (var (s, l) in payloads)
            Array.Fill(inPayload, true, s, l);
        return Enumerable.Range(0, bytes.Length).Where(i => !inPayload[i]).ToArray();
    }
}
