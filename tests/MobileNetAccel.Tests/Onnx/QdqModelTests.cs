using System.Runtime.InteropServices;
using System.Text.Json;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Tests.TFLite;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>
/// The quantized ONNX models of ../shared/models/onnx-int8 on the integer path.
/// <list type="bullet">
/// <item>QDQ models (ORT's quantizer format, uint8 activations, int8 per-channel weights): every Conv, Gemm, Add and
/// GlobalAveragePool is imported as an integer node (no float island left); fed ONNX Runtime's own recorded input
/// bytes, each of those layers gives ORT's recorded output bytes within 1 quantum, layer by layer (the random weights
/// wash the input out with depth, so the end-to-end output alone would test only the last layers — see the folder's
/// README); and the whole model from the float test input gives ORT's output within 1 quantum. ±1: ORT requantizes
/// with its own float multiplier and rounding (MLAS), ours with the fp32 scheme of the kernels; a product that lands
/// on a rounding tie can go either way. The counts of ±1 elements are printed.</item>
/// <item>from-tflite: the pretrained TFLite models converted to ONNX integer operators (QLinearConv, QLinearAdd,
/// QLinearGlobalAveragePool, DQ → Softmax → Q), with uint8 or int8 (shifted) weights: the same bytes as the .tflite
/// original, on every reference photograph.</item>
/// </list>
/// </summary>
[TestFixture]
public class QdqModelTests
{
    public static readonly string[] QdqModels = { "mobilenet_v1_0.25_128_qdq_int8", "mobilenet_v2_0.35_96_qdq_int8", "mobilenet_v2_1.0_224_qdq_int8" };

    private static string QdqPath(string stem, string ext) => TestData.Require($"models/onnx-int8/{stem}.{ext}");

    private sealed record Recorded(string Quantized, string Producer, int[] Shape, long Offset, int Bytes);

    private static List<Recorded> Activations(string stem)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(QdqPath(stem, "json")));
        return doc.RootElement.GetProperty("activations").GetProperty("tensors").EnumerateArray().Select(t => new Recorded(
            t.GetProperty("quantized").GetString()!, t.GetProperty("producer").GetString()!,
            t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt32()).ToArray(),
            t.GetProperty("offset").GetInt64(), t.GetProperty("bytes").GetInt32())).ToList();
    }

    [TestCaseSource(nameof(QdqModels))]
    public void EveryQuantizedOperatorRunsOnTheIntegerPath(string stem)
    {
        var graph = Model.Load(QdqPath(stem, "onnx")).Graph;
        var arithmetic = graph.Nodes.Where(n => n is Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode or AddNode or GlobalAveragePoolNode).ToList();
        var floatOnes = arithmetic.Where(n => n.Input.DataType == DataType.Float32).Select(n => n.Name).ToList();
        Assert.That(floatOnes, Is.Empty, "float operators left between Dequantize and Quantize");
        // Only the float input's quantization and the float output's dequantization remain.
        Assert.That(graph.Nodes.Count(n => n is QuantizeNode), Is.EqualTo(1));
        Assert.That(graph.Nodes.Count(n => n is DequantizeNode), Is.EqualTo(1));
        using var session = new InferenceSession(Model.Load(QdqPath(stem, "onnx")), new SessionOptions { Threads = 1 });
        Assert.That(session.Placement.ToString(), Does.Not.Contain("managed"));
        TestContext.Out.WriteLine($"{stem}: {arithmetic.Count} integer layers, activations {arithmetic[0].Input.DataType}");
    }

    [TestCaseSource(nameof(QdqModels))]
    public void WholeModelMatchesOnnxRuntimeWithinOneQuantum(string stem)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(QdqPath(stem, "json")));
        float scale = doc.RootElement.GetProperty("output_quantization").GetProperty("scale").GetSingle();
        var input = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(QdqPath(stem, "input.f32"))).ToArray();
        var want = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(QdqPath(stem, "output.f32"))).ToArray();
        foreach (int threads in new[] { 1, 2 })
        {
            using var session = new InferenceSession(Model.Load(QdqPath(stem, "onnx")), new SessionOptions { Threads = threads });
            Assert.That(session.Inputs[0].DataType, Is.EqualTo(DataType.Float32), "the session takes floats, as ORT does");
            var got = session.Run(input);
            Assert.That(got.Length, Is.EqualTo(want.Length));
            int off = 0, worst = 0;
            for (int i = 0; i < want.Length; i++)
            {
                int d = (int)Math.Round(Math.Abs(got[i] - want[i]) / scale);
                worst = Math.Max(worst, d);
                off += d > 0 ? 1 : 0;
            }
            TestContext.Out.WriteLine($"{stem}, {threads} thread(s): {off} of {want.Length} outputs differ from ORT (max {worst} quanta)");
            Assert.That(worst, Is.LessThanOrEqualTo(1));
        }
    }

    /// <summary>Each integer layer alone, fed ORT's recorded input bytes: its output against ORT's recorded output.</summary>
    [TestCaseSource(nameof(QdqModels))]
    public void EveryLayerMatchesOnnxRuntimeWithinOneQuantum(string stem)
    {
        var recorded = Activations(stem);
        var blob = File.ReadAllBytes(QdqPath(stem, "activations.u8"));
        var byName = recorded.ToDictionary(r => r.Quantized);
        var graph = Model.Load(QdqPath(stem, "onnx")).Graph;
        int layers = 0, elements = 0, offByOne = 0, tensorsOff = 0;
        var lines = new List<string>();
        foreach (var node in graph.Nodes.Where(n => n is Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode or AddNode or GlobalAveragePoolNode))
        {
            if (!byName.TryGetValue(node.Output.Name, out var outRec) || outRec is null)
                throw new AssertionException($"layer '{node.Name}' output '{node.Output.Name}' is not among ORT's recorded activations");
            var runtimeInputs = node.Inputs.Where(v => v is { IsConstant: false }).Select(v => v!).ToList();
            var feeds = new Dictionary<string, byte[]>();
            foreach (var v in runtimeInputs)
            {
                if (!byName.TryGetValue(v.Name, out var inRec) || inRec is null)
                    throw new AssertionException($"layer '{node.Name}' input '{v.Name}' is not among ORT's recorded activations");
                feeds[v.Name] = ToOurs(blob.AsSpan((int)inRec.Offset, inRec.Bytes), inRec.Shape, v);
            }
            var got = RunAlone(node, feeds);
            var want = ToOurs(blob.AsSpan((int)outRec.Offset, outRec.Bytes), outRec.Shape, node.Output);
            int off = 0;
            for (int i = 0; i < want.Length; i++)
            {
                int d = Math.Abs(Signed(got[i], node.Output) - Signed(want[i], node.Output));
                if (d > 1)
                    Assert.Fail($"layer '{node.Name}' element {i}: {Signed(got[i], node.Output)}, ORT {Signed(want[i], node.Output)} ({d} quanta)");
                off += d;
            }
            layers++;
            elements += want.Length;
            offByOne += off;
            if (off > 0)
            {
                tensorsOff++;
                lines.Add($"  {node.Name} ({node.Op}): {off} of {want.Length} elements ±1");
            }
        }
        TestContext.Out.WriteLine($"{stem}: {layers} layers, {elements} elements; {offByOne} elements in {tensorsOff} layers differ by 1 quantum from ORT, none by more");
        foreach (var l in lines)
            TestContext.Out.WriteLine(l);
        Assert.That(layers, Is.EqualTo(recorded.Count(r => r.Producer is "Conv" or "Add" or "GlobalAveragePool" or "Gemm")));
    }

    private static int Signed(byte b, Value v) => v.DataType == DataType.Int8 ? (sbyte)b : b;

    /// <summary>ORT's NCHW uint8 tensor as our value holds it: NHWC when 4-D, shifted by −128 when our type is int8.</summary>
    private static byte[] ToOurs(ReadOnlySpan<byte> nchw, int[] shape, Value v)
    {
        var bytes = new byte[nchw.Length];
        if (shape.Length == 4 && v.Rank == 4)
        {
            int n = shape[0], c = shape[1], h = shape[2], w = shape[3];
            Assert.That(v.Shape, Is.EqualTo(new[] { n, h, w, c }), $"'{v.Name}' shape");
            for (int b = 0; b < n; b++)
                for (int ch = 0; ch < c; ch++)
                    for (int y = 0; y < h; y++)
                        for (int x = 0; x < w; x++)
                            bytes[((b * h + y) * w + x) * c + ch] = nchw[((b * c + ch) * h + y) * w + x];
        }
        else
        {
            Assert.That(v.ElementCount, Is.EqualTo(nchw.Length), $"'{v.Name}' size");
            nchw.CopyTo(bytes);
        }
        if (v.DataType == DataType.Int8)
            for (int i = 0; i < bytes.Length; i++)
                bytes[i] ^= 0x80;
        return bytes;
    }

    /// <summary>Runs one node of a graph by itself on the native backend (its run-time inputs fed raw).</summary>
    private static byte[] RunAlone(Node node, Dictionary<string, byte[]> feeds)
    {
        var map = new Dictionary<Value, Value>(ReferenceEqualityComparer.Instance);
        Value Map(Value v) => v.IsConstant ? v : map.TryGetValue(v, out var m) ? m : map[v] = new Value(v.Name, (int[])v.Shape.Clone(), v.DataType, v.Quantization);
        var copy = node.CloneWith(Map);
        var g = new ModelGraph("layer");
        g.Inputs.AddRange(copy.Inputs.Where(v => v is { IsConstant: false }).Select(v => v!).Distinct());
        g.Nodes.Add(copy);
        g.Outputs.Add(copy.Output);
        g.Validate();
        var plan = MemoryPlanner.Plan(g);
        using var arena = new NativeArena(plan);
        var backend = new NativeCpuBackend();
        using var compiled = backend.Compile(new Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList()), backend.Devices[0], new CompileOptions { Threads = 1 });
        foreach (var v in g.Inputs)
            feeds[v.Name].CopyTo(arena.Span<byte>(v));
        compiled.Run(arena);
        return arena.Span<byte>(g.Outputs[0]).ToArray();
    }

    public static IEnumerable<TestCaseData> FromTfliteCases()
    {
        foreach (var model in ReferenceCase.All().Select(c => c.Model).Distinct())
            foreach (string suffix in new[] { "", "_s8w" })
                yield return new TestCaseData(model, suffix).SetName($"FromTfliteGivesTheTfliteBytes({model}{suffix})");
    }

    [TestCaseSource(nameof(FromTfliteCases))]
    public void FromTfliteGivesTheTfliteBytes(string model, string suffix)
    {
        var onnx = Model.Load(TestData.Require($"models/onnx-int8/from-tflite/{model}{suffix}.onnx")).Graph;
        var tflite = ReferenceCase.Graph(model);
        Assert.That(onnx.Inputs[0].DataType, Is.EqualTo(tflite.Inputs[0].DataType));
        Assert.That(onnx.Inputs[0].Shape, Is.EqualTo(tflite.Inputs[0].Shape));
        Assert.That(onnx.Nodes.Where(n => n is Conv2DNode or DepthwiseConv2DNode).All(n => n.Input.DataType == DataType.UInt8), "integer convolutions");
        int cases = 0;
        foreach (var c in ReferenceCase.All().Where(c => c.Model == model))
        {
            var ours = IntegerRunner.Run(onnx, c.Input);
            var reference = IntegerRunner.Run(tflite, c.Input);
            Assert.That(ours, Is.EqualTo(reference), $"{c}: the ONNX file's output differs from the .tflite original's");
            cases++;
        }
        Assert.That(cases, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{model}{suffix}: identical bytes to the .tflite on {cases} photographs");
    }
}

/// <summary>A QDQ model's float input is quantized on entry: the session says how (TensorInfo.QuantizedOnEntry), and
/// with SessionOptions.QuantizedInput takes those bytes directly — ORT's recorded uint8 input gives the same output.</summary>
[TestFixture]
public class QuantizedInputTests
{
    [TestCaseSource(typeof(QdqModelTests), nameof(QdqModelTests.QdqModels))]
    public void QuantizedBytesFedDirectlyGiveTheFloatInputsOutput(string stem)
    {
        string path = TestData.Require($"models/onnx-int8/{stem}.onnx");
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"models/onnx-int8/{stem}.json")));
        var iq = doc.RootElement.GetProperty("input_quantization");
        using var floatSession = new InferenceSession(Model.Load(path), new SessionOptions { Threads = 1 });
        var entry = floatSession.Inputs[0].QuantizedOnEntry;
        Assert.That(entry, Is.Not.Null);
        Assert.That(entry!.DataType, Is.EqualTo(DataType.UInt8));
        Assert.That(entry.Shape, Is.EqualTo(floatSession.Inputs[0].Shape), "the input's own (NCHW) shape");
        Assert.That(entry.Quantization!.Scale, Is.EqualTo(iq.GetProperty("scale").GetSingle()));
        Assert.That(entry.Quantization.ZeroPoint, Is.EqualTo(iq.GetProperty("zero_point").GetInt64()));

        using var byteSession = new InferenceSession(Model.Load(path), new SessionOptions { Threads = 1, QuantizedInput = true });
        Assert.That(byteSession.Inputs[0].DataType, Is.EqualTo(DataType.UInt8));
        Assert.That(byteSession.Inputs[0].Shape, Is.EqualTo(floatSession.Inputs[0].Shape));
        var floats = MemoryMarshal.Cast<byte, float>(File.ReadAllBytes(TestData.Require($"models/onnx-int8/{stem}.input.f32"))).ToArray();
        var want = floatSession.Run(floats);
        var got = new float[want.Length];
        byteSession.RunRaw(File.ReadAllBytes(TestData.Require($"models/onnx-int8/{stem}.input.u8")), MemoryMarshal.AsBytes(got.AsSpan()));
        Assert.That(got, Is.EqualTo(want));
        Assert.That(byteSession.Run(floats), Is.EqualTo(want), "Run(float[]) quantizes with the entry parameters");
    }

    [Test]
    public void FloatModelsAreNotQuantizedOnEntry()
    {
        using var session = new InferenceSession(Model.Zoo.MobileNetV1(0.25, 128), new SessionOptions { Threads = 1, QuantizedInput = true });
        Assert.That(session.Inputs[0].QuantizedOnEntry, Is.Null);
        Assert.That(session.Inputs[0].DataType, Is.EqualTo(DataType.Float32));
    }
}
