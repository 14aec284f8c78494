using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>Reader/importer validation on small hand-built models: errors name the node (name, op_type, index) or
/// tensor and the problem; external data stays inside the model's folder; attribute/input forms across opsets;
/// NHWC↔NCHW conversions cancel; results checked against ONNX Runtime.</summary>
[TestFixture]
public class OnnxValidationTests
{
    private static ModelFormatException Rejects(byte[] model) =>
        Assert.Throws<ModelFormatException>(() => OnnxImporter.Import(OnnxReader.Read(model, null, "test.onnx")))!;

    [Test]
    public void UnsupportedOperatorNamesOperatorAndNode()
    {
        var m = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 4)
            .Node("Relu", new[] { "x" }, new[] { "r" }, "first")
            .Node("LRN", new[] { "r" }, new[] { "y" }, "mystery", ("size", 3L)).Build();
        var e = Rejects(m);
        Assert.That(e.Message, Does.Contain("'mystery'").And.Contain("LRN").And.Contain("#1").And.Contain("not supported"));
    }

    [Test]
    public void UndefinedInputNamesNode()
    {
        var m = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 4)
            .Node("Add", new[] { "x", "nowhere" }, new[] { "y" }, "adder").Build();
        Assert.That(Rejects(m).Message, Does.Contain("'adder'").And.Contain("Add").And.Contain("#0").And.Contain("'nowhere'"));
    }

    [Test]
    public void CycleNamesNode()
    {
        var m = new OnnxBuilder().Input("x", 1, 4).Output("y", 1, 4)
            .Node("Add", new[] { "x", "b" }, new[] { "a" }, "n0")
            .Node("Relu", new[] { "a" }, new[] { "b" }, "n1")
            .Node("Relu", new[] { "b" }, new[] { "y" }, "n2").Build();
        Assert.That(Rejects(m).Message, Does.Contain("cycle"));
    }

    [Test]
    public void InitializerSizeMustMatchDims()
    {
        var bad = new Proto().Int(1, 2).Int(1, 3).Int(2, 1).Str(8, "w").Bytes_(9, new byte[20]);
        var m = new OnnxBuilder().Input("x", 2, 3).Output("y", 2, 3).Initializer(bad)
            .Node("Add", new[] { "x", "w" }, new[] { "y" }).Build();
        Assert.That(Rejects(m).Message, Does.Contain("'w'").And.Contain("20 bytes").And.Contain("24"));
    }

    [Test]
    public void AttributeTypeIsChecked()
    {
        var m = new OnnxBuilder().Input("x", 1, 1, 4, 4).Output("y", 1, 1, 4, 4)
            .Initializer("w", new long[] { 1, 1, 1, 1 }, new[] { 2f })
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "c", ("strides", 1.5f)).Build();
        Assert.That(Rejects(m).Message, Does.Contain("'c'").And.Contain("Conv").And.Contain("'strides'").And.Contain("type Float; expected Ints"));
    }

    [Test]
    public void OpsetOutsideRangeIsRejected()
    {
        var m = new OnnxBuilder(opset: 22).Input("x", 1, 4).Output("y", 1, 4).Node("Relu", new[] { "x" }, new[] { "y" }).Build();
        Assert.That(Rejects(m).Message, Does.Contain("opset 22"));
    }

    [Test]
    public void DilatedConvolutionIsRejectedByName()
    {
        var m = new OnnxBuilder().Input("x", 1, 1, 8, 8).Output("y", 1, 1, 4, 4)
            .Initializer("w", new long[] { 1, 1, 3, 3 }, new float[9])
            .Node("Conv", new[] { "x", "w" }, new[] { "y" }, "dil", ("dilations", new long[] { 2, 2 })).Build();
        Assert.That(Rejects(m).Message, Does.Contain("'dil'").And.Contain("dilations"));
    }

    [Test]
    public void NotAModelIsRejected()
    {
        Assert.Throws<ModelFormatException>(() => OnnxReader.Read(new byte[] { 0x0A, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F }));
        Assert.Throws<ModelFormatException>(() => OnnxReader.Read(System.Text.Encoding.ASCII.GetBytes("TFL3 not a protobuf")));
        Assert.Throws<ModelFormatException>(() => OnnxReader.Read(Array.Empty<byte>()));
    }

    // ------------------------------------------------------------------ external data

    private static Proto ExternalTensor(string name, long[] dims, string location, long offset = 0)
    {
        var t = new Proto();
        foreach (long d in dims)
            t.Int(1, d);
        t.Int(2, 1).Str(8, name);
        t.Msg(13, new Proto().Str(1, "location").Str(2, location));
        t.Msg(13, new Proto().Str(1, "offset").Str(2, offset.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        t.Int(14, 1);
        return t;
    }

    private static byte[] ExternalModel(string location, long offset = 0) =>
        new OnnxBuilder().Input("x", 1, 3).Output("y", 1, 3)
            .Initializer(ExternalTensor("b", new long[] { 3 }, location, offset))
            .Node("Add", new[] { "x", "b" }, new[] { "y" }).Build();

    [Test]
    public void ExternalDataLoadsFromTheModelFolderOnly()
    {
        string root = Path.Combine(Path.GetTempPath(), "mna-onnx-ext-" + Guid.NewGuid().ToString("N"));
        string folder = Path.Combine(root, "model");
        Directory.CreateDirectory(Path.Combine(folder, "weights"));
        try
        {
            var data = new byte[16];
            Buffer.BlockCopy(new[] { 99f, 1f, 2f, 3f }, 0, data, 0, 16);
            File.WriteAllBytes(Path.Combine(folder, "weights", "w.bin"), data);
            File.WriteAllBytes(Path.Combine(root, "outside.bin"), data);

            string ok = Path.Combine(folder, "ok.onnx");
            File.WriteAllBytes(ok, ExternalModel("weights/w.bin", offset: 4));
            var graph = OnnxImporter.Load(ok);
            var add = graph.Nodes.OfType<AddNode>().Single();
            Assert.That(add.Inputs[1]!.AsFloats().ToArray(), Is.EqualTo(new[] { 1f, 2f, 3f }));

            void Refused(string location, string expect)
            {
                string p = Path.Combine(folder, "bad.onnx");
                File.WriteAllBytes(p, ExternalModel(location));
                var e = Assert.Throws<ModelFormatException>(() => OnnxImporter.Load(p))!;
                Assert.That(e.Message, Does.Contain("'b'").And.Contain(expect), location);
            }
            Refused("../outside.bin", "leaves the model's folder");
            Refused("weights/../../outside.bin", "leaves the model's folder");
            Refused(Path.Combine(root, "outside.bin"), "relative path");
            Refused("missing.bin", "does not exist");
            File.CreateSymbolicLink(Path.Combine(folder, "link.bin"), Path.Combine(root, "outside.bin"));
            Refused("link.bin", "link that leaves");
            File.WriteAllBytes(Path.Combine(folder, "short.bin"), new byte[8]);
            Refused("short.bin", "12 needed");
        }
        finally
        {
            Directory.Delete(root, recursive: true);
        }
    }

    // ------------------------------------------------------------------ forms across opsets, layout, vs ONNX Runtime

    private static float[] RunManaged(ModelGraph graph, float[] input)
    {
        using var session = new InferenceSession(new Model(graph), new SessionOptions { Backend = "managed", Threads = 1 });
        return session.Run(input);
    }

    [TestCase(7)]
    [TestCase(13)]
    public void ClipAttributeAndInputForms(int opset)
    {
        var b = new OnnxBuilder(opset).Input("x", 1, 5).Output("y", 1, 5);
        if (opset < 11)
            b.Node("Clip", new[] { "x" }, new[] { "y" }, "clip", ("min", -1f), ("max", 0.5f));
        else
            b.Initializer("lo", Array.Empty<long>(), new[] { -1f }).Initializer("hi", Array.Empty<long>(), new[] { 0.5f })
                .Node("Clip", new[] { "x", "lo", "hi" }, new[] { "y" }, "clip");
        var y = RunManaged(OnnxImporter.Import(OnnxReader.Read(b.Build())), new[] { -3f, -1f, 0f, 0.5f, 2f });
        Assert.That(y, Is.EqualTo(new[] { -1f, -1f, 0f, 0.5f, 0.5f }));
    }

    /// <summary>A Keras-style export: NHWC input, Transpose to NCHW, depthwise + pointwise conv with SAME padding,
    /// Transpose back. The importer's conversions cancel the file's transposes, and the result matches ORT.</summary>
    [Test]
    public void KerasStyleTransposesCancelAndMatchOnnxRuntime()
    {
        var rng = new Random(5);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var model = new OnnxBuilder().Input("image", 1, 7, 7, 4).Output("features", 1, 4, 4, 6)
            .Initializer("dw", new long[] { 4, 1, 3, 3 }, R(36)).Initializer("dwb", new long[] { 4 }, R(4))
            .Initializer("pw", new long[] { 6, 4, 1, 1 }, R(24)).Initializer("pwb", new long[] { 6 }, R(6))
            .Node("Transpose", new[] { "image" }, new[] { "nchw" }, "to_nchw", ("perm", new long[] { 0, 3, 1, 2 }))
            .Node("Conv", new[] { "nchw", "dw", "dwb" }, new[] { "d" }, "depthwise", ("group", 4L), ("strides", new long[] { 2, 2 }), ("auto_pad", "SAME_UPPER"), ("kernel_shape", new long[] { 3, 3 }))
            .Node("Relu", new[] { "d" }, new[] { "dr" }, "relu")
            .Node("Conv", new[] { "dr", "pw", "pwb" }, new[] { "p" }, "pointwise")
            .Node("Transpose", new[] { "p" }, new[] { "features" }, "to_nhwc", ("perm", new long[] { 0, 2, 3, 1 }))
            .Build();
        var graph = OnnxImporter.Import(OnnxReader.Read(model));
        Assert.That(graph.Nodes.OfType<TransposeNode>(), Is.Empty, "the file's transposes cancel against the NHWC conversion");
        Assert.That(graph.Nodes.OfType<DepthwiseConv2DNode>().Count(), Is.EqualTo(1));
        var x = R(7 * 7 * 4);
        string path = Path.Combine(Path.GetTempPath(), $"mna-keras-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var expected = OrtOracle.Run(path, "image", new long[] { 1, 7, 7, 4 }, x);
            foreach (var backend in new[] { "managed", "cpu" })
            {
                using var session = new InferenceSession(new Model(graph), new SessionOptions { Backend = backend, Threads = 1 });
                var (max, _) = OnnxModels.MaxAbsDiff(session.Run(x), expected);
                Assert.That(max, Is.LessThanOrEqualTo(1e-5), backend);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Gemm with every attribute and a matrix bias, then Softmax over axis 0 (moved last and back), vs ORT.</summary>
    [Test]
    public void GemmAndSoftmaxMatchOnnxRuntime()
    {
        var rng = new Random(9);
        float[] R(int n) => Enumerable.Range(0, n).Select(_ => (float)(rng.NextDouble() * 2 - 1)).ToArray();
        var model = new OnnxBuilder().Input("a", 5, 3).Output("y", 3, 4)
            .Initializer("b", new long[] { 4, 5 }, R(20)).Initializer("c", new long[] { 3, 1 }, R(3))
            .Node("Gemm", new[] { "a", "b", "c" }, new[] { "g" }, "gemm", ("transA", 1L), ("transB", 1L), ("alpha", 0.7f), ("beta", -1.3f))
            .Node("Softmax", new[] { "g" }, new[] { "y" }, "softmax", ("axis", 0L))
            .Build();
        var graph = OnnxImporter.Import(OnnxReader.Read(model));
        var x = R(15);
        string path = Path.Combine(Path.GetTempPath(), $"mna-gemm-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, model);
        try
        {
            var expected = OrtOracle.Run(path, "a", new long[] { 5, 3 }, x);
            var (max, _) = OnnxModels.MaxAbsDiff(RunManaged(graph, x), expected);
            Assert.That(max, Is.LessThanOrEqualTo(1e-6));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
