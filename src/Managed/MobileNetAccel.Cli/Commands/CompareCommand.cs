using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet compare</c>: the same model on every available backend/device (one per device, as "auto" sees them)
/// at each requested batch: p50 latency, images/s, speed-up over the native CPU backend at that batch, and whether the
/// outputs agree with the reference backend (default the managed C# reference): every output within
/// |Δ| ≤ abs + rel·|reference| and the same top-1 class for every image. The batch holds two different images
/// (alternating), each checked against its own batch-1 reference output. <c>--backend X</c> (one backend, as
/// perf scripts call it) is the same option as <c>--backends</c>. Exit code 0 when every row agrees, 1 otherwise.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var batches = new Option<string>("--batch") { Description = "Comma-separated batch sizes, e.g. 1,8,64", DefaultValueFactory = _ => "1" };
        var runs = new Option<int>("--runs") { Description = "Timed runs per backend and batch (p50 of these)", DefaultValueFactory = _ => 5 };
        var warmup = new Option<int>("--warmup") { Description = "Untimed runs before timing", DefaultValueFactory = _ => 1 };
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads of CPU backends (default: physical cores)", DefaultValueFactory = _ => 0 };
        var backends = new Option<string?>("--backends", "--backend") { Description = "Comma-separated backends/device ids to compare (default: every device; the managed reference only when named)" };
        var reference = new Option<string>("--reference") { Description = "Reference backend for the agreement check", DefaultValueFactory = _ => "managed" };
        // Measured: native cpu vs managed differ by up to 8e-6 on MobileNetV2 probabilities (0.35/96, 0.5/128; batch 1
        // and 4), hence 2e-5 against the managed reference; 2e-6 (the ILGPU checks' bound) against any other.
        var abs = new Option<double?>("--abs") { Description = "Absolute tolerance on the (softmax) outputs (default 2e-5 with the managed reference, 2e-6 with another)" };
        var rel = new Option<double>("--rel") { Description = "Relative tolerance on the (softmax) outputs", DefaultValueFactory = _ => 1e-3 };
        var modelFile = new Option<string?>("--model", "--graph", "-m") { Description = "Compare on a model file (.tflite | .onnx) instead of a built-in model (--arch/--alpha/--resolution are then ignored); quantized models run their float32 form (ForceFloat) on every backend" };
        var json = new Option<bool>("--json") { Description = "Print {\"rows\":[{backend,device,batch,p50_ms,img_per_s,speedup,agree}...]}" };
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--runs must be at least 1"); });
        warmup.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--warmup must not be negative"); });
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be 0 (default) or positive"); });
        abs.Validators.Add(r => { if (r.GetValueOrDefault<double?>() is { } v && !(v >= 0)) r.AddError("--abs must not be negative"); });
        rel.Validators.Add(r => { if (!(r.GetValueOrDefault<double>() >= 0)) r.AddError("--rel must not be negative"); });

        var command = new Command("compare", "Run a model on every available backend/device and compare latency, throughput and agreement");
        model.AddTo(command);
        foreach (var o in new Option[] { modelFile, batches, runs, warmup, threads, backends, reference, abs, rel, json })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            try
            {
                var list = ParseBatches(result.GetValue(batches)!);
                var (arch, alpha, resolution) = model.Read(result);
                var file = result.GetValue(modelFile);
                var m = file is null ? Model.Zoo.Build(arch, alpha, resolution) : Model.Load(file);
                return Compare(m, list, result.GetValue(runs), result.GetValue(warmup), result.GetValue(threads),
                    result.GetValue(backends), result.GetValue(reference)!,
                    result.GetValue(abs) ?? (string.Equals(result.GetValue(reference), "managed", StringComparison.OrdinalIgnoreCase) ? 2e-5 : 2e-6),
                    result.GetValue(rel), result.GetValue(json));
            }
            catch (Exception e) when (e is NativeLibraryException or ArgumentException or NotSupportedException or InvalidOperationException or FormatException or IOException or MobileNetAccel.Graph.GraphException
                                           or MobileNetAccel.Formats.ModelFormatException)
            {
                Console.Error.WriteLine($"mobilenet compare: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    internal static List<int> ParseBatches(string text)
    {
        var list = new List<int>();
        foreach (var part in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!int.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out int b) || b < 1 || b > 4096)
                throw new FormatException($"--batch: '{part}' is not a batch size in [1, 4096]");
            if (!list.Contains(b))
                list.Add(b);
        }
        if (list.Count == 0)
            throw new FormatException("--batch: no batch size given");
        return list;
    }

    private sealed record Row(string Backend, string Device, int Batch, double P50Ms, double ImgPerS, double? Speedup, bool Agree, double MaxDiff, int Top1Agree, string? Error);

    private static int Compare(Model model, List<int> batches, int runs, int warmup, int threads, string? only, string referenceBackend,
        double abs, double rel, bool json)
    {
        var inv = CultureInfo.InvariantCulture;
        IReadOnlyList<BackendTarget> targets;
        if (only is null)
            targets = BackendSelector.Candidates();
        else
        {
            var all = BackendSelector.Candidates(includeReference: true);
            var allBackends = BackendRegistry.All();
            var chosen = new List<BackendTarget>();
            foreach (var token in only.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var t = all.FirstOrDefault(x => string.Equals(x.Device.Id, token, StringComparison.OrdinalIgnoreCase)
                                                || string.Equals(x.Backend.Name, token, StringComparison.OrdinalIgnoreCase));
                if (t is null)
                {
                    var b = allBackends.FirstOrDefault(x => string.Equals(x.Name, token, StringComparison.OrdinalIgnoreCase))
                        ?? throw new ArgumentException($"unknown backend '{token}'; available: {string.Join(", ", all.Select(x => x.Backend.Name + " (" + x.Device.Id + ")"))}");
                    var ds = DeviceCatalog.SafeDevices(b);
                    if (ds.Count == 0)
                        throw new NotSupportedException($"backend '{b.Name}' has no device on this machine");
                    t = new BackendTarget(b, ds[0]);
                }
                chosen.Add(t);
            }
            targets = chosen;
        }

        // Two different images; image i of a batch is image (i % 2), checked against its own reference output.
        int perImage = model.Graph.Inputs[0].Shape.Skip(1).Aggregate(1, (a, b) => a * b);
        var images = new[] { Pattern(perImage, 1), Pattern(perImage, 2) };
        float[][] reference;
        InferenceSession refSession;
        try
        {
            refSession = new InferenceSession(model.WithBatch(1), new SessionOptions { Backend = referenceBackend, Strict = true, Threads = threads, CalibrationCache = false, ForceFloat = true });
        }
        catch (NotSupportedException e)
        {
            throw new NotSupportedException($"the reference backend '{referenceBackend}' cannot run this model ({e.Message}); choose another with --reference (e.g. cpu)", e);
        }
        using (refSession)
            reference = images.Select(refSession.Run).ToArray();
        int outPerImage = reference[0].Length;

        var rows = new List<Row>();
        foreach (int batch in batches)
        {
            var m = batch == model.Batch ? model : model.WithBatch(batch);
            var input = new float[perImage * batch];
            for (int i = 0; i < batch; i++)
                images[i % 2].CopyTo(input, i * perImage);
            var output = new float[outPerImage * batch];
            var batchRows = new List<Row>();
            foreach (var t in targets)
            {
                string name = t.Backend.Name;
                try
                {
                    using var s = new InferenceSession(m, new SessionOptions
                    {
                        Backend = name == t.Device.Id || name == "cpu" || name == "managed" ? name : t.Device.Id,
                        Backends = new[] { t.Backend }, Strict = true, Threads = threads, CalibrationCache = false, ForceFloat = true,
                    });
                    for (int i = 0; i < warmup; i++)
                        s.Run(input, output);
                    var times = new double[runs];
                    var sw = new Stopwatch();
                    for (int i = 0; i < runs; i++)
                    {
                        sw.Restart();
                        s.Run(input, output);
                        times[i] = sw.Elapsed.TotalMilliseconds;
                    }
                    Array.Sort(times);
                    double p50 = times[(runs - 1) / 2];
                    double diff = 0;
                    bool within = true;
                    int top1 = 0;
                    for (int i = 0; i < batch; i++)
                    {
                        var want = reference[i % 2];
                        var got = output.AsSpan(i * outPerImage, outPerImage);
                        for (int j = 0; j < outPerImage; j++)
                        {
                            double d = Math.Abs((double)got[j] - want[j]);
                            if (double.IsNaN(d))
                                d = double.PositiveInfinity;
                            diff = Math.Max(diff, d);
                            within &= d <= abs + rel * Math.Abs(want[j]);
                        }
                        if (ArgMax(got) == ArgMax(want))
                            top1++;
                    }
                    batchRows.Add(new Row(name, t.Device.Id, batch, p50, batch * 1000.0 / p50, null, within && top1 == batch, diff, top1, null));
                }
                catch (Exception e) when (e is NativeLibraryException or NotSupportedException or InvalidOperationException or ArgumentException or MobileNetAccel.Graph.GraphException)
                {
                    batchRows.Add(new Row(name, t.Device.Id, batch, double.NaN, double.NaN, null, false, double.NaN, 0, e.Message));
                }
            }
            var cpu = batchRows.FirstOrDefault(r => r.Backend == "cpu" && r.Error is null);
            rows.AddRange(batchRows.Select(r => r with { Speedup = cpu is null || r.Error is not null ? null : r.ImgPerS / cpu.ImgPerS }));
        }

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", model.Name);
                w.WriteNumber("runs", runs);
                w.WriteString("reference", referenceBackend);
                w.WriteNumber("tolerance_abs", abs);
                w.WriteNumber("tolerance_rel", rel);
                w.WriteBoolean("pass", rows.All(r => r.Agree));
                // Summary fields of the whole comparison (as perf/gpu-check.sh reads them); per row below.
                if (rows.Count == 1)
                {
                    w.WriteString("backend", rows[0].Backend);
                    w.WriteString("device", rows[0].Device);
                    w.WriteNumber("batch", rows[0].Batch);
                }
                Num(w, "max_abs_diff", rows.Count == 0 ? 0 : rows.Max(r => r.MaxDiff));
                w.WriteNumber("top1_agree", rows.Sum(r => r.Top1Agree));
                w.WriteStartArray("rows");
                foreach (var r in rows)
                {
                    w.WriteStartObject();
                    w.WriteString("backend", r.Backend);
                    w.WriteString("device", r.Device);
                    w.WriteNumber("batch", r.Batch);
                    Num(w, "p50_ms", r.P50Ms);
                    Num(w, "img_per_s", r.ImgPerS);
                    Num(w, "speedup", r.Speedup);
                    w.WriteBoolean("agree", r.Agree);
                    Num(w, "max_abs_diff", r.MaxDiff);
                    w.WriteNumber("top1_agree", r.Top1Agree);
                    if (r.Error is not null)
                        w.WriteString("error", r.Error);
                    w.WriteEndObject();
                }
                w.WriteEndArray();
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
            return rows.All(r => r.Agree) ? 0 : 1;
        }

        Console.WriteLine($"model {model.Name}; {runs} timed runs after {warmup} warm-up; agree = |Δ| ≤ {abs.ToString("G3", inv)} + {rel.ToString("G3", inv)}·|ref| and same top-1 vs {referenceBackend}");
        Console.WriteLine($"{"backend",-14} {"device",-16} {"batch",5} {"p50 ms",10} {"img/s",10} {"speed-up",9} {"agree",6}  max |Δ|");
        foreach (var r in rows)
        {
            if (r.Error is not null)
            {
                Console.WriteLine($"{r.Backend,-14} {r.Device,-16} {r.Batch,5}  failed: {r.Error}");
                continue;
            }
            Console.WriteLine($"{r.Backend,-14} {r.Device,-16} {r.Batch,5} {r.P50Ms.ToString("F3", inv),10} {r.ImgPerS.ToString("F1", inv),10} "
                + $"{(r.Speedup is { } x ? x.ToString("F2", inv) + "x" : "-"),9} {(r.Agree ? "yes" : "NO"),6}  {r.MaxDiff.ToString("G3", inv)}");
        }
        return rows.All(r => r.Agree) ? 0 : 1;
    }

    private static int ArgMax(ReadOnlySpan<float> a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++)
            if (a[i] > a[best])
                best = i;
        return best;
    }

    private static void Num(Utf8JsonWriter w, string name, double? v)
    {
        if (v is { } x && double.IsFinite(x))
            w.WriteNumber(name, x);
        else
            w.WriteNull(name);
    }

    /// <summary>A deterministic image-like input in [-1, 1].</summary>
    private static float[] Pattern(int n, int seed)
    {
        var rng = new Random(seed);
        var a = new float[n];
        for (int i = 0; i < n; i++)
            a[i] = (float)(rng.NextDouble() * 2 - 1);
        return a;
    }
}
