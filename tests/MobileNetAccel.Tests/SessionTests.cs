using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests;

public class SessionTests
{
    private static readonly Model Small = Model.Zoo.MobileNetV1(0.25, 128);

    [Test]
    public void MetadataDescribesInputAndOutput()
    {
        using var s = new InferenceSession(Small, new SessionOptions { Threads = 1 });
        Assert.That(s.Inputs.Single().Name, Is.EqualTo("input"));
        Assert.That(s.Inputs[0].Shape, Is.EqualTo(new[] { 1, 128, 128, 3 }));
        Assert.That(s.Inputs[0].DataType, Is.EqualTo(DataType.Float32));
        Assert.That(s.Inputs[0].Quantization, Is.Null);
        Assert.That(s.Outputs.Single().Shape, Is.EqualTo(new[] { 1, 1001 }));
        Assert.That(s.Outputs[0].Name, Is.EqualTo("MobilenetV1/Predictions/Softmax"));
        Assert.That(s.ArenaBytes, Is.GreaterThan(0));
        Assert.That(s.Threads, Is.EqualTo(1));
    }

    [Test]
    public void PlacementNamesEveryNodeAndBackend()
    {
        using var s = new InferenceSession(Small, new SessionOptions { Backend = "cpu", Threads = 1 });
        Assert.That(s.Placement, Has.Count.EqualTo(s.Graph.Nodes.Count));
        Assert.That(s.Placement.All(p => p.Backend == "cpu" && p.Device == "cpu"), Is.True);
        Assert.That(s.Placement[0].ToString(), Does.Contain("MobilenetV1/Conv2d_0").And.Contain("cpu"));
        Assert.That(s.PassLog.Single(p => p.Pass == "fold-batch-norm").Rewrites, Is.EqualTo(27));
    }

    [Test]
    public void WrongSizesAreRejectedWithTheTensorName()
    {
        using var s = new InferenceSession(Small, new SessionOptions { Threads = 1 });
        var e = Assert.Throws<ArgumentException>(() => s.Run(new float[10], new float[1001]))!;
        Assert.That(e.Message, Does.Contain("input").And.Contain("49152"));
        e = Assert.Throws<ArgumentException>(() => s.Run(new float[49152], new float[1000]))!;
        Assert.That(e.Message, Does.Contain("MobilenetV1/Predictions/Softmax"));
    }

    [Test]
    public void UnknownBackendListsTheAvailableOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => new InferenceSession(Small, new SessionOptions { Backend = "tpu" }))!;
        Assert.That(e.Message, Does.Contain("tpu").And.Contain("cpu").And.Contain("managed"));
    }

    [Test]
    public void UnsupportedNodeIsNamed()
    {
        // (Transpose and Concat, the examples here before, now have native steps.)
        var g = new ModelGraph("matmul");
        var x = new Value("x", new[] { 2, 4 });
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new MatMulNode("joined", x, TestGraphs.Const("w", new[] { 4, 3 }), Act("y"))).Output);
        // Strict: the requested backend must run every node, so the session fails and names the node.
        var e = Assert.Throws<NotSupportedException>(() => new InferenceSession(new Model(g), new SessionOptions { Backend = "cpu", Strict = true }))!;
        Assert.That(e.Message, Does.Contain("'joined'").And.Contain("MatMul").And.Contain("cpu"));
        // Not strict: the node falls back to another backend, and the placement says so.
        using var s = new InferenceSession(new Model(g), new SessionOptions { Backend = "cpu" });
        Assert.That(s.Placement.ToString(), Does.Contain("joined").And.Contain("managed"));
    }

    [TestCase(new[] { 2, 3, 5, 7 }, new[] { 0, 2, 3, 1 })] // NCHW -> NHWC, 3 channels (an ONNX image input)
    [TestCase(new[] { 2, 3, 8, 12 }, new[] { 0, 2, 3, 1 })] // 96 pixels: three streamed 32-pixel runs per image
    [TestCase(new[] { 2, 3, 9, 13 }, new[] { 0, 2, 3, 1 })] // 117 pixels: streamed runs and a 21-pixel tail
    [TestCase(new[] { 1, 3, 224, 224 }, new[] { 0, 2, 3, 1 })] // MobileNet's input
    [TestCase(new[] { 1, 5, 4, 6 }, new[] { 0, 2, 3, 1 })] // NCHW -> NHWC, other channel counts
    [TestCase(new[] { 1, 1, 3, 3 }, new[] { 0, 2, 3, 1 })]
    [TestCase(new[] { 2, 3, 4, 5 }, new[] { 0, 3, 1, 2 })] // any other permutation: the general path
    [TestCase(new[] { 3, 4, 5 }, new[] { 2, 0, 1 })]
    public void NativeTransposeEqualsTheDefinition(int[] shape, int[] perm)
    {
        var g = new ModelGraph("transpose");
        var x = new Value("x", shape);
        g.Inputs.Add(x);
        g.Outputs.Add(g.Add(new TransposeNode("t", x, Act("y"), perm)).Output);
        int n = shape.Aggregate(1, (a, b) => a * b);
        var input = Random(n, 7);
        var got = Run(g, input, "cpu", optimize: false);
        // the definition: y[i_0..i_r] = x[j] with j_perm[d] = i_d
        var outShape = perm.Select(p => shape[p]).ToArray();
        var expected = new float[n];
        var idx = new int[shape.Length];
        for (int o = 0; o < n; o++)
        {
            int rem = o;
            for (int d = outShape.Length - 1; d >= 0; d--)
            {
                idx[perm[d]] = rem % outShape[d];
                rem /= outShape[d];
            }
            int src = 0;
            for (int d = 0; d < shape.Length; d++)
                src = src * shape[d] + idx[d];
            expected[o] = input[src];
        }
        Assert.That(got, Is.EqualTo(expected)); // data movement: exact
    }

    [Test]
    public void RunAllocatesNothing()
    {
        using var s = new InferenceSession(Small, new SessionOptions { Threads = 2 });
        var input = Random(128 * 128 * 3, 3);
        var output = new float[1001];
        s.Run(input, output);
        var windows = Reliability.Allocations.UntilAWindowAllocatesNothing(() => s.Run(input, output), perWindow: 3);
        Assert.That(windows[^1], Is.Zero, $"every window of 3 runs allocated: {string.Join(", ", windows)} bytes");
    }

    [Test]
    public void ConcurrentRunsGiveTheSameResult()
    {
        using var s = new InferenceSession(Small, new SessionOptions { Threads = 2 });
        var input = Random(128 * 128 * 3, 4);
        var expected = s.Run(input);
        var results = new float[4][];
        Parallel.For(0, 4, i => results[i] = s.Run(input));
        foreach (var r in results)
            Assert.That(r, Is.EqualTo(expected));
    }

    [Test]
    public void DisposedSessionThrows()
    {
        var s = new InferenceSession(Small, new SessionOptions { Threads = 1 });
        s.Dispose();
        s.Dispose();
        Assert.Throws<ObjectDisposedException>(() => s.Run(new float[49152]));
    }

    [Test]
    public void DefaultThreadsArePhysicalCores()
    {
        var o = new SessionOptions();
        Assert.That(o.EffectiveThreads, Is.EqualTo(MobileNetAccel.Backends.CpuInfo.PhysicalCores));
        Assert.That(o.EffectiveThreads, Is.InRange(1, Environment.ProcessorCount));
        Assert.That(o.Backend, Is.EqualTo("cpu"));
        Assert.That(o.Optimize, Is.True);
    }

    [Test]
    public void ModelIsNotChangedBySessions()
    {
        int nodes = Small.Graph.Nodes.Count;
        using (new InferenceSession(Small, new SessionOptions { Threads = 1 })) { }
        Assert.That(Small.Graph.Nodes, Has.Count.EqualTo(nodes));
        Assert.That(Small.Graph.Nodes.OfType<BatchNormNode>().Count(), Is.EqualTo(27));
    }

    [Test]
    public void NativeAndManagedAgreeOnASmallModelWithSoftmax()
    {
        var input = Random(128 * 128 * 3, 8);
        var expected = Run(Small.Graph, input, "managed", optimize: false);
        var actual = Run(Small.Graph, input, "cpu", optimize: true, threads: 2);
        AssertClose(expected, actual, 1e-5, "probabilities");
        Assert.That(actual.Sum(), Is.EqualTo(1f).Within(1e-4));
        _ = Activation.None;
    }
}
