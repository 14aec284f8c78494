using System.Globalization;
using Microsoft.ML.OnnxRuntime;
using OrtSession = Microsoft.ML.OnnxRuntime.InferenceSession;
using OrtSessionOptions = Microsoft.ML.OnnxRuntime.SessionOptions;

namespace MobileNetAccel.Benchmarks;

/// <summary>
/// Batch-N throughput (images/s), ours against ONNX Runtime, interleaved in ~200 ms slices like <see cref="Interleaved"/>.
/// Both run the same ONNX file of ../shared/models/onnx: ours loads it and sets the batch with
/// <see cref="Model.WithBatch"/>; ORT gets the same bytes with the batch dimension of the graph's input, output and
/// value_info shapes rewritten from 1 to N in place (<see cref="OnnxBatch"/>; the files have no Reshape, so every node
/// takes any batch), i.e. a batch-N export of the same weights. The input is N different images (the file's sample
/// input, then N−1 seeded random ones); setup checks ours against ORT on all N outputs (max |d| below 1e-4 max(1, max |y|)).
/// Run: dotnet run -c Release --project perf/MobileNetAccel.Benchmarks -- --interleaved-batch [seconds per row,
/// default 10] [models, default the two 1.0/224 ones] [threads, comma-separated, default 2] [batch, default 8]. Wall time;
/// MNA_BENCH_CPUTIME=1 with threads 1: the calling thread's CPU time.
/// </summary>
public static class InterleavedBatch
{
    public static int Run(string[] args)
    {
        double seconds = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 10;
        string[] models = args.Length > 1 ? args[1].Split(',', StringSplitOptions.RemoveEmptyEntries) : ["mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224"];
        int[] threadCounts = args.Length > 2 ? args[2].Split(',').Select(s => int.Parse(s, CultureInfo.InvariantCulture)).ToArray() : [2];
        int batch = args.Length > 3 ? int.Parse(args[3], CultureInfo.InvariantCulture) : 8;
        // MNA_BENCH_CPUTIME=1: the calling thread's CPU time, 1-thread rows only (see Interleaved)
        Interleaved.CpuTime = Environment.GetEnvironmentVariable("MNA_BENCH_CPUTIME") == "1";
        if (Interleaved.CpuTime && threadCounts.Any(t => t != 1))
            throw new ArgumentException("MNA_BENCH_CPUTIME=1 measures the calling thread only: threads must be 1");
        Console.WriteLine($"# interleaved batch {batch}, ORT / MobileNetAccel, {seconds:F0} s per row; {DateTime.UtcNow:yyyy-MM-dd HH:mm} UTC; clock {(Interleaved.CpuTime ? "thread CPU time" : "wall")}; load {File.ReadAllText("/proc/loadavg").Trim()}");
        Console.WriteLine("| model | batch | threads | runs | ORT min / median ms | ours min / median ms | ORT images/s (median) | ours images/s (median) | ours/ORT images/s |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|");
        foreach (string model in models)
            foreach (int threads in threadCounts)
                RunOne(model, threads, batch, seconds);
        return 0;
    }

    private static void RunOne(string model, int threads, int batch, double seconds)
    {
        string dir = Path.Combine(ModelBenchmarks.SharedRoot(), "models", "onnx");
        string file = Path.Combine(dir, model + ".onnx");
        byte[] raw = File.ReadAllBytes(Path.Combine(dir, model + ".input.f32"));
        int per = raw.Length / 4;
        float[] input = new float[per * batch];
        Buffer.BlockCopy(raw, 0, input, 0, raw.Length);
        var rng = new Random(5);
        for (int i = per; i < input.Length; i++) input[i] = (float)(rng.NextDouble() * 2 - 1);

        using var so = new OrtSessionOptions
        {
            IntraOpNumThreads = threads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
        };
        using var ort = new OrtSession(OnnxBatch.Rewrite(File.ReadAllBytes(file), batch), so);
        int res = (int)Math.Round(Math.Sqrt(per / 3.0));
        float[] ortY = new float[1000 * batch];
        using var inValue = OrtValue.CreateTensorValueFromMemory(input, [batch, 3, res, res]);
        using var outValue = OrtValue.CreateTensorValueFromMemory(ortY, [batch, 1000]);
        using var runOptions = new RunOptions();
        string[] inNames = [ort.InputMetadata.Keys.First()], outNames = [ort.OutputMetadata.Keys.First()];
        void OrtRun() => ort.Run(runOptions, inNames, [inValue], outNames, [outValue]);

        using var session = new InferenceSession(Model.Load(file).WithBatch(batch), new SessionOptions { Threads = threads, Backend = "cpu" });
        float[] y = new float[session.Outputs[0].ElementCount];
        if (session.Inputs[0].ElementCount != input.Length || y.Length != ortY.Length)
            throw new InvalidOperationException($"{model}: batch {batch} shapes differ (ours {session.Inputs[0].ElementCount} in / {y.Length} out)");
        void Ours() => session.Run(input, y);

        OrtRun();
        Ours();
        double maxAbs = ortY.Max(MathF.Abs), maxDiff = 0;
        for (int i = 0; i < y.Length; i++) maxDiff = Math.Max(maxDiff, Math.Abs(y[i] - ortY[i]));
        if (maxDiff > 1e-4 * Math.Max(1.0, maxAbs))
            throw new InvalidOperationException($"{model}: batch {batch}: our output differs from ONNX Runtime's by {maxDiff:G3} (max |y| {maxAbs:G3})");

        var t = Interleaved.Measure(seconds, OrtRun, Ours);
        var (o, u) = (t[0], t[1]);
        double om = Interleaved.Q(o, 0.5), um = Interleaved.Q(u, 0.5);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"| {model} | {batch} | {threads} | {o.Count} | {o[0]:F3} / {om:F3} | {u[0]:F3} / {um:F3} | {batch * 1e3 / om:F1} | {batch * 1e3 / um:F1} | **{om / um:F2}** |"));
    }
}

/// <summary>Rewrites the leading dimension of an ONNX model's graph input, output and value_info shapes from 1 to a
/// batch below 128, byte for byte (a one-byte varint replaced by another, so no length changes).</summary>
internal static class OnnxBatch
{
    public static byte[] Rewrite(byte[] model, int batch)
    {
        if (batch is < 1 or > 127)
            throw new ArgumentOutOfRangeException(nameof(batch), "1..127");
        var bytes = (byte[])model.Clone();
        int patched = 0;
        foreach (var (field, start, end) in Fields(bytes, 0, bytes.Length))
            if (field == 7) // ModelProto.graph
                foreach (var (gf, gs, ge) in Fields(bytes, start, end))
                    if (gf is 11 or 12 or 13) // GraphProto.input, output, value_info
                        patched += PatchValueInfo(bytes, gs, ge, (byte)batch);
        if (patched < 2)
            throw new InvalidOperationException($"OnnxBatch: only {patched} shapes with a leading 1 found");
        return bytes;
    }

    private static int PatchValueInfo(byte[] b, int start, int end, byte batch)
    {
        foreach (var (f, s, e) in Fields(b, start, end))
            if (f == 2) // ValueInfoProto.type
                foreach (var (tf, ts, te) in Fields(b, s, e))
                    if (tf == 1) // TypeProto.tensor_type
                        foreach (var (xf, xs, xe) in Fields(b, ts, te))
                            if (xf == 2) // Tensor.shape
                                foreach (var (df, ds, de) in Fields(b, xs, xe))
                                    if (df == 1) // TensorShapeProto.dim (the first)
                                    {
                                        // Dimension.dim_value = 1: tag 0x08, varint 0x01
                                        if (de - ds == 2 && b[ds] == 0x08 && b[ds + 1] == 0x01)
                                        {
                                            b[ds + 1] = batch;
                                            return 1;
                                        }
                                        return 0;
                                    }
        return 0;
    }

    /// <summary>The length-delimited fields of a message: (field number, payload start, payload end).</summary>
    private static IEnumerable<(int Field, int Start, int End)> Fields(byte[] b, int pos, int end)
    {
        var list = new List<(int, int, int)>();
        while (pos < end)
        {
            ulong tag = Varint(b, ref pos);
            int field = (int)(tag >> 3), wire = (int)(tag & 7);
            switch (wire)
            {
                case 0: Varint(b, ref pos); break;
                case 1: pos += 8; break;
                case 5: pos += 4; break;
                case 2:
                    int len = checked((int)Varint(b, ref pos));
                    list.Add((field, pos, pos + len));
                    pos += len;
                    break;
                default: throw new InvalidDataException($"OnnxBatch: wire type {wire} at byte {pos}");
            }
        }
        return list;
    }

    private static ulong Varint(byte[] b, ref int pos)
    {
        ulong v = 0;
        for (int shift = 0; ; shift += 7)
        {
            byte x = b[pos++];
            v |= (ulong)(x & 0x7f) << shift;
            if (x < 0x80)
                return v;
        }
    }
}
