using MobileNetAccel.Backends.Native.Quantized;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>Imported TFLite models through <see cref="InferenceSession"/>: the integer path in the cpu backend, the float
/// path (SessionOptions.ForceFloat), the photographs a user would try, and the zoo's builders against the imported graphs.</summary>
[TestFixture]
public class SessionTests
{
    public static IEnumerable<ReferenceCase> Cases() => ReferenceCase.All();

    private static readonly Dictionary<(string, bool), InferenceSession> Sessions = new();

    private static InferenceSession Session(string model, bool forceFloat)
    {
        lock (Sessions)
        {
            if (!Sessions.TryGetValue((model, forceFloat), out var s))
                Sessions[(model, forceFloat)] = s = new InferenceSession(new Model(ReferenceCase.Graph(model)),
                    new SessionOptions { Threads = 1, ForceFloat = forceFloat });
            return s;
        }
    }

    [OneTimeTearDown]
    public void DisposeSessions()
    {
        lock (Sessions)
        {
            foreach (var s in Sessions.Values)
                s.Dispose();
            Sessions.Clear();
        }
    }

    private static float[] Probabilities(byte[] q) => q.Select(b => b / 256f).ToArray();

    [TestCaseSource(typeof(TfliteReaderTests), nameof(TfliteReaderTests.Models))]
    public void IntegerPathInCpuBackendEqualsStandaloneRunner(string model)
    {
        var c = ReferenceCase.All().First(r => r.Model == model);
        var session = Session(model, false);
        Assert.That(session.Inputs[0].DataType, Is.EqualTo(DataType.UInt8));
        Assert.That(session.Placement.All(p => p.Backend == "cpu"));
        var viaSession = new byte[1001];
        session.RunRaw(c.Input, viaSession);
        var direct = IntegerRunner.Run(ReferenceCase.Graph(model), c.Input);
        Assert.That(viaSession, Is.EqualTo(direct));
    }

    /// <summary>Float path: same top-1 wherever both references agree on it with a probability margin of at least 0.1
    /// over their second class, and the references' top-1 probability matched within 0.1.</summary>
    [TestCaseSource(nameof(Cases))]
    public void FloatPathMatchesReferences(ReferenceCase c)
    {
        var session = Session(c.Model, true);
        Assert.That(session.Graph.Nodes.Count(n => n is DequantizeNode), Is.EqualTo(1), "the float graph dequantizes the input once");
        Assert.That(session.Graph.Outputs[0].DataType, Is.EqualTo(DataType.Float32), "the float path's output is not quantized back");
        var q = session.Inputs[0].Quantization!;
        var real = c.Input.Select(v => (v - q.ZeroPoint) * q.Scale).ToArray(); // quantized back to exactly these bytes
        var p = new float[1001];
        session.Run(real, p);
        float[] a = Probabilities(c.Armnn), l = Probabilities(c.Litert);
        int top = Classifier.TopK(p, 1)[0].Index, topA = ReferenceCase.ArgMax(c.Armnn), topL = ReferenceCase.ArgMax(c.Litert);
        // RunRaw gives the model's own uint8 output: the float probabilities quantized (1/256, round to nearest).
        var raw = new byte[1001];
        session.RunRaw(c.Input, raw);
        Assert.That(raw[top], Is.EqualTo((byte)Math.Clamp(MathF.Round(p[top] * 256, MidpointRounding.ToEven), 0, 255)));
        static float Margin(float[] x, int top) => x[top] - x.Where((_, i) => i != top).Max();
        TestContext.Out.WriteLine($"{c}: float top-1 {top} p={p[top]:F4}; ArmNN {topA} p={a[topA]:F4} margin {Margin(a, topA):F3}; LiteRT {topL} p={l[topL]:F4} margin {Margin(l, topL):F3}");
        if (topA == topL && Margin(a, topA) >= 0.1f && Margin(l, topL) >= 0.1f)
        {
            Assert.That(top, Is.EqualTo(topA));
            Assert.That(p[topA], Is.EqualTo(a[topA]).Within(0.1f));
            Assert.That(p[topL], Is.EqualTo(l[topL]).Within(0.1f));
        }
    }

    private static (int Index, float Score, string Label) ClassifyFile(string model, string image, ResizeMode mode)
    {
        var session = Session(model, false);
        var input = session.Inputs[0];
        var tensor = ImagePreprocessor.ToTensor(RgbImage.Load(TestData.Require($"images/{image}")), input.Shape, input.DataType,
            input.Quantization, new PreprocessOptions { Resize = mode });
        var scores = new float[1001];
        session.Run(tensor.Select(b => (b - 128) / 128f).ToArray(), scores); // real values, quantized back by the session
        var labels = Classifier.LoadLabels(TestData.Require("models/tflite/imagenet_labels.txt"));
        var (index, score) = Classifier.TopK(scores, 1)[0];
        return (index, score, labels[index]);
    }

    [TestCase("mobilenet_v2_1.0_224_quant", "cat.bmp", "Egyptian cat")]
    [TestCase("mobilenet_v2_1.0_224_quant", "grace_hopper.bmp", "military uniform")]
    [TestCase("mobilenet_v2_1.0_224_quant", "hot_dog.jpg", "hotdog, hot dog, red hot")]
    [TestCase("mobilenet_v1_0.5_160_quant", "cat.bmp", "Egyptian cat")]
    public void KnownGoodPhotographs(string model, string image, string label)
    {
        foreach (var mode in new[] { ResizeMode.Nearest, ResizeMode.Bilinear })
        {
            var (index, score, got) = ClassifyFile(model, image, mode);
            TestContext.Out.WriteLine($"{model} {image} ({mode}): {score:F6}: {index} {got}");
            Assert.That(got, Is.EqualTo(label), $"{mode}");
            if (model.StartsWith("mobilenet_v1_0.5_160", StringComparison.Ordinal) && mode == ResizeMode.Nearest)
                Assert.That(score, Is.GreaterThan(0.67f));
        }
    }

    [TestCase("mobilenet_v1_0.25_128_quant", "v1", 0.25, 128)]
    [TestCase("mobilenet_v1_0.5_160_quant", "v1", 0.5, 160)]
    [TestCase("mobilenet_v2_1.0_224_quant", "v2", 1.0, 224)]
    public void ZooBuilderAgreesWithImportedGraph(string model, string arch, double alpha, int resolution)
    {
        var imported = ReferenceCase.Graph(model);
        var zoo = arch == "v1" ? MobileNetAccel.Models.MobileNetV1.Build(alpha, resolution) : MobileNetAccel.Models.MobileNetV2.Build(alpha, resolution);
        zoo.Validate();
        static List<string> Layers(ModelGraph g) => g.Nodes
            .Where(n => n is Conv2DNode or DepthwiseConv2DNode or AddNode or AveragePool2DNode or GlobalAveragePoolNode or SoftmaxNode)
            .Select(n =>
            {
                string kind = n is AveragePool2DNode or GlobalAveragePoolNode ? "Pool" : n.Op.ToString();
                string w = n.Inputs.Count > 1 && n.Inputs[1] is { IsConstant: true } wt ? " w" + Value.FormatShape(wt.Shape) : "";
                string s = n is WindowNode wn && n is not AveragePool2DNode ? $" s{wn.StrideH}" : "";
                return $"{kind} {Value.FormatShape(n.Output.Shape)}{w}{s}";
            }).ToList();
        var a = Layers(imported);
        var b = Layers(zoo);
        Assert.That(a, Is.EqualTo(b));
        Assert.That(imported.TotalParameters, Is.EqualTo(zoo.TotalParameters));
        TestContext.Out.WriteLine($"{model}: {a.Count} layers agree, {imported.TotalParameters} parameters, {imported.TotalMacs} MACs (zoo {zoo.TotalMacs})");
    }
}
