using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// The user-visible pipeline of <see cref="Detector"/>, <see cref="Segmenter"/> or <see cref="ImageClassifier"/> for
/// <c>mobilenet bench</c>: the API object's own stages (Prepare, Infer, Postprocess: the code Detect / Segment /
/// Classify run, not a copy), after <see cref="RgbImage.Load"/> of the photograph.
/// </summary>
internal sealed class BenchPipeline : IDisposable
{
    private readonly IDisposable _owner;
    private readonly Func<RgbImage, byte[]> _prepare;
    private readonly Func<byte[], object> _infer;
    private readonly Func<RgbImage, object, object> _postprocess;

    private BenchPipeline(string kind, InferenceSession session, IDisposable owner, Func<RgbImage, byte[]> prepare,
        Func<byte[], object> infer, Func<RgbImage, object, object> postprocess)
    {
        Kind = kind;
        Session = session;
        _owner = owner;
        _prepare = prepare;
        _infer = infer;
        _postprocess = postprocess;
    }

    /// <summary>"detector", "segmenter" or "classifier".</summary>
    public string Kind { get; }

    public InferenceSession Session { get; }

    /// <summary>Whether <paramref name="model"/> is one the Detector (a TFLite_Detection_PostProcess) or the Segmenter
    /// (an ARG_MAX index output [1,H,W]) runs; any other model is benchmarked as a pipeline only given a photograph.</summary>
    public static string? KindOf(Model model)
    {
        var nodes = model.GraphNoCopy.Nodes;
        if (nodes.OfType<DetectionPostProcessNode>().Any())
            return "detector";
        var outputs = model.GraphNoCopy.Outputs;
        if (outputs.Count == 1 && outputs[0].Shape is [1, _, _] && nodes.OfType<ArgMaxNode>().Any(n => n.Output.Name == outputs[0].Name))
            return "segmenter";
        return null;
    }

    /// <summary>The API object of <paramref name="kind"/> (null: a classifier) on <paramref name="modelFile"/>.</summary>
    public static BenchPipeline Create(string? kind, string modelFile, SessionOptions options)
    {
        switch (kind)
        {
            case "detector":
            {
                var d = new Detector(modelFile, null, options);
                return new BenchPipeline(kind, d.Session, d, d.Prepare, d.Infer, (img, raw) => d.Postprocess(img, (byte[][])raw, 0.5f));
            }
            case "segmenter":
            {
                var s = new Segmenter(modelFile, null, options);
                return new BenchPipeline(kind, s.Session, s, s.Prepare, s.Infer, (img, raw) => s.Postprocess(img, (byte[])raw));
            }
            default:
            {
                var c = new ImageClassifier(modelFile, null, options);
                return new BenchPipeline("classifier", c.Session, c, c.Prepare, c.Infer, (_, raw) => c.Postprocess((byte[])raw, 5));
            }
        }
    }

    /// <summary>One pass: decode, prepare, infer, postprocess, each timed (ms).</summary>
    public StageTimes Run(string imagePath, out byte[] input)
    {
        var sw = Stopwatch.StartNew();
        var image = RgbImage.Load(imagePath);
        double decode = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        input = _prepare(image);
        double prepare = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var raw = _infer(input);
        double infer = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        GC.KeepAlive(_postprocess(image, raw));
        double post = sw.Elapsed.TotalMilliseconds;
        return new StageTimes(decode, prepare, infer, post);
    }

    /// <summary>A photograph for a pipeline benchmark given none: 640x480, smooth colours with noise, written as a PNG
    /// into a temporary file (the caller deletes it).</summary>
    public static string SyntheticPhoto()
    {
        const int w = 640, h = 480;
        var px = new byte[w * h * 3];
        var rng = new Random(7);
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                int p = (y * w + x) * 3;
                px[p] = (byte)Math.Clamp(x * 255 / w + rng.Next(-20, 21), 0, 255);
                px[p + 1] = (byte)Math.Clamp(y * 255 / h + rng.Next(-20, 21), 0, 255);
                px[p + 2] = (byte)Math.Clamp(128 + rng.Next(-40, 41), 0, 255);
            }
        string path = Path.Combine(Path.GetTempPath(), $"mna-bench-{Environment.ProcessId}.png");
        new RgbImage(w, h, px).SavePng(path);
        return path;
    }

    public void Dispose() => _owner.Dispose();
}

/// <summary>One pipeline pass's stage times (ms).</summary>
internal readonly record struct StageTimes(double Decode, double Prepare, double Infer, double Postprocess)
{
    public double Total => Decode + Prepare + Infer + Postprocess;
}

/// <summary>Medians of the stage times over the timed runs, their shares, and how they are reported.</summary>
internal sealed class StageSplit
{
    public StageSplit(IReadOnlyList<StageTimes> runs, double graphPostprocessMs)
    {
        static double Median(IEnumerable<double> v)
        {
            var s = v.OrderBy(t => t).ToArray();
            return s.Length % 2 == 1 ? s[s.Length / 2] : (s[s.Length / 2 - 1] + s[s.Length / 2]) / 2;
        }
        Decode = Median(runs.Select(r => r.Decode));
        Prepare = Median(runs.Select(r => r.Prepare));
        Infer = Median(runs.Select(r => r.Infer));
        Postprocess = Median(runs.Select(r => r.Postprocess));
        Total = Median(runs.Select(r => r.Total));
        GraphPostprocess = Math.Min(graphPostprocessMs, Infer);
    }

    public double Decode { get; }
    public double Prepare { get; }
    public double Infer { get; }
    public double Postprocess { get; }

    /// <summary>Median of the per-run totals.</summary>
    public double Total { get; }

    /// <summary>Median time of the graph's own postprocess node (TFLite_Detection_PostProcess) from --profile; 0 without.</summary>
    public double GraphPostprocess { get; }

    private double Sum => Decode + Prepare + Infer + Postprocess;

    /// <summary>Share of the sum of the medians (the shares add up to 100).</summary>
    public double Pct(double ms) => Sum > 0 ? 100 * ms / Sum : 0;

    /// <summary>Decode + resize/quantize + postprocess (the in-graph postprocess node moved from inference to postprocess).</summary>
    public double PrePostPct => Pct(Decode + Prepare + Postprocess + GraphPostprocess);

    public void Print(string kind, string image, RgbImage probe, int runs, TextWriter o)
    {
        var inv = CultureInfo.InvariantCulture;
        string Row(string name, double ms) => $"  {name,-28}{ms.ToString("F3", inv),10} ms {Pct(ms).ToString("F1", inv),6} %";
        o.WriteLine($"Pipeline ({kind}, the API's own stages; image {image} {probe.Width}x{probe.Height}; medians of {runs} runs):");
        o.WriteLine(Row("decode (file -> RgbImage)", Decode));
        o.WriteLine(Row("resize/quantize (-> input)", Prepare));
        o.WriteLine(Row("inference (graph)", Infer));
        if (GraphPostprocess > 0)
            o.WriteLine(Row("  of which in-graph postproc", GraphPostprocess));
        o.WriteLine(Row("postprocess", Postprocess));
        o.WriteLine($"  {"total",-28}{Total.ToString("F3", inv),10} ms (median of the per-run totals)");
        o.WriteLine($"  pre+post: {PrePostPct.ToString("F1", inv)} % of the total"
            + (GraphPostprocess > 0 ? " (the in-graph TFLite_Detection_PostProcess counted as postprocess)" : ""));
    }

    public void Write(Utf8JsonWriter w, string kind, string image, RgbImage probe)
    {
        w.WriteStartObject("pipeline");
        w.WriteString("kind", kind);
        w.WriteString("image", image);
        w.WriteNumber("image_width", probe.Width);
        w.WriteNumber("image_height", probe.Height);
        w.WriteNumber("decode_ms", Decode);
        w.WriteNumber("preprocess_ms", Prepare);
        w.WriteNumber("inference_ms", Infer);
        w.WriteNumber("graph_postprocess_ms", GraphPostprocess);
        w.WriteNumber("postprocess_ms", Postprocess);
        w.WriteNumber("total_ms", Total);
        w.WriteNumber("decode_pct", Pct(Decode));
        w.WriteNumber("preprocess_pct", Pct(Prepare));
        w.WriteNumber("inference_pct", Pct(Infer));
        w.WriteNumber("postprocess_pct", Pct(Postprocess));
        w.WriteNumber("pre_post_pct", PrePostPct);
        w.WriteEndObject();
    }
}
