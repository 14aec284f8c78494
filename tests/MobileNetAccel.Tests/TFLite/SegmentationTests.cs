using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text.Json;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// DeepLabV3 on MobileNetV2 (1.0 and 0.5, quantized uint8, PASCAL VOC) on the integer path, against the two TFLite
/// runtimes of ../shared/models/segmentation/reference (ArmNN CpuRef, LiteRT/XNNPACK), with the README's suggested rule:
/// the logits (tensor 182, uint8 [33,33,21]) element-wise within logits_quanta of the nearer reference, the mask equal
/// to the nearer reference on at least the suggested share of pixels, and on bird_segmentation Coral's own check
/// (pixel-IoU against its mask > 0.9). Each model is split at the logits into a head session (input → logits) and a
/// tail session (logits → resizes → ARG_MAX mask), so both are read from one backbone run; one test checks the whole
/// model's session gives the same mask.
/// </summary>
[TestFixture]
public class SegmentationTests
{
    private const string Dir = "models/segmentation";
    private static readonly string[] Models = { "deeplabv3_mnv2_pascal_quant", "deeplabv3_mnv2_dm05_pascal_quant" };
    private static readonly string[] Images = { "bird_segmentation.bmp", "dog_segmentation.bmp", "grace_hopper.bmp", "kite_and_cold.jpg" };
    private const int Side = 513, Classes = 21;

    public static IEnumerable<TestCaseData> Cases() =>
        Models.SelectMany(m => Images.Select(i => new TestCaseData(m, i).SetName($"Segmentation({m},{i})")));

    private sealed record Split(InferenceSession Head, InferenceSession Tail, string LogitsName) : IDisposable
    {
        public void Dispose()
        {
            Head.Dispose();
            Tail.Dispose();
        }
    }

    private static readonly Dictionary<string, Split> Sessions = new();

    [OneTimeTearDown]
    public void DisposeSessions()
    {
        foreach (var s in Sessions.Values)
            s.Dispose();
        Sessions.Clear();
    }

    private static JsonElement Case(string model, string image)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        foreach (var c in doc.RootElement.GetProperty("cases").EnumerateArray())
            if (c.GetProperty("model").GetString() == model && c.GetProperty("image").GetString() == image)
                return c.Clone();
        Assert.Fail($"reference.json has no case {model}/{image}");
        throw new InvalidOperationException();
    }

    private static string LogitsName(string model)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        return doc.RootElement.GetProperty("models").GetProperty(model).GetProperty("logits").GetProperty("name").GetString()!;
    }

    /// <summary>The graph cut at a value: the head computes it from the input, the tail computes the output from it.</summary>
    internal static (ModelGraph Head, ModelGraph Tail) Cut(ModelGraph graph, string valueName)
    {
        var head = graph.Clone();
        head.Validate(); // sets the producer links of the copy
        var cut = head.Values().Single(v => v.Name == valueName);
        var needed = new HashSet<Node>(ReferenceEqualityComparer.Instance);
        var stack = new Stack<Value>(new[] { cut });
        while (stack.Count > 0)
            if (stack.Pop().Producer is { } p && needed.Add(p))
                foreach (var i in p.Inputs)
                    if (i is not null)
                        stack.Push(i);
        head.Nodes.RemoveAll(n => !needed.Contains(n));
        head.Outputs.Clear();
        head.Outputs.Add(cut);
        head.Validate();

        var tail = graph.Clone();
        var tcut = tail.Values().Single(v => v.Name == valueName);
        var tailNeeded = new HashSet<Node>(tail.Nodes.Where(n => !needed.Any(h => h.Name == n.Name)), ReferenceEqualityComparer.Instance);
        tail.Nodes.RemoveAll(n => !tailNeeded.Contains(n));
        tail.Inputs.Clear();
        tail.Inputs.Add(tcut);
        tail.Validate();
        return (head, tail);
    }

    private static Split SessionsOf(string model)
    {
        lock (Sessions)
        {
            if (Sessions.TryGetValue(model, out var s))
                return s;
            var sw = Stopwatch.StartNew();
            var loaded = Model.Load(TestData.Require($"{Dir}/{model}.tflite"));
            string logits = LogitsName(model);
            var (head, tail) = Cut(loaded.Graph, logits);
            s = new Split(new InferenceSession(new Model(head)), new InferenceSession(new Model(tail)), logits);
            TestContext.Out.WriteLine($"{model}: loaded and compiled in {sw.ElapsedMilliseconds} ms");
            Sessions[model] = s;
            return s;
        }
    }

    private static byte[] Input(string image) => File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/513x513__{image}.rgb.u8"));

    private static byte[] MaskOf(InferenceSession tail, byte[] logits)
    {
        var ids = new long[Side * Side];
        tail.RunRaw(logits, MemoryMarshal.AsBytes(ids.AsSpan()));
        Assert.That(ids.All(v => v is >= 0 and < Classes), "class indices out of range");
        return ids.Select(v => (byte)v).ToArray();
    }

    private static int Equal(byte[] a, byte[] b)
    {
        int n = 0;
        for (int i = 0; i < a.Length; i++)
            if (a[i] == b[i])
                n++;
        return n;
    }

    [TestCaseSource(nameof(Cases))]
    public void LogitsAndMaskMatchTheNearerReference(string model, string image)
    {
        var c = Case(model, image);
        var tol = c.GetProperty("suggested_tolerance");
        int logitsQuanta = tol.GetProperty("logits_quanta").GetInt32();
        double minPct = tol.GetProperty("mask_min_pixels_equal_to_nearer_reference_pct").GetDouble();
        string refDir = TestData.Require($"{Dir}/reference");
        var files = c.GetProperty("files");
        byte[] Ref(string key) => File.ReadAllBytes(Path.Combine(refDir, files.GetProperty(key).GetString()!));
        byte[] la = Ref("armnn_logits"), ll = Ref("litert_logits"), ma = Ref("armnn_mask"), ml = Ref("litert_mask");
        var input = Input(image);
        var s = SessionsOf(model);

        var sw = Stopwatch.StartNew();
        var logits = new byte[33 * 33 * Classes];
        s.Head.RunRaw(input, logits);
        long headMs = sw.ElapsedMilliseconds;
        var mask = MaskOf(s.Tail, logits);
        long totalMs = sw.ElapsedMilliseconds;

        int dA = ReferenceCase.MaxDistance(logits, la), dL = ReferenceCase.MaxDistance(logits, ll), nearer = 0, diffA = 0, diffL = 0;
        for (int i = 0; i < logits.Length; i++)
        {
            nearer = Math.Max(nearer, Math.Min(Math.Abs(logits[i] - la[i]), Math.Abs(logits[i] - ll[i])));
            diffA += logits[i] != la[i] ? 1 : 0;
            diffL += logits[i] != ll[i] ? 1 : 0;
        }
        double eqA = 100.0 * Equal(mask, ma) / mask.Length, eqL = 100.0 * Equal(mask, ml) / mask.Length;
        string bird = "";
        double iou = double.NaN;
        if (image == "bird_segmentation.bmp")
        {
            var coral = ReadIndexedBmp(TestData.Require($"{Dir}/images/bird_segmentation_mask.bmp"));
            int eq = Equal(mask, coral);
            iou = (double)eq / (2.0 * mask.Length - eq);
            bird = $", Coral pixel-IoU {iou:F4}";
        }
        TestContext.Out.WriteLine($"{model} / {image}: logits max Δ ArmNN {dA} ({diffA} differ), LiteRT {dL} ({diffL} differ), "
            + $"nearer {nearer} (tolerance {logitsQuanta}); mask = ArmNN {eqA:F3}%, = LiteRT {eqL:F3}% (min {minPct}%){bird}; "
            + $"head {headMs} ms, head + tail {totalMs} ms");
        Assert.That(nearer, Is.LessThanOrEqualTo(logitsQuanta), "logits farther than the tolerance from the nearer reference");
        Assert.That(Math.Max(eqA, eqL), Is.GreaterThanOrEqualTo(minPct), "mask agreement with the nearer reference");
        if (!double.IsNaN(iou))
            Assert.That(iou, Is.GreaterThan(0.9), "Coral's check: pixel-IoU against bird_segmentation_mask.bmp");
    }

    /// <summary>The whole model in one session (uint8 in, int64 ARG_MAX out through RunRaw) gives the mask of head + tail.</summary>
    [TestCaseSource(nameof(WholeCases))]
    public void WholeModelSessionGivesTheSameMask(string model)
    {
        var session = new InferenceSession(Model.Load(TestData.Require($"{Dir}/{model}.tflite")));
        using var _ = session;
        Assert.That(session.Outputs[0].DataType, Is.EqualTo(DataType.Int64));
        Assert.That(session.Outputs[0].Shape, Is.EqualTo(new[] { 1, Side, Side }));
        var input = Input("bird_segmentation.bmp");
        var sw = Stopwatch.StartNew();
        var ids = new long[Side * Side];
        session.RunRaw(input, MemoryMarshal.AsBytes(ids.AsSpan()));
        long ms = sw.ElapsedMilliseconds;
        var s = SessionsOf(model);
        var logits = new byte[33 * 33 * Classes];
        s.Head.RunRaw(input, logits);
        var split = MaskOf(s.Tail, logits);
        TestContext.Out.WriteLine($"{model}: whole-model run {ms} ms ({session.Graph.Nodes.Count} nodes after the passes)");
        Assert.That(ids.Select(v => (byte)v).ToArray(), Is.EqualTo(split));
        // Run(float) gives the indices as floats.
        var f = session.Run(input.Select(b => (b - 128) / 128f).ToArray());
        Assert.That(f.Select(v => (byte)v).ToArray(), Is.EqualTo(split));
    }

    public static IEnumerable<TestCaseData> WholeCases() => Models.Select(m => new TestCaseData(m).SetName($"WholeModel({m})"));

    /// <summary>The palette indices of an uncompressed 8-bit BMP, top row first.</summary>
    internal static byte[] ReadIndexedBmp(string path)
    {
        var b = File.ReadAllBytes(path);
        Assert.That(b[0] == 'B' && b[1] == 'M', $"{path} is not a BMP");
        int offset = BitConverter.ToInt32(b, 10), w = BitConverter.ToInt32(b, 18), h = BitConverter.ToInt32(b, 22);
        int bpp = BitConverter.ToInt16(b, 28), compression = BitConverter.ToInt32(b, 30);
        Assert.That(bpp == 8 && compression == 0, $"{path}: {bpp} bits per pixel, compression {compression}; 8-bit uncompressed expected");
        bool bottomUp = h > 0;
        h = Math.Abs(h);
        int stride = (w + 3) & ~3;
        var r = new byte[w * h];
        for (int y = 0; y < h; y++)
            Array.Copy(b, offset + (bottomUp ? h - 1 - y : y) * stride, r, y * w, w);
        return r;
    }
}
