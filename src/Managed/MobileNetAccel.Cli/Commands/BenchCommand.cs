using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet bench</c>: times a built-in model the way TFLite's benchmark_model does — init, first inference,
/// warm-up, then timed runs with count/min/max/avg/std/p50/p95 — and reports memory.
/// </summary>
internal static class BenchCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var threads = new Option<int>("--threads", "--num_threads") { Description = "Intra-op threads (default: physical cores)", DefaultValueFactory = _ => 0 };
        var runs = new Option<int>("--runs", "--num_runs") { Description = "Timed runs", DefaultValueFactory = _ => 20 };
        var warmup = new Option<int>("--warmup", "--warmup_runs") { Description = "Untimed warm-up runs after the first inference", DefaultValueFactory = _ => 3 };
        var backend = new Option<string>("--backend") { Description = "Backend: cpu (native kernels), managed (C# reference), a registered backend or device id, a comma-separated preference list, or auto (calibrated choice per partition)", DefaultValueFactory = _ => "cpu" };
        var report = new Option<bool>("--report") { Description = "Print where every node ran, the partitions with their measured cost, the transfers and why" };
        var batch = new Option<int>("--batch") { Description = "Images per inference", DefaultValueFactory = _ => 1 };
        var noOptimize = new Option<bool>("--no-optimize") { Description = "Skip the graph passes (batch-norm folding, fusion)" };
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the report" };
        var modelFile = new Option<string?>("--model", "--graph", "-m") { Description = "Benchmark a model file (.tflite | .onnx) instead of a built-in model (--arch/--alpha/--resolution are then ignored)" };
        var profile = new Option<bool>("--profile") { Description = "After the benchmark, time every node and print the roofline table (GFLOP/s, % of the measured FMA peak, bytes, FLOP/byte, compute- or memory-bound)" };
        var useFloat = new Option<bool>("--float") { Description = "Quantized model files: run the float32 kernels on dequantized weights" };
        var image = new Option<string?>("--image") { Description = "Time the whole pipeline of the Detector / Segmenter / ImageClassifier API on this photograph: decode, resize/quantize, inference, postprocess (detector and segmenter model files get it by default, on a synthetic 640x480 PNG)" };
        threads.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--threads must be 0 (default) or positive"); });
        runs.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--runs must be at least 1"); });
        warmup.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 0) r.AddError("--warmup must not be negative"); });
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1"); });

        var command = new Command("bench", "Benchmark a model file (--model/--graph M.tflite | M.onnx) or a built-in model (random weights) like TFLite's benchmark_model");
        model.AddTo(command);
        foreach (var o in new Option[] { threads, runs, warmup, backend, batch, noOptimize, json, modelFile, useFloat, report, profile, image })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            var (arch, alpha, resolution) = model.Read(result);
            var settings = new Settings(result.GetValue(threads), result.GetValue(runs), result.GetValue(warmup),
                result.GetValue(backend)!, result.GetValue(batch), !result.GetValue(noOptimize), result.GetValue(json))
            {
                ModelFile = result.GetValue(modelFile), ForceFloat = result.GetValue(useFloat), Report = result.GetValue(report),
                Profile = result.GetValue(profile), Image = result.GetValue(image),
            };
            if (settings.Profile && settings.Json)
            {
                Console.Error.WriteLine("mobilenet bench: --profile prints a table; use it without --json");
                return 2;
            }
            try
            {
                return Bench(arch, alpha, resolution, settings);
            }
            catch (Exception e) when (e is NativeLibraryException or ArgumentException or NotSupportedException or MobileNetAccel.Graph.GraphException
                                           or MobileNetAccel.Formats.ModelFormatException or IOException or MobileNetAccel.Imaging.ImageFormatException
                                           or InvalidDataException)
            {
                Console.Error.WriteLine($"mobilenet bench: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private sealed record Settings(int Threads, int Runs, int Warmup, string Backend, int Batch, bool Optimize, bool Json)
    {
        public string? ModelFile { get; init; }
        public bool ForceFloat { get; init; }
        public bool Report { get; init; }
        public bool Profile { get; init; }
        public string? Image { get; init; }
    }

    private static int Bench(MobileNetAccel.Models.Architecture arch, double alpha, int resolution, Settings s)
    {
        var sw = Stopwatch.StartNew();
        if (s.Image is not null && s.ModelFile is null)
            throw new ArgumentException("--image times a model file's pipeline: give --model FILE");
        var model = s.ModelFile is null ? Model.Zoo.Build(arch, alpha, resolution) : Model.Load(s.ModelFile);
        // A detector or segmenter file (or any file given --image) is timed through its API object's stages.
        string? kind = s.ModelFile is null ? null : BenchPipeline.KindOf(model);
        bool pipelined = s.ModelFile is not null && (kind is not null || s.Image is not null);
        if (pipelined && s.Batch != 1)
            throw new ArgumentException($"--batch {s.Batch}: the {kind ?? "classifier"} pipeline runs one image{(kind is null ? " (bench the model without --image)" : "")}");
        if (s.Batch != 1)
            model = model.WithBatch(s.Batch);
        double buildMs = sw.Elapsed.TotalMilliseconds;
        string? photo = pipelined ? s.Image ?? BenchPipeline.SyntheticPhoto() : null;
        try
        {
            return Run(s, model, name: model.Name, kind, photo, buildMs, arch, alpha, resolution);
        }
        finally
        {
            if (photo is not null && s.Image is null)
                File.Delete(photo);
        }
    }

    private static int Run(Settings s, Model model, string name, string? kind, string? photo, double buildMs,
        MobileNetAccel.Models.Architecture arch, double alpha, int resolution)
    {
        var inv = CultureInfo.InvariantCulture;
        var sw = Stopwatch.StartNew();
        var options = new SessionOptions { Threads = s.Threads, Backend = s.Backend, Optimize = s.Optimize, ForceFloat = s.ForceFloat };
        using var pipe = photo is null ? null : BenchPipeline.Create(kind, s.ModelFile!, options);
        using var own = pipe is null ? new InferenceSession(model, options) : null;
        var session = pipe?.Session ?? own!;
        double initMs = sw.Elapsed.TotalMilliseconds;
        var probe = photo is null ? null : MobileNetAccel.Imaging.RgbImage.Load(photo);

        var input = new float[session.Inputs[0].ElementCount];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)(rng.NextDouble() * 2 - 1);
        var output = new float[session.Outputs[0].ElementCount];
        var stages = new List<StageTimes>(s.Runs);
        byte[]? rawInput = null;
        // one inference (ms): through the pipeline (its inference stage), else the session on random input
        double Once(bool timed)
        {
            if (pipe is null)
            {
                sw.Restart();
                session.Run(input, output);
                return sw.Elapsed.TotalMilliseconds;
            }
            var t = pipe.Run(photo!, out rawInput);
            if (timed)
                stages.Add(t);
            return t.Infer;
        }

        double firstMs = Once(false);

        double warmupTotal = 0;
        for (int i = 0; i < s.Warmup; i++)
            warmupTotal += Once(false);
        double warmupAvg = s.Warmup == 0 ? 0 : warmupTotal / s.Warmup;

        var times = new double[s.Runs];
        for (int i = 0; i < s.Runs; i++)
            times[i] = Once(true);
        var sorted = times.OrderBy(t => t).ToArray();
        double avg = times.Average();
        double std = Math.Sqrt(times.Average(t => (t - avg) * (t - avg)));
        double p50 = Percentile(sorted, 50), p95 = Percentile(sorted, 95);
        double perSecond = 1000.0 / avg;
        long peakRss = ProcessMemory.PeakResidentBytes();
        long rss = Environment.WorkingSet;
        var split = pipe is null ? null : new StageSplit(stages, 0);

        if (s.Json)
        {
            // through Console.Out (not the raw standard output), so that a caller that redirects the console gets it
            var stdout = new MemoryStream();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", name);
                if (s.ModelFile is not null)
                {
                    // The file's own architecture and input, not the --arch/--alpha/--resolution defaults.
                    var file = Commands.ModelFile.Describe(model, s.ModelFile);
                    w.WriteString("model_file", s.ModelFile);
                    w.WriteString("arch", file.Arch);
                    if (file.Alpha is { } a) w.WriteNumber("alpha", a); else w.WriteNull("alpha");
                    if (file.Resolution is { } r) w.WriteNumber("resolution", r); else w.WriteNull("resolution");
                    w.WriteString("input_dtype", file.InputType.ToString());
                }
                else
                {
                    w.WriteString("arch", arch == MobileNetAccel.Models.Architecture.MobileNetV1 ? "v1" : "v2");
                    w.WriteNumber("alpha", alpha);
                    w.WriteNumber("resolution", resolution);
                }
                w.WriteStartArray("input_shape");
                foreach (int d in session.Inputs[0].Shape)
                    w.WriteNumberValue(d);
                w.WriteEndArray();
                w.WriteString("backend", s.Backend);
                w.WriteString("device", session.Placement.Count > 0 ? session.Placement[0].Device : "");
                w.WriteString("kernels", HostCpuDevice.FloatKernels);
                w.WriteString("integer_kernels", HostCpuDevice.IntegerKernels);
                w.WriteString("cpu", CpuInfo.ModelName);
                w.WriteString("cpu_features", HostCpuDevice.CpuFeatures);
                w.WriteNumber("threads", session.Threads);
                w.WriteNumber("batch", s.Batch);
                w.WriteBoolean("optimize", s.Optimize);
                w.WriteNumber("params", model.Parameters);
                w.WriteNumber("macs_per_image", model.MacsPerImage);
                w.WriteNumber("model_bytes", model.ConstantBytes);
                w.WriteNumber("build_ms", buildMs);
                w.WriteNumber("init_ms", initMs);
                w.WriteNumber("first_ms", firstMs);
                w.WriteNumber("warmup", s.Warmup);
                w.WriteNumber("warmup_avg_ms", warmupAvg);
                w.WriteNumber("runs", s.Runs);
                w.WriteNumber("min_ms", sorted[0]);
                w.WriteNumber("max_ms", sorted[^1]);
                w.WriteNumber("avg_ms", avg);
                w.WriteNumber("std_ms", std);
                w.WriteNumber("median_ms", p50);
                w.WriteNumber("p95_ms", p95);
                w.WriteNumber("inferences_per_s", perSecond);
                w.WriteNumber("images_per_s", perSecond * s.Batch);
                w.WriteNumber("arena_bytes", session.ArenaBytes);
                w.WriteNumber("peak_rss_bytes", peakRss);
                w.WriteNumber("rss_bytes", rss);
                w.WriteString("placement", session.Placement.Summary);
                if (s.Report)
                {
                    w.WriteStartArray("partitions");
                    foreach (var p in session.Placement.Partitions)
                    {
                        w.WriteStartObject();
                        w.WriteString("backend", p.Backend);
                        w.WriteString("device", p.Device);
                        w.WriteNumber("nodes", p.Nodes.Count);
                        if (p.MeasuredMs is { } ms)
                            w.WriteNumber("measured_ms", ms);
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                    w.WriteNumber("transfers", session.Placement.Transfers.Count);
                    w.WriteNumber("transfer_bytes", session.Placement.TransferBytes);
                    w.WriteStartArray("reasons");
                    foreach (var r in session.Placement.Reasons)
                        w.WriteStringValue(r);
                    w.WriteEndArray();
                    w.WriteString("calibration", session.Placement.Calibration);
                }
                split?.Write(w, pipe!.Kind, photo!, probe!);
                w.WriteEndObject();
            }
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(stdout.GetBuffer(), 0, (int)stdout.Length));
            Console.Out.Flush();
            return 0;
        }

        static string Mb(long bytes) => (bytes / 1e6).ToString("F3", CultureInfo.InvariantCulture);
        Console.WriteLine("STARTING!");
        Console.WriteLine(s.ModelFile is null
            ? $"Model: [{name}] (built-in, random weights; build {buildMs.ToString("F1", inv)} ms)"
            : $"Model: [{name}] (file {s.ModelFile}{(s.ForceFloat ? ", float kernels" : "")}; load {buildMs.ToString("F1", inv)} ms)");
        Console.WriteLine($"Backend: [{s.Backend}] device [{(session.Placement.Count > 0 ? session.Placement[0].Device : "")}] kernels [{HostCpuDevice.FloatKernels}] integer kernels [{HostCpuDevice.IntegerKernels}] cpu [{CpuInfo.ModelName}; {HostCpuDevice.CpuFeatures}]");
        Console.WriteLine($"Num threads: [{session.Threads}]  Batch: [{s.Batch}]  Optimize: [{s.Optimize}]  Num runs: [{s.Runs}]  Warm-up runs: [{s.Warmup}]");
        Console.WriteLine($"Graph: {session.Graph.Nodes.Count} nodes after passes ({string.Join(", ", session.PassLog.Where(p => p.Rewrites > 0).Select(p => $"{p.Pass} {p.Rewrites}"))})");
        Console.WriteLine($"The model size (MB): {Mb(model.ConstantBytes)}  ({model.Parameters.ToString("N0", inv)} parameters, {model.MacsPerImage.ToString("N0", inv)} MACs per image)");
        Console.WriteLine($"Initialized session in {initMs.ToString("F3", inv)} ms.");
        Console.WriteLine($"First inference: {firstMs.ToString("F3", inv)} ms");
        Console.WriteLine($"Warm-up: count={s.Warmup} avg={warmupAvg.ToString("F3", inv)} ms");
        Console.WriteLine($"Inference timings in ms: count={s.Runs} min={sorted[0].ToString("F3", inv)} max={sorted[^1].ToString("F3", inv)} avg={avg.ToString("F3", inv)} "
            + $"std={std.ToString("F3", inv)} p50={p50.ToString("F3", inv)} p95={p95.ToString("F3", inv)}");
        Console.WriteLine($"Throughput: {perSecond.ToString("F2", inv)} inferences/s, {(perSecond * s.Batch).ToString("F2", inv)} img/s");
        Console.WriteLine($"Memory (MB): arena={Mb(session.ArenaBytes)} peak RSS={Mb(peakRss)} current RSS={Mb(rss)}");
        Console.WriteLine($"Placement: {session.Placement.Summary}");
        if (s.Report)
            Console.Write(session.Placement.ToString());
        if (s.Profile)
        {
            // the pipeline's own input, so that the in-graph postprocess sees real boxes and scores
            var profile = session.Profile(s.Runs, s.Warmup, rawInput);
            Roofline.Print(profile, session.Threads, Console.Out);
            if (pipe is not null)
                split = new StageSplit(stages, profile.Rows.Where(r => r.Op == nameof(MobileNetAccel.Graph.OpType.DetectionPostProcess)).Sum(r => r.MedianMs));
        }
        split?.Print(pipe!.Kind, photo!, probe!, s.Runs, Console.Out);
        return 0;
    }

    /// <summary>Nearest-rank percentile of sorted samples.</summary>
    private static double Percentile(double[] sorted, double p)
    {
        int rank = (int)Math.Ceiling(p / 100.0 * sorted.Length);
        return sorted[Math.Clamp(rank - 1, 0, sorted.Length - 1)];
    }
}

/// <summary>Process memory figures.</summary>
internal static class ProcessMemory
{
    /// <summary>Peak resident set size (VmHWM of /proc/self/status on Linux), else the current working set.</summary>
    public static long PeakResidentBytes()
    {
        try
        {
            if (OperatingSystem.IsLinux())
                foreach (var line in File.ReadLines("/proc/self/status"))
                    if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    {
                        var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (parts.Length >= 2 && long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out long kb))
                            return kb * 1024;
                    }
        }
        catch (IOException) { }
        return Environment.WorkingSet;
    }
}
