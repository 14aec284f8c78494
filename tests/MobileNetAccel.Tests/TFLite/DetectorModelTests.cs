using System.Diagnostics;
using System.Runtime.InteropServices;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// SSD MobileNet V1 (../shared/models/detection, quantized uint8, COCO) end to end on the integer path: the TFLite
/// reader (LOGISTIC, the CUSTOM TFLite_Detection_PostProcess with four float outputs declared []), a session with
/// several outputs, and the native CPU backend. One session runs the model with its four outputs plus the three raw
/// tensors before the custom op (box encodings 'Squeeze', class logits 'concat_1', class scores 'convert_scores')
/// added as graph outputs. Per reference photograph (README's suggested rule): each raw element within the case's
/// suggested_tolerance quanta of the nearer reference (ArmNN CpuRef or LiteRT/XNNPACK), and every detection with
/// score ≥ 0.5 in both references found with the same class, score within 4/256 of the nearer reference and IoU ≥ 0.85.
/// </summary>
[TestFixture]
public class DetectorModelTests
{
    private const string Dir = "models/detection";
    private const string ModelFile = Dir + "/ssd_mobilenet_v1_coco_quant.tflite";
    private const int Anchors = 1917, Columns = 91, MaxDetections = 10;
    private static readonly string[] Raw = { "Squeeze", "concat_1", "convert_scores" };

    public static readonly string[] Images = DetectionPostProcessTests.Images;

    private static InferenceSession? _session;
    private static readonly object Gate = new();

    [OneTimeTearDown]
    public void DisposeSession()
    {
        _session?.Dispose();
        _session = null;
    }

    /// <summary>The detector with the three raw tensors appended to its outputs.</summary>
    private static InferenceSession Session()
    {
        lock (Gate)
        {
            if (_session is { } s)
                return s;
            var sw = Stopwatch.StartNew();
            var graph = Model.Load(TestData.Require(ModelFile)).Graph;
            graph.Validate();
            foreach (var name in Raw)
                graph.Outputs.Add(graph.Values().Single(v => v.Name == name));
            _session = new InferenceSession(new Model(graph));
            TestContext.Out.WriteLine($"detector: loaded and compiled in {sw.ElapsedMilliseconds} ms ({_session.Graph.Nodes.Count} nodes after the passes)");
            return _session;
        }
    }

    private static string Ref(string runtime, string image, string what) => TestData.Require($"{Dir}/reference/{runtime}/{image}.{what}");

    private static float[] Floats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    private sealed record Detection(int Class, float Score, float[] Box);

    private static List<Detection> Detections(float[] boxes, float[] classes, float[] scores, float[] count)
    {
        var r = new List<Detection>();
        for (int i = 0; i < (int)count[0]; i++)
            r.Add(new Detection((int)classes[i], scores[i], boxes.AsSpan(4 * i, 4).ToArray()));
        return r;
    }

    private static List<Detection> Reference(string runtime, string image) => Detections(Floats(Ref(runtime, image, "boxes.f32")),
        Floats(Ref(runtime, image, "classes.f32")), Floats(Ref(runtime, image, "scores.f32")), Floats(Ref(runtime, image, "count.f32")));

    internal static double Iou(float[] a, float[] b)
    {
        double iy = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0]));
        double ix = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        double inter = iy * ix;
        double ua = (a[2] - a[0]) * (double)(a[3] - a[1]) + (b[2] - b[0]) * (double)(b[3] - b[1]) - inter;
        return ua > 0 ? inter / ua : 0;
    }

    /// <summary>The same-class detection of <paramref name="list"/> with the highest IoU against <paramref name="d"/>.</summary>
    private static (Detection? Match, double Iou) Best(Detection d, IEnumerable<Detection> list)
    {
        Detection? best = null;
        double bestIou = -1;
        foreach (var o in list)
            if (o.Class == d.Class && Iou(o.Box, d.Box) is var iou && iou > bestIou)
            {
                best = o;
                bestIou = iou;
            }
        return (best, bestIou);
    }

    private static double MaxCoordinateDiff(float[] a, float[] b) => Enumerable.Range(0, 4).Max(i => Math.Abs((double)a[i] - b[i]));

    /// <summary>README rules 3 and 4: every detection with score ≥ 0.5 in both references is matched in
    /// <paramref name="ours"/> by the same class with score within <paramref name="scoreQuanta"/>/256 of the nearer
    /// reference and IoU ≥ 0.85 (or, with <paramref name="orCoordinates"/>, the README's alternative: every coordinate within
    /// 0.03); nothing with score ≥ 0.55 that neither reference has (same class, IoU ≥ 0.5).</summary>
    private static (int Checked, double MinIou, double MaxScoreDiff) CheckDetections(string image, List<Detection> ours, int scoreQuanta, List<string> failures, bool orCoordinates = false)
    {
        var armnn = Reference("armnn", image);
        var litert = Reference("litert", image);
        int checkedCount = 0;
        double minIou = 1, maxScoreDiff = 0;
        foreach (var l in litert.Where(d => d.Score >= 0.5f))
        {
            var (a, _) = Best(l, armnn.Where(d => d.Score >= 0.5f));
            if (a is null)
                continue; // confident in LiteRT only
            checkedCount++;
            var (m, _) = Best(l, ours);
            if (m is null)
            {
                failures.Add($"class {l.Class} score {l.Score} not found");
                continue;
            }
            double iou = Math.Max(Iou(m.Box, l.Box), Iou(m.Box, a.Box));
            double ds = Math.Min(Math.Abs(m.Score - l.Score), Math.Abs(m.Score - a.Score));
            minIou = Math.Min(minIou, iou);
            maxScoreDiff = Math.Max(maxScoreDiff, ds);
            double dc = Math.Min(MaxCoordinateDiff(m.Box, l.Box), MaxCoordinateDiff(m.Box, a.Box));
            bool boxOk = iou >= 0.85 || (orCoordinates && dc <= 0.03);
            if (!boxOk || ds > scoreQuanta / 256.0 + 1e-6)
                failures.Add($"class {l.Class} (LiteRT {l.Score}, ArmNN {a.Score}): ours {m.Score} IoU {iou:F3}, max coordinate Δ {dc:F4}");
        }
        // Nothing confident (≥ 0.55) that neither reference has (same class, IoU ≥ 0.5).
        foreach (var d in ours.Where(d => d.Score >= 0.55f))
            if (Best(d, litert).Iou < 0.5 && Best(d, armnn).Iou < 0.5)
                failures.Add($"extra confident detection: class {d.Class} score {d.Score}");

        return (checkedCount, minIou, maxScoreDiff);
    }

    [TestCaseSource(nameof(Images))]
    public void RawTensorsAndDetectionsMatchTheNearerReference(string image)
    {
        var session = Session();
        byte[] input = File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/300x300__{image}.rgb.u8"));
        var dpp = session.Graph.Nodes.OfType<DetectionPostProcessNode>().Single();
        var outputs = session.Outputs.Select(t => new byte[t.ElementCount * t.DataType.SizeInBytes()]).ToArray();
        var sw = Stopwatch.StartNew();
        session.RunRaw(new ReadOnlyMemory<byte>[] { input }, outputs.Select(o => (Memory<byte>)o).ToArray());
        long ms = sw.ElapsedMilliseconds;
        float[] Out(int k) => MemoryMarshal.Cast<byte, float>(outputs[session.OutputIndex(dpp.Outputs[k].Name)].AsSpan()).ToArray();
        var ours = Detections(Out(0), Out(1), Out(2), Out(3));

        // 1. The raw tensors, element-wise against the nearer reference.
        using var doc = System.Text.Json.JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        var tol = doc.RootElement.GetProperty("cases").EnumerateArray().Single(c => c.GetProperty("image").GetString() == image)
            .GetProperty("suggested_tolerance");
        var report = new List<string>();
        var failures = new List<string>();
        foreach (var (name, file, key) in new[] { (Raw[0], "box_encodings.u8", "raw_box_encodings_quanta"),
            (Raw[1], "class_logits.u8", "raw_class_logits_quanta"), (Raw[2], "class_scores.u8", "raw_class_scores_quanta") })
        {
            byte[] ours8 = outputs[session.OutputIndex(name)], a = File.ReadAllBytes(Ref("armnn", image, file)), l = File.ReadAllBytes(Ref("litert", image, file));
            Assert.That(ours8, Has.Length.EqualTo(a.Length), name);
            int nearer = 0, dA = 0, dL = 0;
            for (int i = 0; i < ours8.Length; i++)
            {
                int ea = Math.Abs(ours8[i] - a[i]), el = Math.Abs(ours8[i] - l[i]);
                dA = Math.Max(dA, ea);
                dL = Math.Max(dL, el);
                nearer = Math.Max(nearer, Math.Min(ea, el));
            }
            int limit = tol.GetProperty(key).GetInt32();
            report.Add($"{file.Split('.')[0]} max Δ ArmNN {dA} / LiteRT {dL} / nearer {nearer} (≤ {limit})");
            if (nearer > limit)
                failures.Add($"{name}: nearer-reference distance {nearer} > {limit}");
        }

        // 2. The confident detections of both references; 3. nothing confident that neither has.
        var (checkedCount, minIou, maxScoreDiff) = CheckDetections(image, ours, 4, failures);

        TestContext.Out.WriteLine($"{image}: {ms} ms; count {ours.Count}; {string.Join("; ", report)}; "
            + $"{checkedCount} detections ≥ 0.5 in both references, all {(failures.Count == 0 ? "matched" : "checked")}: min IoU {minIou:F3}, max score Δ {maxScoreDiff * 256:F0}/256; "
            + $"ours ≥ 0.5: {string.Join(", ", ours.Where(d => d.Score >= 0.5f).Select(d => $"{d.Class}@{d.Score:F3}"))}");
        Assert.That(ours, Has.Count.EqualTo(MaxDetections));
        Assert.That(checkedCount, Is.GreaterThan(0), "no detection ≥ 0.5 in both references");
        Assert.That(failures, Is.Empty);
    }

    /// <summary>The detector under <see cref="SessionOptions.ForceFloat"/> (the float32 kernels, float LOGISTIC and
    /// post-process inputs; the backbone's implicit ReLU6 made explicit by the converter): the confident detections of
    /// both references with the same class, score within 8/256 and IoU ≥ 0.85 or every coordinate within 0.03 (the README's rule 3
    /// with a wider score margin; kite_and_cold's smallest kite has IoU 0.78 in float). The raw tensors (quantized back to the
    /// model's uint8 by the session) are printed, not checked: float arithmetic is not the references' integer one.</summary>
    [TestCaseSource(nameof(Images))]
    public void ForceFloatFindsTheSameConfidentDetections(string image)
    {
        var graph = Model.Load(TestData.Require(ModelFile)).Graph;
        graph.Validate();
        foreach (var name in Raw)
            graph.Outputs.Add(graph.Values().Single(v => v.Name == name));
        using var session = new InferenceSession(new Model(graph), new SessionOptions { ForceFloat = true });
        byte[] input = File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/300x300__{image}.rgb.u8"));
        var outputs = session.Outputs.Select(t => new byte[t.ElementCount * t.DataType.SizeInBytes()]).ToArray();
        session.RunRaw(new ReadOnlyMemory<byte>[] { input }, outputs.Select(o => (Memory<byte>)o).ToArray());
        var dpp = session.Graph.Nodes.OfType<DetectionPostProcessNode>().Single();
        float[] Out(int k) => MemoryMarshal.Cast<byte, float>(outputs[session.OutputIndex(dpp.Outputs[k].Name)].AsSpan()).ToArray();
        var ours = Detections(Out(0), Out(1), Out(2), Out(3));
        var report = new List<string>();
        foreach (var (name, file) in new[] { (Raw[0], "box_encodings.u8"), (Raw[1], "class_logits.u8"), (Raw[2], "class_scores.u8") })
        {
            byte[] o = outputs[session.OutputIndex(name)], a = File.ReadAllBytes(Ref("armnn", image, file)), l = File.ReadAllBytes(Ref("litert", image, file));
            int nearer = 0;
            for (int i = 0; i < o.Length; i++)
                nearer = Math.Max(nearer, Math.Min(Math.Abs(o[i] - a[i]), Math.Abs(o[i] - l[i])));
            report.Add($"{file.Split('.')[0]} nearer max Δ {nearer}");
        }
        var failures = new List<string>();
        var (n, minIou, maxScoreDiff) = CheckDetections(image, ours, 8, failures, orCoordinates: true);
        TestContext.Out.WriteLine($"{image} (ForceFloat): {string.Join("; ", report)}; {n} detections ≥ 0.5 in both references: "
            + $"min IoU {minIou:F3}, max score Δ {maxScoreDiff * 256:F1}/256");
        Assert.That(failures, Is.Empty);
    }

    /// <summary>The custom op alone as a graph with two inputs (box encodings, class scores; the anchors stay a
    /// constant) and four outputs, on the native cpu step, fed LiteRT's raw tensors: LiteRT's outputs bit for bit
    /// (README rule 2). Inputs are given in reverse name order through <see cref="InferenceSession.InputIndex"/>.</summary>
    [TestCaseSource(nameof(Images))]
    public void ThePostProcessGraphReproducesLiteRtFromItsRawTensors(string image)
    {
        var g = Model.Load(TestData.Require(ModelFile)).Graph;
        g.Validate();
        var dpp = g.Nodes.OfType<DetectionPostProcessNode>().Single();
        g.Nodes.RemoveAll(n => !ReferenceEquals(n, dpp));
        g.Inputs.Clear();
        g.Inputs.Add(dpp.ClassScores);
        g.Inputs.Add(dpp.BoxEncodings);
        using var session = new InferenceSession(new Model(g));
        Assert.That(session.Inputs, Has.Count.EqualTo(2));
        var inputs = new ReadOnlyMemory<byte>[2];
        inputs[session.InputIndex(dpp.BoxEncodings.Name)] = File.ReadAllBytes(Ref("litert", image, "box_encodings.u8"));
        inputs[session.InputIndex(dpp.ClassScores.Name)] = File.ReadAllBytes(Ref("litert", image, "class_scores.u8"));
        var outputs = session.Outputs.Select(t => new byte[t.ElementCount * 4]).ToArray();
        session.RunRaw(inputs, outputs.Select(o => (Memory<byte>)o).ToArray());
        string[] files = { "boxes.f32", "classes.f32", "scores.f32", "count.f32" };
        for (int k = 0; k < 4; k++)
            Assert.That(outputs[session.OutputIndex(dpp.Outputs[k].Name)], Is.EqualTo(File.ReadAllBytes(Ref("litert", image, files[k]))), files[k]);
        TestContext.Out.WriteLine($"{image}: post-process graph (2 inputs, 4 outputs) = LiteRT bit for bit");
    }

    [Test]
    public void TheReaderGivesTheDetectorsGraph()
    {
        var model = Model.Load(TestData.Require(ModelFile));
        var g = model.Graph;
        g.Validate();
        Assert.That(g.Inputs, Has.Count.EqualTo(1));
        Assert.That(g.Inputs[0].Shape, Is.EqualTo(new[] { 1, 300, 300, 3 }));
        Assert.That(g.Nodes.Count(n => n is LogisticNode), Is.EqualTo(1));
        var dpp = g.Nodes.OfType<DetectionPostProcessNode>().Single();
        Assert.That(dpp.Options, Is.EqualTo(DetectionPostProcessTests.ReadmeOptions));
        Assert.That(dpp.BoxEncodings.Shape, Is.EqualTo(new[] { 1, Anchors, 4 }));
        Assert.That(dpp.ClassScores.Shape, Is.EqualTo(new[] { 1, Anchors, Columns }));
        Assert.That(dpp.ClassScores.Producer, Is.InstanceOf<LogisticNode>());
        Assert.That(dpp.Anchors.IsConstant);
        Assert.That(g.Outputs, Is.EqualTo(dpp.Outputs));
        Assert.That(g.Outputs.Select(o => o.Shape), Is.EqualTo(new[] { new[] { 1, 10, 4 }, new[] { 1, 10 }, new[] { 1, 10 }, new[] { 1 } }));
        Assert.That(g.Outputs.All(o => o.DataType == DataType.Float32));

        using var session = new InferenceSession(model);
        Assert.That(session.Outputs, Has.Count.EqualTo(4));
        for (int i = 0; i < 4; i++)
            Assert.That(session.OutputIndex(g.Outputs[i].Name), Is.EqualTo(i));
        Assert.That(session.InputIndex(g.Inputs[0].Name), Is.Zero);
        Assert.Throws<ArgumentException>(() => session.OutputIndex("no such tensor"));
        // The single-tensor calls need one input and one output.
        Assert.Throws<InvalidOperationException>(() => session.RunRaw(new byte[300 * 300 * 3], new byte[160]));
        Assert.Throws<InvalidOperationException>(() => session.Run(new float[300 * 300 * 3]));
        // Buffers of the wrong count or size are named.
        var bufs = session.Outputs.Select(t => (Memory<byte>)new byte[t.ElementCount * 4]).ToArray();
        Assert.Throws<ArgumentException>(() => session.RunRaw(new ReadOnlyMemory<byte>[] { new byte[300 * 300 * 3] }, bufs.Take(3).ToArray()));
        Assert.Throws<ArgumentException>(() => session.RunRaw(new ReadOnlyMemory<byte>[] { new byte[10] }, bufs));
        foreach (var p in session.Placement.Where(n => n.Op is OpType.DetectionPostProcess or OpType.Logistic))
            TestContext.Out.WriteLine(p);
    }

    [Test]
    public void AnUnknownCustomOperatorIsNamed()
    {
        var m = new B();
        var x = m.Tensor("x", new[] { 1, 4 }, B.Float32);
        var y = m.Tensor("y", new[] { 1, 4 }, B.Float32);
        m.Op(32, new[] { x }, new[] { y }); // CUSTOM without a custom_code
        var ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(m.Build(new[] { x }, new[] { y }), "custom.tflite"))!;
        Assert.That(ex.Message, Does.Contain("custom operator '' is not supported"));
    }

    /// <summary>uint8 LOGISTIC on every input level against the float formula (sigmoid of the dequantized level,
    /// rounded half away from zero to scale 1/256); a float LOGISTIC against MathF.</summary>
    [Test]
    public void LogisticRunsQuantizedAndInFloat()
    {
        float si = 0.04973676800727844f;
        var m = new B();
        var x = m.Tensor("x", new[] { 1, 256 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 223L });
        var y = m.Tensor("y", new[] { 1, 256 }, B.UInt8, scales: new[] { 1f / 256 }, zeroPoints: new[] { 0L });
        m.Op(14, new[] { x }, new[] { y });
        var levels = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();
        var got = OperatorTests.Run(m.Build(new[] { x }, new[] { y }), levels, "logistic.tflite");
        for (int q = 0; q < 256; q++)
        {
            double s = 1 / (1 + Math.Exp(-(double)si * (q - 223)));
            int expected = (int)Math.Clamp(Math.Round(s * 256, MidpointRounding.AwayFromZero), 0, 255);
            Assert.That(got[q], Is.EqualTo(expected), $"level {q}");
        }

        var bad = new B();
        var bx = bad.Tensor("x", new[] { 1, 4 }, B.UInt8, scales: new[] { si }, zeroPoints: new[] { 223L });
        var by = bad.Tensor("y", new[] { 1, 4 }, B.UInt8, scales: new[] { 1f / 128 }, zeroPoints: new[] { 0L });
        bad.Op(14, new[] { bx }, new[] { by });
        var ex = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(bad.Build(new[] { bx }, new[] { by }), "bad.tflite"))!;
        Assert.That(ex.Message, Does.Contain("scale 1/256"));

        var f = new B();
        var fx = f.Tensor("x", new[] { 1, 5 }, B.Float32);
        var fy = f.Tensor("y", new[] { 1, 5 }, B.Float32);
        f.Op(14, new[] { fx }, new[] { fy });
        using var session = new InferenceSession(new Model(TfliteReader.Read(f.Build(new[] { fx }, new[] { fy }), "logistic_f32.tflite")));
        float[] xs = { -20f, -1f, 0f, 0.5f, 30f };
        var ys = session.Run(xs);
        for (int i = 0; i < xs.Length; i++)
            Assert.That(ys[i], Is.EqualTo(1f / (1f + MathF.Exp(-xs[i]))).Within(1e-7f));
    }
}
