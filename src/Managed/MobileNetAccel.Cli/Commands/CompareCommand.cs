using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// <c>mobilenet compare</c>: runs a built-in model on two backends with the same seeded input and reports how far the
/// outputs are apart (used by perf/gpu-check.sh to check GPU backends against the native CPU backend). Exit code 0
/// when every output is within |Δ| ≤ abs + rel·|reference| and the top-1 class of every image agrees, 1 otherwise.
/// </summary>
internal static class CompareCommand
{
    public static Command Create()
    {
        var model = new ModelOptions();
        var backend = new Option<string>("--backend") { Description = "Backend under test (e.g. ilgpu-cuda)", DefaultValueFactory = _ => "ilgpu" };
        var reference = new Option<string>("--reference") { Description = "Reference backend", DefaultValueFactory = _ => "cpu" };
        var batch = new Option<int>("--batch") { Description = "Images per inference", DefaultValueFactory = _ => 1 };
        var abs = new Option<double>("--abs") { Description = "Absolute tolerance on the (softmax) output", DefaultValueFactory = _ => 2e-6 };
        var rel = new Option<double>("--rel") { Description = "Relative tolerance on the (softmax) output", DefaultValueFactory = _ => 1e-3 };
        var json = new Option<bool>("--json") { Description = "Print one JSON object" };
        var file = new Option<string?>("--model") { Description = "Model file (.tflite) instead of a built-in model; quantized models run their float32 form (ForceFloat) on both backends" };
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1"); });

        var command = new Command("compare", "Run a built-in model on two backends and compare the outputs");
        model.AddTo(command);
        foreach (var o in new Option[] { file, backend, reference, batch, abs, rel, json })
            command.Options.Add(o);
        command.SetAction(result =>
        {
            var (arch, alpha, resolution) = model.Read(result);
            try
            {
                string? path = result.GetValue(file);
                var m = path is null ? Model.Zoo.Build(arch, alpha, resolution) : ModelFile.Load(path);
                return Compare(m, result.GetValue(backend)!, result.GetValue(reference)!,
                    result.GetValue(batch), result.GetValue(abs), result.GetValue(rel), result.GetValue(json));
            }
            catch (Exception e) when (e is ArgumentException or NotSupportedException or InvalidOperationException or MobileNetAccel.Graph.GraphException
                                           or MobileNetAccel.Formats.ModelFormatException or IOException)
            {
                Console.Error.WriteLine($"mobilenet compare: {e.Message}");
                return 2;
            }
        });
        return command;
    }

    private static int Compare(Model model, string backend, string reference, int batch, double abs, double rel, bool json)
    {
        if (batch != 1)
            model = model.WithBatch(batch);
        var (want, refInit, refRun, _) = RunOnce(model, reference);
        var (got, testInit, testRun, device) = RunOnce(model, backend);
        int classes = got.Length / batch;
        double maxAbs = 0, worstExcess = double.NegativeInfinity;
        int worst = 0, top1Agree = 0;
        for (int i = 0; i < got.Length; i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            if (double.IsNaN(d))
                d = double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, d);
            double excess = d - (abs + rel * Math.Abs(want[i]));
            if (excess > worstExcess)
            {
                worstExcess = excess;
                worst = i;
            }
        }
        for (int b = 0; b < batch; b++)
            if (ArgMax(got.AsSpan(b * classes, classes)) == ArgMax(want.AsSpan(b * classes, classes)))
                top1Agree++;
        bool pass = worstExcess <= 0 && top1Agree == batch;

        if (json)
        {
            using var stdout = Console.OpenStandardOutput();
            using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("model", model.Name);
                w.WriteString("backend", backend);
                w.WriteString("device", device);
                w.WriteString("reference", reference);
                w.WriteNumber("batch", batch);
                w.WriteNumber("outputs", got.Length);
                w.WriteNumber("max_abs_diff", maxAbs);
                w.WriteNumber("worst_index", worst);
                w.WriteNumber("worst_got", got[worst]);
                w.WriteNumber("worst_want", want[worst]);
                w.WriteNumber("tolerance_abs", abs);
                w.WriteNumber("tolerance_rel", rel);
                w.WriteNumber("top1_agree", top1Agree);
                w.WriteNumber("reference_init_ms", refInit);
                w.WriteNumber("reference_run_ms", refRun);
                w.WriteNumber("init_ms", testInit);
                w.WriteNumber("run_ms", testRun);
                w.WriteBoolean("pass", pass);
                w.WriteEndObject();
            }
            stdout.WriteByte((byte)'\n');
        }
        else
        {
            Console.WriteLine($"{model.Name} batch {batch}: {backend} ({device}) vs {reference}: max |Δ| {maxAbs:E3}, " +
                $"worst [{worst}] {got[worst]} vs {want[worst]} (tolerance {abs} + {rel}·|ref|), top-1 agrees {top1Agree}/{batch}: {(pass ? "PASS" : "FAIL")}");
        }
        return pass ? 0 : 1;
    }

    private static (float[] Output, double InitMs, double RunMs, string Device) RunOnce(Model model, string backend)
    {
        var sw = Stopwatch.StartNew();
        using var session = new InferenceSession(model, new SessionOptions { Backend = backend, ForceFloat = true });
        double init = sw.Elapsed.TotalMilliseconds;
        var input = new float[session.Inputs[0].ElementCount];
        var rng = new Random(1);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)(rng.NextDouble() * 2 - 1);
        sw.Restart();
        var output = session.Run(input);
        return (output, init, sw.Elapsed.TotalMilliseconds, session.Placement.Count > 0 ? session.Placement[0].Device : "");
    }

    private static int ArgMax(ReadOnlySpan<float> a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++)
            if (a[i] > a[best])
                best = i;
        return best;
    }
}
