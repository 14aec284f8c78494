using System.Runtime.InteropServices;
using System.Text.Json;
using MobileNetAccel.Backends.Ops;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// TFLite_Detection_PostProcess (SSD box decoding + NMS) as a pure function: its options read from the shared detector
/// (../shared/models/detection), then, fed each runtime's own raw tensors (reference/litert, reference/armnn), it must
/// reproduce LiteRT's four outputs bit for bit, and ArmNN's detections with score ≥ 0.5 (ArmNN's NMS differs from
/// TFLite's below that; README). Small hand-made cases pin the fast path's rules and the regular (per-class) NMS.
/// </summary>
[TestFixture]
public class DetectionPostProcessTests
{
    private const string Dir = "models/detection";
    private const string ModelFile = Dir + "/ssd_mobilenet_v1_coco_quant.tflite";
    private const int Anchors = 1917, Columns = 91;

    public static readonly string[] Images = { "cat.bmp", "grace_hopper.bmp", "hot_dog.jpg", "kite_and_cold.jpg" };

    /// <summary>The README's option values.</summary>
    public static readonly DetectionPostProcessOptions ReadmeOptions = new()
    {
        MaxDetections = 10,
        MaxClassesPerDetection = 1,
        DetectionsPerClass = 100,
        UseRegularNms = false,
        NmsScoreThreshold = 9.99999993922529e-09f,
        NmsIouThreshold = 0.6000000238418579f,
        NumClasses = 90,
        YScale = 10,
        XScale = 10,
        HScale = 5,
        WScale = 5,
        OutputQuantized = true,
    };

    private sealed record Detector(TfliteCustomOperator Op, DetectionPostProcessOptions Options, TfliteTensor Boxes,
        TfliteTensor Scores, float[] Anchors);

    private static Detector? _detector;

    private static Detector Load()
    {
        if (_detector is { } d)
            return d;
        string path = TestData.Require(ModelFile);
        byte[] data = File.ReadAllBytes(path);
        var (op, options) = TfliteCustomOperators.ReadDetectionPostProcess(data, path);
        var boxes = TfliteCustomOperators.ReadTensor(data, path, op.Inputs[0]);
        var scores = TfliteCustomOperators.ReadTensor(data, path, op.Inputs[1]);
        var anchors = TfliteCustomOperators.ReadTensor(data, path, op.Inputs[2]);
        Assert.That(anchors.Data, Is.Not.Null, "anchors are a constant");
        var a = DetectionPostProcess.Dequantize(anchors.Data, anchors.Quantization!.Scale, anchors.Quantization.ZeroPoint);
        return _detector = new Detector(op, options, boxes, scores, a);
    }

    private static string Ref(string runtime, string image, string what) => TestData.Require($"{Dir}/reference/{runtime}/{image}.{what}");

    private static float[] Floats(string path) => MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(path)).ToArray();

    private static DetectionOutputs RunOn(string runtime, string image)
    {
        var d = Load();
        byte[] enc = File.ReadAllBytes(Ref(runtime, image, "box_encodings.u8"));
        byte[] sc = File.ReadAllBytes(Ref(runtime, image, "class_scores.u8"));
        Assert.That(enc, Has.Length.EqualTo(Anchors * 4));
        Assert.That(sc, Has.Length.EqualTo(Anchors * Columns));
        var e = DetectionPostProcess.Dequantize(enc, d.Boxes.Quantization!.Scale, d.Boxes.Quantization.ZeroPoint);
        var s = DetectionPostProcess.Dequantize(sc, d.Scores.Quantization!.Scale, d.Scores.Quantization.ZeroPoint);
        return DetectionPostProcess.Run(d.Options, e, 4, s, Columns, d.Anchors, Anchors);
    }

    private static int BitDifferences(float[] a, float[] b)
    {
        int n = 0;
        for (int i = 0; i < a.Length; i++)
            if (BitConverter.SingleToInt32Bits(a[i]) != BitConverter.SingleToInt32Bits(b[i]))
                n++;
        return n;
    }

    private static double MaxAbs(float[] a, float[] b)
    {
        double m = 0;
        for (int i = 0; i < a.Length; i++)
            m = Math.Max(m, Math.Abs((double)a[i] - b[i]));
        return m;
    }

    // ------------------------------------------------------------------ the shared detector

    [Test]
    public void TheModelsOptionsAreTheReadmes()
    {
        var d = Load();
        Assert.That(d.Op.Code, Is.EqualTo("TFLite_Detection_PostProcess"));
        Assert.That(d.Op.Inputs, Is.EqualTo(new[] { 165, 174, 171 }));
        Assert.That(d.Op.Outputs, Has.Length.EqualTo(4));
        Assert.That(d.Options, Is.EqualTo(ReadmeOptions));
        Assert.That(d.Options.NmsScoreThreshold, Is.EqualTo(1e-8f));
        Assert.That(d.Options.NmsIouThreshold, Is.EqualTo(0.6f));

        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        var pp = doc.RootElement.GetProperty("model_spec").GetProperty("postprocess_op");
        Assert.That(Convert.ToHexString(d.Op.Options), Is.EqualTo(pp.GetProperty("custom_options_flexbuffer_hex").GetString()!.ToUpperInvariant()));

        // Tensor parameters of the README's table.
        Assert.That(d.Boxes.Shape, Is.EqualTo(new[] { 1, Anchors, 4 }));
        Assert.That(d.Boxes.Quantization!.Scale, Is.EqualTo(0.07902787625789642f));
        Assert.That(d.Boxes.Quantization.ZeroPoint, Is.EqualTo(191));
        Assert.That(d.Scores.Shape, Is.EqualTo(new[] { 1, Anchors, Columns }));
        Assert.That(d.Scores.Quantization!.Scale, Is.EqualTo(1f / 256));
        Assert.That(d.Scores.Quantization.ZeroPoint, Is.EqualTo(0));
        Assert.That(d.Anchors, Has.Length.EqualTo(Anchors * 4));
    }

    [TestCaseSource(nameof(Images))]
    public void ReproducesLiteRtsOutputsFromItsRawTensors(string image)
    {
        var r = RunOn("litert", image);
        var boxes = Floats(Ref("litert", image, "boxes.f32"));
        var classes = Floats(Ref("litert", image, "classes.f32"));
        var scores = Floats(Ref("litert", image, "scores.f32"));
        var count = Floats(Ref("litert", image, "count.f32"));
        TestContext.Out.WriteLine($"{image}: count {r.Count[0]} (LiteRT {count[0]}); bit differences: classes {BitDifferences(r.Classes, classes)}, " +
            $"scores {BitDifferences(r.Scores, scores)}, boxes {BitDifferences(r.Boxes, boxes)} (max |Δ| {MaxAbs(r.Boxes, boxes):G3})");
        Assert.That(r.Count, Is.EqualTo(count));
        Assert.That(r.Classes, Is.EqualTo(classes));
        Assert.That(r.Scores, Is.EqualTo(scores));
        Assert.That(BitDifferences(r.Boxes, boxes), Is.Zero, $"boxes differ (max |Δ| {MaxAbs(r.Boxes, boxes):G3})");
    }

    [TestCaseSource(nameof(Images))]
    public void ReproducesArmNnsConfidentDetectionsFromItsRawTensors(string image)
    {
        // ArmNN's own NMS lets suppressed boxes suppress and orders ties arbitrarily, so only its detections with score
        // >= 0.5 are comparable: class and score exactly, boxes within 1e-6 (ArmNN's decoding is not always TFLite's
        // to the last bit: hot_dog's first box differs by one ulp).
        var r = RunOn("armnn", image);
        var boxes = Floats(Ref("armnn", image, "boxes.f32"));
        var classes = Floats(Ref("armnn", image, "classes.f32"));
        var scores = Floats(Ref("armnn", image, "scores.f32"));
        var count = Floats(Ref("armnn", image, "count.f32"));
        Assert.That(r.Count, Is.EqualTo(count));
        int confident = 0, ulps = 0;
        double maxDiff = 0;
        for (int i = 0; i < scores.Length; i++)
        {
            if (scores[i] < 0.5f)
                continue;
            confident++;
            Assert.That(r.Classes[i], Is.EqualTo(classes[i]), $"rank {i} class");
            Assert.That(r.Scores[i], Is.EqualTo(scores[i]), $"rank {i} score");
            var ours = r.Boxes.AsSpan(4 * i, 4).ToArray();
            var theirs = boxes.AsSpan(4 * i, 4).ToArray();
            Assert.That(ours, Is.EqualTo(theirs).Within(1e-6f), $"rank {i} box");
            ulps += BitDifferences(ours, theirs);
            maxDiff = Math.Max(maxDiff, MaxAbs(ours, theirs));
        }
        int oursConfident = r.Scores.Count(s => s >= 0.5f);
        TestContext.Out.WriteLine($"{image}: {confident} ArmNN detections >= 0.5, classes and scores exact; box coordinates not bit-equal: {ulps} " +
            $"(max |Δ| {maxDiff:G3}); ours >= 0.5: {oursConfident}");
        Assert.That(oursConfident, Is.EqualTo(confident));
    }

    [TestCaseSource(nameof(Images))]
    public void OnArmNnsRawTensorsMatchesTheReadmesRestatement(string image)
    {
        // reference.json's armnn_raw_through_tflite_nms: TFLite's rule (the README's restatement) run on ArmNN's raw
        // tensors. Ours must give the same ten detections, bit for bit.
        var r = RunOn("armnn", image);
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().Single(e => e.GetProperty("image").GetString() == image);
        var dets = c.GetProperty("agreement").GetProperty("armnn_raw_through_tflite_nms").EnumerateArray().ToList();
        Assert.That(dets, Has.Count.EqualTo((int)r.Count[0]));
        foreach (var d in dets)
        {
            int i = d.GetProperty("rank").GetInt32();
            Assert.That(r.Classes[i], Is.EqualTo((float)d.GetProperty("class").GetInt32()), $"rank {i} class");
            Assert.That(r.Scores[i], Is.EqualTo((float)d.GetProperty("score").GetDouble()), $"rank {i} score");
            var box = d.GetProperty("box_ymin_xmin_ymax_xmax").EnumerateArray().Select(b => (float)b.GetDouble()).ToArray();
            Assert.That(r.Boxes.AsSpan(4 * i, 4).ToArray(), Is.EqualTo(box), $"rank {i} box");
        }
    }

    [Test]
    public void MutatedModelStructureReadsOrRaisesModelFormatException()
    {
        // The FlatBuffers structure (every byte outside the buffers' data) of the detector, mutated a byte or two at a
        // time: finding the custom operator, its options and its three input tensors either works or is a
        // ModelFormatException.
        const int seed = 20261204, variants = 600;
        string path = TestData.Require(ModelFile);
        byte[] original = File.ReadAllBytes(path);
        var inData = new bool[original.Length];
        foreach (var (start, length) in TfliteReader.BufferDataRanges(original))
            Array.Fill(inData, true, start, length);
        int[] structure = Enumerable.Range(0, original.Length).Where(i => !inData[i]).ToArray();
        var rng = new Random(seed);
        int ok = 0, rejected = 0;
        byte[] data = (byte[])original.Clone();
        for (int i = 0; i < variants; i++)
        {
            int a = structure[rng.Next(structure.Length)], b = structure[rng.Next(structure.Length)];
            byte va = (byte)rng.Next(256), vb = (byte)rng.Next(256);
            data[a] = va;
            if (i % 2 == 1)
                data[b] = vb;
            try
            {
                var (op, _) = TfliteCustomOperators.ReadDetectionPostProcess(data, "mutated.tflite");
                foreach (int t in op.Inputs)
                    _ = TfliteCustomOperators.ReadTensor(data, "mutated.tflite", t);
                ok++;
            }
            catch (ModelFormatException)
            {
                rejected++;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, variant {i} (byte {a} = {va}{(i % 2 == 1 ? $", byte {b} = {vb}" : "")}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            data[a] = original[a];
            data[b] = original[b];
        }
        TestContext.Out.WriteLine($"seed {seed}: {variants} variants of {structure.Length} structure bytes: {ok} read, {rejected} rejected");
        Assert.That(ok + rejected, Is.EqualTo(variants));
    }

    [Test]
    public void TheNodeInfersTheOutputShapesAndChecksItsInputs()
    {
        var enc = new Value("enc", new[] { 1, 7, 4 });
        var sc = new Value("sc", new[] { 1, 7, 3 });
        var an = Value.Constant("an", new[] { 7, 4 }, new float[28]);
        Value[] outs = { new("b", Array.Empty<int>()), new("c", Array.Empty<int>()), new("s", Array.Empty<int>()), new("n", Array.Empty<int>()) };
        var o = ReadmeOptions with { NumClasses = 2, MaxDetections = 5, MaxClassesPerDetection = 2 };
        var node = new DetectionPostProcessNode("pp", enc, sc, an, outs[0], outs[1], outs[2], outs[3], o);
        node.InferShapes();
        Assert.That(node.Op, Is.EqualTo(OpType.DetectionPostProcess));
        Assert.That(outs[0].Shape, Is.EqualTo(new[] { 1, 10, 4 }));
        Assert.That(outs[1].Shape, Is.EqualTo(new[] { 1, 10 }));
        Assert.That(outs[2].Shape, Is.EqualTo(new[] { 1, 10 }));
        Assert.That(outs[3].Shape, Is.EqualTo(new[] { 1 }));
        Assert.That(outs.Select(v => v.DataType), Is.All.EqualTo(DataType.Float32));

        node.Options = o with { NumClasses = 4 };
        Assert.That(node.InferShapes, Throws.TypeOf<GraphException>().With.Message.Contains("num_classes"));
        node.Options = o with { NmsIouThreshold = 0 };
        Assert.That(node.InferShapes, Throws.TypeOf<GraphException>().With.Message.Contains("nms_iou_threshold"));
        node.Options = o;
        node.Inputs[2] = Value.Constant("an", new[] { 6, 4 }, new float[24]);
        Assert.That(node.InferShapes, Throws.TypeOf<GraphException>().With.Message.Contains("anchor count"));
    }

    // ------------------------------------------------------------------ hand-made cases

    // Four anchors; with zero encodings and unit scales each box is its anchor: A0 [0,0,2,2], A1 [0,0.5,2,2.5],
    // A2 [4,4,6,6], A3 [0,1,2,3]. IoU(A0,A1) = 3/5 = 0.6, IoU(A1,A3) = 0.6, IoU(A0,A3) = 1/3, A2 is disjoint.
    private static readonly float[] HandAnchors = { 1, 1, 2, 2, 1, 1.5f, 2, 2, 5, 5, 2, 2, 1, 2, 2, 2 };
    private static readonly float[] HandEncodings = new float[16];

    // Columns: background, class 0, class 1.
    private static readonly float[] HandScores =
    {
        0.0f, 0.9f, 0.1f,
        0.0f, 0.8f, 0.7f,
        0.0f, 0.3f, 0.6f,
        0.0f, 0.75f, 0.2f,
    };

    private static readonly DetectionPostProcessOptions HandOptions = new()
    {
        MaxDetections = 3,
        MaxClassesPerDetection = 1,
        DetectionsPerClass = 2,
        NmsScoreThreshold = 0.15f,
        NmsIouThreshold = 0.5f,
        NumClasses = 2,
        YScale = 1,
        XScale = 1,
        HScale = 1,
        WScale = 1,
    };

    private static DetectionOutputs Hand(DetectionPostProcessOptions o, float[]? scores = null, float[]? anchors = null) =>
        DetectionPostProcess.Run(o, HandEncodings, 4, scores ?? HandScores, 3, anchors ?? HandAnchors, 4);

    [Test]
    public void DecodingFollowsTheCentreSizeRule()
    {
        // ty=1, tx=-2, th=ln(4)·5, tw=0 with scales 10/10/5/5 on anchor (0.5, 0.5, 0.2, 0.4):
        // yc = 1/10·0.2 + 0.5 = 0.52, xc = -2/10·0.4 + 0.5 = 0.42, half h = 0.5·4·0.2 = 0.4, half w = 0.5·1·0.4 = 0.2.
        var o = ReadmeOptions with { NumClasses = 1 };
        float th = (float)(Math.Log(4) * 5);
        var b = DetectionPostProcess.DecodeBoxes(new[] { 1f, -2f, th, 0f }, 4, new[] { 0.5f, 0.5f, 0.2f, 0.4f }, 1, o);
        Assert.That(b, Is.EqualTo(new[] { 0.12f, 0.22f, 0.92f, 0.62f }).Within(1e-6f));
        float yc = (float)(1.0 / 10 * 0.2f + 0.5f), hh = (float)(0.5 * Math.Exp(th / 5.0) * 0.2f);
        Assert.That(b[0], Is.EqualTo(yc - hh), "corners are float32 centre − float32 half size");
        // A stride above 4 (e.g. keypoints after the box) is skipped.
        var b2 = DetectionPostProcess.DecodeBoxes(new[] { 1f, -2f, th, 0f, 99f, 99f }, 6, new[] { 0.5f, 0.5f, 0.2f, 0.4f }, 1, o);
        Assert.That(b2, Is.EqualTo(b));
    }

    [Test]
    public void FastPathSuppressedBoxesDoNotSuppress()
    {
        // Best class per anchor: A0 0.9, A1 0.8, A3 0.75 (class 0), A2 0.6 (class 1). A0 suppresses A1 (IoU 0.6 > 0.5);
        // A1, suppressed, does not suppress A3 (IoU 0.6) although it would have, so A3 and then A2 follow.
        var r = Hand(HandOptions);
        Assert.That(r.Count, Is.EqualTo(new[] { 3f }));
        Assert.That(r.Classes, Is.EqualTo(new[] { 0f, 0f, 1f }));
        Assert.That(r.Scores, Is.EqualTo(new[] { 0.9f, 0.75f, 0.6f }));
        Assert.That(r.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 0, 1, 2, 3, 4, 4, 6, 6 }));
    }

    [Test]
    public void FastPathThresholdIsInclusiveAndUnusedRowsAreZero()
    {
        // Threshold 0.75: A0, A1, A3 qualify (0.75 itself is kept); A0 suppresses A1; 2 detections of 3 rows.
        var r = Hand(HandOptions with { NmsScoreThreshold = 0.75f });
        Assert.That(r.Count, Is.EqualTo(new[] { 2f }));
        Assert.That(r.Classes, Is.EqualTo(new[] { 0f, 0f, 0f }));
        Assert.That(r.Scores, Is.EqualTo(new[] { 0.9f, 0.75f, 0f }));
        Assert.That(r.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 0, 1, 2, 3, 0, 0, 0, 0 }));
        // IoU must be strictly greater than the threshold: at 0.6 A1 (IoU 0.6 with A0) survives.
        var r2 = Hand(HandOptions with { NmsIouThreshold = 0.6f, MaxDetections = 4 });
        Assert.That(r2.Scores, Is.EqualTo(new[] { 0.9f, 0.8f, 0.75f, 0.6f }));
        Assert.That(r2.Count, Is.EqualTo(new[] { 4f }));
    }

    [Test]
    public void FastPathTiesGoToTheFirstClassAndTheFirstAnchor()
    {
        // A0's two classes tie (class 0 wins); A2 ties A0's score and is disjoint: A0 comes first (stable sort), then A2.
        float[] s =
        {
            0.0f, 0.5f, 0.5f,
            0.0f, 0.1f, 0.2f,
            0.0f, 0.2f, 0.5f,
            0.0f, 0.1f, 0.1f,
        };
        var r = Hand(HandOptions with { MaxDetections = 2 }, s);
        Assert.That(r.Classes, Is.EqualTo(new[] { 0f, 1f }));
        Assert.That(r.Scores, Is.EqualTo(new[] { 0.5f, 0.5f }));
        Assert.That(r.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 4, 4, 6, 6 }));
        // A background column that is highest is ignored.
        float[] bg = (float[])HandScores.Clone();
        bg[6] = 0.99f;
        Assert.That(Hand(HandOptions, bg).Scores, Is.EqualTo(new[] { 0.9f, 0.75f, 0.6f }));
    }

    [Test]
    public void FastPathWithTwoClassesPerDetectionFillsRowMajor()
    {
        // Selection as before limited to 2 boxes (A0, A3); each reports its 2 best classes, the second even below the
        // score threshold, as TFLite does.
        var r = Hand(HandOptions with { MaxDetections = 2, MaxClassesPerDetection = 2 });
        Assert.That(r.Count, Is.EqualTo(new[] { 2f }));
        Assert.That(r.Classes, Is.EqualTo(new[] { 0f, 1f, 0f, 1f }));
        Assert.That(r.Scores, Is.EqualTo(new[] { 0.9f, 0.1f, 0.75f, 0.2f }));
        Assert.That(r.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 0, 0, 2, 2, 0, 1, 2, 3, 0, 1, 2, 3 }));
    }

    [Test]
    public void RegularNmsRunsPerClassAndMergesTheBest()
    {
        // Class 0 (threshold 0.15): order A0 .9, A1 .8, A3 .75, A2 .3; A0 suppresses A1; A3 selected; 2 per class.
        // Class 1: A0's 0.1 is below the threshold; order A1 .7, A2 .6, A3 .2; A1 suppresses A3; A2 selected.
        // Merged: .9 (A0, 0), .75 (A3, 0), .7 (A1, 1), .6 (A2, 1) → the best 3.
        var r = Hand(HandOptions with { UseRegularNms = true });
        Assert.That(r.Count, Is.EqualTo(new[] { 3f }));
        Assert.That(r.Classes, Is.EqualTo(new[] { 0f, 0f, 1f }));
        Assert.That(r.Scores, Is.EqualTo(new[] { 0.9f, 0.75f, 0.7f }));
        Assert.That(r.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 0, 1, 2, 3, 0, 0.5f, 2, 2.5f }));

        // detections_per_class 1: class 0 gives A0 .9, class 1 gives A1 .7; 2 of 3 rows, the last zero.
        var r1 = Hand(HandOptions with { UseRegularNms = true, DetectionsPerClass = 1 });
        Assert.That(r1.Count, Is.EqualTo(new[] { 2f }));
        Assert.That(r1.Classes, Is.EqualTo(new[] { 0f, 1f, 0f }));
        Assert.That(r1.Scores, Is.EqualTo(new[] { 0.9f, 0.7f, 0f }));
        Assert.That(r1.Boxes, Is.EqualTo(new[] { 0f, 0, 2, 2, 0, 0.5f, 2, 2.5f, 0, 0, 0, 0 }));

        // max_detections 5 (per class min(2, 5) = 2): all four, best first.
        var r5 = Hand(HandOptions with { UseRegularNms = true, MaxDetections = 5 });
        Assert.That(r5.Count, Is.EqualTo(new[] { 4f }));
        Assert.That(r5.Classes, Is.EqualTo(new[] { 0f, 0f, 1f, 1f, 0f }));
        Assert.That(r5.Scores, Is.EqualTo(new[] { 0.9f, 0.75f, 0.7f, 0.6f, 0f }));
    }

    [Test]
    public void RegularNmsOnTheDetectorKeepsItsConfidentDetections()
    {
        // Not a TFLite reference (the model uses the fast path), a consistency check: per-class NMS on LiteRT's raw
        // tensors yields detections sorted by score, every one at least the fast path's best score at rank 0.
        var d = Load();
        byte[] enc = File.ReadAllBytes(Ref("litert", "kite_and_cold.jpg", "box_encodings.u8"));
        byte[] sc = File.ReadAllBytes(Ref("litert", "kite_and_cold.jpg", "class_scores.u8"));
        var e = DetectionPostProcess.Dequantize(enc, d.Boxes.Quantization!.Scale, d.Boxes.Quantization.ZeroPoint);
        var s = DetectionPostProcess.Dequantize(sc, d.Scores.Quantization!.Scale, d.Scores.Quantization.ZeroPoint);
        var fast = DetectionPostProcess.Run(d.Options, e, 4, s, Columns, d.Anchors, Anchors);
        var reg = DetectionPostProcess.Run(d.Options with { UseRegularNms = true }, e, 4, s, Columns, d.Anchors, Anchors);
        Assert.That(reg.Count, Is.EqualTo(new[] { 10f }));
        Assert.That(reg.Scores, Is.Ordered.Descending);
        Assert.That(reg.Scores[0], Is.EqualTo(fast.Scores[0]));
        Assert.That(reg.Classes[0], Is.EqualTo(fast.Classes[0]));
    }

    [Test]
    public void BadArgumentsAreRejected()
    {
        Assert.That(() => DetectionPostProcess.Run(HandOptions, HandEncodings, 4, HandScores, 3, HandAnchors, 3), Throws.ArgumentException);
        Assert.That(() => DetectionPostProcess.Run(HandOptions, HandEncodings, 3, HandScores, 3, HandAnchors, 4), Throws.ArgumentException);
        Assert.That(() => DetectionPostProcess.Run(HandOptions with { NumClasses = 4 }, HandEncodings, 4, HandScores, 3, HandAnchors, 4), Throws.ArgumentException);
        Assert.That(() => DetectionPostProcess.Run(HandOptions with { MaxDetections = 0 }, HandEncodings, 4, HandScores, 3, HandAnchors, 4), Throws.ArgumentException);
    }
}
