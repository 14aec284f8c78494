using System.Runtime.InteropServices;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>ONNX ArgMax / ArgMin import: the indices (int64) equal ONNX Runtime's on the same file, exactly, for every
/// axis, both keepdims and both operators, after a Conv (the importer holds its output as NHWC: the channel axis is
/// reduced as held, the others in ONNX layout) and on a plain 2-D input; bad attributes name the node.</summary>
[TestFixture]
public class OnnxArgMaxTests
{
    private static readonly string[] Backends = { "managed", "cpu" };


    private static long[] Ours(string path, float[] x, string backend)
    {
        using var session = new InferenceSession(Model.Load(path), new SessionOptions { Backend = backend, Threads = 2 });
        Assert.That(session.Outputs[0].DataType, Is.EqualTo(DataType.Int64));
        var y = new long[session.Outputs[0].ElementCount];
        session.RunRaw(MemoryMarshal.AsBytes(x.AsSpan()), MemoryMarshal.AsBytes(y.AsSpan()));
        return y;
    }

    /// <summary>Conv (4 → 21 channels, 3x3, pad 1) → ArgMax/ArgMin over each axis of [2, 21, 6, 7].</summary>
    [Test]
    public void After_a_conv_every_axis_matches_OnnxRuntime([Values("ArgMax", "ArgMin")] string op, [Values(0L, 1L)] long keepdims)
    {
        long[] inDims = { 2, 4, 6, 7 }, convDims = { 2, 21, 6, 7 };
        var w = TestGraphs.Random(21 * 4 * 9, 5);
        var b = TestGraphs.Random(21, 6);
        var x = TestGraphs.Random(2 * 4 * 6 * 7, 7);
        for (int axis = -1; axis < 4; axis++)
        {
            int a = axis < 0 ? axis + 4 : axis;
            var outDims = keepdims == 1 ? convDims.Select((d, i) => i == a ? 1L : d).ToArray() : convDims.Where((_, i) => i != a).ToArray();
            var model = new OnnxBuilder(13).Input("x", inDims).TypedOutput("y", 7, outDims)
                .Initializer("w", new long[] { 21, 4, 3, 3 }, w).Initializer("b", new long[] { 21 }, b)
                .Node("Conv", new[] { "x", "w", "b" }, new[] { "c" }, "conv", ("pads", new long[] { 1, 1, 1, 1 }), ("kernel_shape", new long[] { 3, 3 }))
                .Node(op, new[] { "c" }, new[] { "y" }, "reduce", ("axis", (long)axis), ("keepdims", keepdims))
                .Build();
            string path = OrtOracle.SaveModel("onnx-argmax", $"{op}-conv-{axis}-{keepdims}", model);
            // the channel axis is reduced as the conv's NHWC output is held: only the input's layout transpose
            int transposes = OnnxImporter.Load(path).Nodes.OfType<TransposeNode>().Count();
            Assert.That(transposes, Is.EqualTo(a == 1 ? 1 : 2), $"axis {axis}");
            long[] want = OrtOracle.RunInt64(path, "x", inDims, x);
            Assert.That(want.Distinct().Count(), Is.GreaterThan(1), "a case whose answer is one index checks little");
            foreach (var backend in Backends)
                Assert.That(Ours(path, x, backend), Is.EqualTo(want), $"{op} axis {axis} keepdims {keepdims} on {backend}");
        }
    }

    /// <summary>A 2-D input with ties (rounded values): the first index wins, as in ORT with select_last_index = 0; the
    /// default axis (0) and keepdims (1) when the attributes are absent.</summary>
    [Test]
    public void Plain_input_with_ties_and_default_attributes([Values("ArgMax", "ArgMin")] string op)
    {
        long[] dims = { 9, 13 };
        var x = TestGraphs.Random(9 * 13, 11).Select(v => MathF.Round(v * 2)).ToArray();
        foreach (var (attrs, outDims, name) in new[]
                 {
                     (Array.Empty<(string, object)>(), new long[] { 1, 13 }, "defaults"),
                     (new (string, object)[] { ("axis", 1L), ("keepdims", 0L), ("select_last_index", 0L) }, new long[] { 9 }, "axis1"),
                 })
        {
            var model = new OnnxBuilder(13).Input("x", dims).TypedOutput("y", 7, outDims).Node(op, new[] { "x" }, new[] { "y" }, "reduce", attrs).Build();
            string path = OrtOracle.SaveModel("onnx-argmax", $"{op}-plain-{name}", model);
            long[] want = OrtOracle.RunInt64(path, "x", dims, x);
            foreach (var backend in Backends)
                Assert.That(Ours(path, x, backend), Is.EqualTo(want), $"{op} {name} on {backend}");
        }
    }

    [Test]
    public void Bad_attributes_name_the_node()
    {
        byte[] Model(params (string, object)[] attrs) =>
            new OnnxBuilder(13).Input("x", 3, 4).TypedOutput("y", 7, 3).Node("ArgMax", new[] { "x" }, new[] { "y" }, "pick", attrs).Build();
        Assert.That(() => OnnxImporter.Import(OnnxReader.Read(Model(("select_last_index", 1L)))),
            Throws.InstanceOf<ModelFormatException>().With.Message.Contains("pick").And.Message.Contains("select_last_index"));
        Assert.That(() => OnnxImporter.Import(OnnxReader.Read(Model(("keepdims", 2L)))),
            Throws.InstanceOf<ModelFormatException>().With.Message.Contains("pick").And.Message.Contains("keepdims 2"));
        Assert.That(() => OnnxImporter.Import(OnnxReader.Read(Model(("axis", 2L)))),
            Throws.InstanceOf<ModelFormatException>().With.Message.Contains("pick").And.Message.Contains("axis"));
    }
}
