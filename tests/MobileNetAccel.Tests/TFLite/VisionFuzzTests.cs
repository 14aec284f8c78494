using System.Buffers.Binary;
using System.Diagnostics;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The vision models' files, mutated, either load or raise <see cref="ModelFormatException"/> — never another
/// exception, a crash or a hang (each variant runs under <see cref="Timeout"/>). From fixed seeds:
/// <list type="bullet">
/// <item>the SSD detector: <see cref="DetectorVariants"/> variants, a quarter each of structure bit flips,
/// truncations, 32-bit word corruption (<see cref="FuzzMutations"/>) and mutations inside the custom_options
/// flexbuffer of its <c>TFLite_Detection_PostProcess</c> operator (<see cref="FlexOptionsMutations"/>: bit flips,
/// type bytes, widths, offsets, sizes, boundary values, the blob's length, key strings);</item>
/// <item>DeepLabV3 (the family: both depth multipliers), <see cref="SegmenterVariantsPerFile"/> per file, the three
/// structure kinds.</item>
/// </list>
/// Every variant that reads is also wrapped in a <see cref="Model"/> (validation, shape budget). Loaded variants whose
/// structure changed and whose cost is at most the original's get an <see cref="InferenceSession"/> (every other one
/// with ForceFloat) and one run on random inputs (multi-tensor RunRaw), up to a cap per file that keeps the fixture
/// near a minute and a half on 2 loaded cores (MNA_FUZZ_RUN_ALL=1 lifts the caps);
/// for the detector, variants whose postprocess options changed are run first. The options blob alone is also fuzzed
/// through <see cref="TfliteCustomOperators.ParseDetectionPostProcessOptions"/> with the same targeted mutations.
/// </summary>
[TestFixture]
public class VisionFuzzTests
{
    private const string DetectorFile = "models/detection/ssd_mobilenet_v1_coco_quant.tflite";
    private const int DetectorVariants = 5200;
    private const int SegmenterVariantsPerFile = 2600;
    private const int BlobVariants = 40_000;
    /// <summary>Runs of loaded detector variants whose options changed / whose other structure changed.</summary>
    private const int MaxOptionRuns = 150, MaxDetectorRuns = 40;
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(30);

    private sealed class Counts
    {
        public int Runs, OptionRuns, Ran, OptionRan, RegularRan, Bigger;
        public readonly Stopwatch RunTime = new();
        public readonly int[] Kinds = new int[4];
        public readonly int[] FlexKinds = new int[FlexOptionsMutations.KindNames.Length];
        public readonly int[] FlexLoaded = new int[FlexOptionsMutations.KindNames.Length];
    }

    private static (TfliteCustomOperator Op, byte[] Blob, int At) DetectorOptions(byte[] file)
    {
        var op = TfliteCustomOperators.Read(file, DetectorFile).Single(c => c.Code == TfliteCustomOperators.DetectionPostProcessCode);
        int at = file.AsSpan().IndexOf(op.Options);
        Assert.That(at, Is.GreaterThanOrEqualTo(4), "the options blob is in the file");
        Assert.That(file.AsSpan(at + 1).IndexOf(op.Options), Is.EqualTo(-1), "the options blob occurs once");
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(at - 4)), Is.EqualTo((uint)op.Options.Length), "its vector length");
        return (op, op.Options, at);
    }

    /// <summary>The detector with its <c>_output_quantized</c> key renamed in place to <c>use_regular_nms</c> (same
    /// layout, the value true): the file's options then select the regular (per-class) NMS path.</summary>
    private static byte[] RegularNmsFile(byte[] original, int blobAt, FlexOptionsMutations flex)
    {
        var d = (byte[])original.Clone();
        var (at, n) = flex.KeyString("_output_quantized");
        var key = "use_regular_nms\0"u8;
        Assert.That(key.Length, Is.LessThanOrEqualTo(n));
        d.AsSpan(blobAt + at, n).Clear();
        key.CopyTo(d.AsSpan(blobAt + at));
        var o = OptionsOf(TfliteReader.Read(d, "regular"))!;
        Assert.That(o.UseRegularNms && !o.OutputQuantized, "the renamed key selects the regular NMS");
        return d;
    }

    private static DetectionPostProcessOptions? OptionsOf(ModelGraph g) =>
        g.Nodes.OfType<DetectionPostProcessNode>().FirstOrDefault()?.Options;

    /// <summary>MNA_FUZZ_RUN_ALL=1 lifts the run caps (every loaded, cheap-enough structural variant is run; minutes).</summary>
    private static int Cap(int n) => Environment.GetEnvironmentVariable("MNA_FUZZ_RUN_ALL") == "1" ? int.MaxValue : n;

    /// <summary>A session for <paramref name="model"/> (float execution under <paramref name="forceFloat"/>) and one
    /// multi-tensor run on random bytes.</summary>
    private static void RunOnce(Model model, int seed, bool forceFloat)
    {
        using var session = new InferenceSession(model, new SessionOptions { ForceFloat = forceFloat });
        var rng = new Random(seed);
        var inputs = session.Inputs.Select(t =>
        {
            var b = new byte[t.ElementCount * t.DataType.SizeInBytes()];
            rng.NextBytes(b);
            return (ReadOnlyMemory<byte>)b;
        }).ToList();
        var outputs = session.Outputs.Select(t => (Memory<byte>)new byte[t.ElementCount * t.DataType.SizeInBytes()]).ToList();
        session.RunRaw(inputs, outputs);
    }

    [Test]
    public void MutatedDetectorsLoadAndRunOrRaiseModelFormatException()
    {
        var original = File.ReadAllBytes(TestData.Require(DetectorFile));
        var (_, blob, blobAt) = DetectorOptions(original);
        var flex = new FlexOptionsMutations(blob);
        var regular = RegularNmsFile(original, blobAt, flex);
        var baseline = new Model(TfliteReader.Read(original, "detector"));
        var baseOptions = OptionsOf(baseline.Graph)!;
        var regularOptions = OptionsOf(TfliteReader.Read(regular, "regular"))!;
        var structure = FuzzMutations.StructurePositions(original.Length, TfliteReader.BufferDataRanges(original));
        var rng = new Random(20261204);
        var tally = new FuzzTally();
        var c = new Counts();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < DetectorVariants && !tally.Stop; i++)
        {
            int kind = i % 4, flexKind = -1;
            c.Kinds[kind]++;
            byte[] data;
            string what;
            bool structural = true;
            if (kind < 3)
            {
                (data, what, structural) = FuzzMutations.Mutate(original, structure, kind, rng);
            }
            else
            {
                flexKind = rng.Next(FlexOptionsMutations.KindNames.Length);
                c.FlexKinds[flexKind]++;
                bool onRegular = i / 4 % 2 == 1;
                (data, what) = flex.Mutate(onRegular ? regular : original, blobAt, flexKind, rng);
                if (onRegular)
                    what += " (on the regular-NMS file)";
            }
            int variant = i;
            bool finished = tally.Check(i, what, () =>
            {
                var model = Load(data, $"detector#{variant}");
                if (flexKind >= 0)
                    c.FlexLoaded[flexKind]++;
                bool optionsChanged = OptionsOf(model.GraphNoCopy) is { } o && o != baseOptions && o != regularOptions;
                if (!structural || !CheapEnough(model, baseline, c))
                    return;
                if (optionsChanged ? c.OptionRuns++ < Cap(MaxOptionRuns) : c.Runs++ < Cap(MaxDetectorRuns))
                {
                    c.RunTime.Start();
                    RunOnce(model, variant, forceFloat: c.Ran % 2 == 1);
                    c.RunTime.Stop();
                    c.Ran++;
                    if (optionsChanged)
                        c.OptionRan++;
                    if (OptionsOf(model.GraphNoCopy)?.UseRegularNms == true)
                        c.RegularRan++;
                }
            }, Timeout);
            if (!finished)
                break;
        }
        Report("detector", DetectorVariants, tally, c, sw, withFlex: true);
    }

    [TestCase("deeplabv3_mnv2_dm05_pascal_quant", 60)]
    [TestCase("deeplabv3_mnv2_pascal_quant", 15)]
    public void MutatedSegmentersLoadAndRunOrRaiseModelFormatException(string file, int maxRuns)
    {
        var original = File.ReadAllBytes(TestData.Require($"models/segmentation/{file}.tflite"));
        var baseline = new Model(TfliteReader.Read(original, file));
        var structure = FuzzMutations.StructurePositions(original.Length, TfliteReader.BufferDataRanges(original));
        var rng = new Random(20261205 + file.Length);
        var tally = new FuzzTally();
        var c = new Counts();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < SegmenterVariantsPerFile && !tally.Stop; i++)
        {
            int kind = i % 3;
            c.Kinds[kind]++;
            var (data, what, structural) = FuzzMutations.Mutate(original, structure, kind, rng);
            int variant = i;
            bool finished = tally.Check(i, what, () =>
            {
                var model = Load(data, $"{file}#{variant}");
                if (structural && CheapEnough(model, baseline, c) && c.Runs++ < Cap(maxRuns))
                {
                    c.RunTime.Start();
                    RunOnce(model, variant, forceFloat: c.Ran % 2 == 1);
                    c.RunTime.Stop();
                    c.Ran++;
                }
            }, Timeout);
            if (!finished)
                break;
        }
        Report(file, SegmenterVariantsPerFile, tally, c, sw, withFlex: false);
    }

    /// <summary>The options blob alone, through the parser the reader uses, with the targeted mutations.</summary>
    [Test]
    public void MutatedOptionsBlobsParseOrRaiseModelFormatException()
    {
        var original = File.ReadAllBytes(TestData.Require(DetectorFile));
        var (_, blob, _) = DetectorOptions(original);
        var flex = new FlexOptionsMutations(blob);
        var framed = new byte[4 + blob.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(framed, (uint)blob.Length);
        blob.CopyTo(framed, 4);
        var rng = new Random(20261206);
        var tally = new FuzzTally();
        var parsed = new int[FlexOptionsMutations.KindNames.Length];
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < BlobVariants && !tally.Stop; i++)
        {
            int kind = i % parsed.Length;
            var (d, what) = flex.Mutate(framed, 4, kind, rng);
            // The framing's length says how much of the (possibly shorter or longer) blob the reader gets.
            long n = Math.Min(BinaryPrimitives.ReadUInt32LittleEndian(d), d.Length - 4L);
            var b = d.AsSpan(4, (int)n).ToArray();
            try
            {
                var o = TfliteCustomOperators.ParseDetectionPostProcessOptions(b, "blob", $"variant {i}");
                Assert.That(o.Problem(), Is.Null, $"variant {i} ({what}) parsed with a problem");
                tally.Loaded++;
                parsed[kind]++;
            }
            catch (ModelFormatException)
            {
                tally.Rejected++;
            }
            catch (Exception e) when (e is not AssertionException)
            {
                tally.Failures.Add($"variant {i} ({what}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        TestContext.Progress.WriteLine($"options blob: {BlobVariants} variants, {tally.Loaded} parsed " +
            $"({string.Join(", ", FlexOptionsMutations.KindNames.Select((k, j) => $"{k} {parsed[j]}"))}), " +
            $"{tally.Rejected} rejected with ModelFormatException; {sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(tally.Failures, Is.Empty, string.Join("\n", tally.Failures));
    }

    /// <summary>Boundary option values written into the detector file itself are refused at load with a message
    /// naming the option (no allocation from max_detections, no NaN or negative scale reaching the kernel).</summary>
    [TestCase("max_detections", int.MaxValue, "max_detections 2147483647 is outside 1..100000")]
    [TestCase("max_detections", 0, "max_detections 0 is outside")]
    [TestCase("max_detections", -1, "max_detections -1 is outside")]
    [TestCase("max_classes_per_detection", 10_001, "max_classes_per_detection 10001 is outside")]
    [TestCase("num_classes", 0, "num_classes 0 must be positive")]
    [TestCase("num_classes", 92, "fewer than num_classes 92 columns")]
    [TestCase("y_scale", float.NaN, "y_scale NaN must be positive and finite")]
    [TestCase("h_scale", -5.0, "h_scale -5 must be positive and finite")]
    [TestCase("w_scale", float.PositiveInfinity, "must be positive and finite")]
    [TestCase("x_scale", 0.0, "x_scale 0 must be positive and finite")]
    [TestCase("nms_iou_threshold", float.NaN, "nms_iou_threshold NaN is outside (0, 1]")]
    [TestCase("nms_iou_threshold", 1.5, "nms_iou_threshold 1.5 is outside (0, 1]")]
    [TestCase("nms_score_threshold", float.NaN, "nms_score_threshold is NaN")]
    public void BoundaryOptionsInTheFileAreRejectedAtLoad(string key, double value, string message)
    {
        var file = File.ReadAllBytes(TestData.Require(DetectorFile));
        var (_, blob, blobAt) = DetectorOptions(file);
        var (at, type, width) = new FlexOptionsMutations(blob).Slot(key);
        Assert.That(width, Is.EqualTo(4), "the detector's map has 4-byte slots");
        var slot = file.AsSpan(blobAt + at, 4);
        if (type == FlexType.Float)
            BinaryPrimitives.WriteSingleLittleEndian(slot, (float)value);
        else
            BinaryPrimitives.WriteInt32LittleEndian(slot, checked((int)value));
        var e = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(file, "detector"))!;
        Assert.That(e.Message, Does.Contain(message).And.Contain(key));
        Assert.That(e.Message, Does.Contain("TFLite_Detection_PostProcess"), "the message names the operator");
    }

    /// <summary>Regression (found by a targeted probe of what a structure mutation can reach): the anchors' zero point
    /// moved from 0 to <paramref name="zeroPoint"/> makes some dequantized anchor heights/widths negative, so every
    /// decoded box of such an anchor has ymin &gt; ymax. That loaded and then failed each run with an
    /// ArgumentException; it is now a <see cref="ModelFormatException"/> at load naming the anchors.</summary>
    [TestCase(64)]
    [TestCase(255)]
    public void AnchorsWithNegativeSizesAreRejectedAtLoad(long zeroPoint)
    {
        var file = File.ReadAllBytes(TestData.Require(DetectorFile));
        // The anchors' quantization: zero_point [0] (a 1-element int64 vector) lies just before scale [0.00645306].
        int scaleAt = file.AsSpan().IndexOf(BitConverter.GetBytes(0.006453060545027256f));
        Assert.That(BinaryPrimitives.ReadUInt32LittleEndian(file.AsSpan(scaleAt - 16)), Is.EqualTo(1u));
        Assert.That(BinaryPrimitives.ReadInt64LittleEndian(file.AsSpan(scaleAt - 12)), Is.Zero);
        BinaryPrimitives.WriteInt64LittleEndian(file.AsSpan(scaleAt - 12), zeroPoint);
        var op = TfliteCustomOperators.Read(file, "detector").Single();
        Assert.That(TfliteCustomOperators.ReadTensor(file, "detector", op.Inputs[2]).Quantization!.ZeroPoint, Is.EqualTo(zeroPoint));
        var e = Assert.Throws<ModelFormatException>(() => TfliteReader.Read(file, "detector"))!;
        Assert.That(e.Message, Does.Contain("anchor").And.Contain("negative"));
    }

    /// <summary>The same check on float32 anchors (the graph as built, or after ForceFloat): a negative width or a
    /// non-finite value is a shape-inference error naming the anchor.</summary>
    [Test]
    public void FloatAnchorsMustBeFiniteWithNonNegativeSizes()
    {
        DetectionPostProcessNode Node(float[] anchors)
        {
            Value[] outs = { new("b", Array.Empty<int>()), new("c", Array.Empty<int>()), new("s", Array.Empty<int>()), new("n", Array.Empty<int>()) };
            return new DetectionPostProcessNode("pp", new Value("enc", new[] { 1, 2, 4 }), new Value("sc", new[] { 1, 2, 3 }),
                Value.Constant("an", new[] { 2, 4 }, anchors), outs[0], outs[1], outs[2], outs[3],
                DetectionPostProcessTests.ReadmeOptions with { NumClasses = 2 });
        }
        Assert.That(Node(new[] { 0.5f, 0.5f, 0.1f, 0.1f, -0.5f, -0.5f, 0f, 0f }).InferShapes, Throws.Nothing);
        Assert.That(Node(new[] { 0.5f, 0.5f, 0.1f, 0.1f, 0.5f, 0.5f, 0.1f, -0.01f }).InferShapes,
            Throws.TypeOf<GraphException>().With.Message.Contains("anchor 1 has a negative width"));
        Assert.That(Node(new[] { 0.5f, float.NaN, 0.1f, 0.1f, 0.5f, 0.5f, 0.1f, 0.1f }).InferShapes,
            Throws.TypeOf<GraphException>().With.Message.Contains("anchor 0 has x centre NaN"));
    }

    /// <summary>Reads a variant and wraps it in a <see cref="Model"/> (validation and the shape budget).</summary>
    private static Model Load(byte[] data, string name) => new(TfliteReader.Read(data, name));

    /// <summary>Whether a run costs at most the original's (same inputs' sizes, no more multiply-accumulates): a
    /// mutated dimension can make a model legitimately slower by orders of magnitude, which is no robustness question.</summary>
    private static bool CheapEnough(Model model, Model baseline, Counts c)
    {
        var g = model.GraphNoCopy;
        var b = baseline.GraphNoCopy;
        bool cheap = model.MacsPerImage <= baseline.MacsPerImage && g.Inputs.Count == b.Inputs.Count &&
            g.Inputs.Zip(b.Inputs).All(p => p.First.SizeInBytes <= p.Second.SizeInBytes) &&
            g.Values().Sum(v => v.SizeInBytes) <= 2 * b.Values().Sum(v => v.SizeInBytes);
        if (!cheap)
            c.Bigger++;
        return cheap;
    }

    private static void Report(string name, int variants, FuzzTally tally, Counts c, Stopwatch sw, bool withFlex)
    {
        string kinds = string.Join(", ", FuzzMutations.KindNames.Select((k, j) => $"{k} {c.Kinds[j]}"));
        string flex = withFlex
            ? $", options flexbuffer {c.Kinds[3]} ({string.Join(", ", FlexOptionsMutations.KindNames.Select((k, j) => $"{k} {c.FlexKinds[j]}/{c.FlexLoaded[j]} loaded"))})"
            : "";
        TestContext.Progress.WriteLine($"{name}: {variants} variants ({kinds}{flex}): {tally.Loaded} loaded, {tally.Rejected} rejected " +
            $"with ModelFormatException, {c.Ran} run through a session, every other one ForceFloat{(withFlex ? $" ({c.OptionRan} with changed options, {c.RegularRan} on the regular NMS)" : "")} " +
            $"in {c.RunTime.Elapsed.TotalSeconds:F1} s, " +
            $"{c.Bigger} loaded but costlier than the original (not run); {sw.Elapsed.TotalSeconds:F1} s");
        Assert.That(tally.Failures, Is.Empty, string.Join("\n", tally.Failures));
    }
}
