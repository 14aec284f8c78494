using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;
using MobileNetAccel.Conformance;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using MobileNetAccel.Tests.Onnx;
using NUnit.Framework;
using B = MobileNetAccel.Tests.TFLite.TfliteModelBuilder;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// TFLite's ARG_MIN (builtin 79, ArgMinOptions 57) read from files built here and run on the CPU backends (native cpu
/// and the managed reference; ILGPU and Vulkan run the conformance suite's ArgMin cases): against hand-worked indices
/// (the first minimum wins), against ONNX Runtime's ArgMin (keepdims 0, select_last_index 0) on every axis of random
/// data with ties, and bad files rejected naming the operator. Indices are integers: equal, no tolerance.
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ArgMinOperatorTests
{
    private static readonly IBackend Reference = new ReferenceBackend();
    private static readonly IBackend Cpu = new NativeCpuBackend();
    private static IEnumerable<IBackend> Backends => new[] { Cpu, Reference };

    private static byte[] File(int[] shape, int axis, int inType, int outType, int declared)
    {
        var m = new B();
        var q = inType == B.Float32 ? null : new[] { 0.1f };
        var x = m.Tensor("x", shape, inType, scales: q, zeroPoints: q is null ? null : new[] { inType == B.UInt8 ? 128L : 0L });
        var axisT = m.Int32Tensor("axis", new[] { 1 }, new[] { axis });
        int ax = axis < 0 ? axis + shape.Length : axis;
        var y = m.Tensor("y", shape.Where((_, i) => i != ax).ToArray(), outType);
        m.Op(79, new[] { x, axisT }, new[] { y }, 57, B.ArgMax(declared), version: 2);
        return m.Build(new[] { x }, new[] { y });
    }

    /// <summary>Reads the file, checks the node, runs it on <paramref name="backend"/> with <paramref name="fill"/>.</summary>
    private static long[] Run(IBackend backend, byte[] file, Action<HostArena, Value> fill)
    {
        var g = TfliteReader.Read(file, "argmin.tflite");
        g.Validate();
        var n = (ArgMaxNode)g.Nodes.Single(); // ARG_MIN is the arg node with Min set
        Assert.That(n.Min, Is.True);
        Assert.That(backend.Supports(n, out var why), Is.True, $"{backend.Name} refuses ARG_MIN: {why}");
        using var compiled = backend.Compile(new Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList()), HostCpuDevice.Info, new CompileOptions());
        using var arena = new HostArena(g);
        fill(arena, g.Inputs[0]);
        compiled.Run(arena);
        var y = g.Outputs[0];
        return y.DataType == DataType.Int64 ? arena.Span<long>(y).ToArray() : Array.ConvertAll(arena.Span<int>(y).ToArray(), v => (long)v);
    }

    private static Action<HostArena, Value> Floats(float[] x) => (a, v) => x.CopyTo(a.Span<float>(v));

    [TestCase(B.Int64, 0)]
    [TestCase(B.Int32, B.Int32)]
    [TestCase(B.Int64, B.Int64)]
    public void HandWorked_FirstMinimumWins(int outType, int declared)
    {
        // [2][3]: rows {3, 1, 1} and {-2, 4, -2}: along axis 1 → 1, 0 (ties: lowest index); along axis 0 → 1, 0, 1
        float[] x = { 3, 1, 1, -2, 4, -2 };
        byte[] u = { 200, 7, 100, 7 };        // uint8 compared as integers: 7 at 1 and 3 → 1
        byte[] s = { 4, 0xFD, 127, 0x80, 0x80 }; // int8 4, -3, 127, -128, -128 → 3
        foreach (var b in Backends)
        {
            Assert.That(Run(b, File(new[] { 2, 3 }, 1, B.Float32, outType, declared), Floats(x)), Is.EqualTo(new long[] { 1, 0 }), b.Name);
            Assert.That(Run(b, File(new[] { 2, 3 }, -1, B.Float32, outType, declared), Floats(x)), Is.EqualTo(new long[] { 1, 0 }), b.Name);
            Assert.That(Run(b, File(new[] { 2, 3 }, 0, B.Float32, outType, declared), Floats(x)), Is.EqualTo(new long[] { 1, 0, 1 }), b.Name);
            Assert.That(Run(b, File(new[] { 1, 4 }, 1, B.UInt8, outType, declared), (a, v) => u.CopyTo(a.Span<byte>(v))), Is.EqualTo(new long[] { 1 }), b.Name);
            Assert.That(Run(b, File(new[] { 5 }, 0, B.Int8, outType, declared), (a, v) => s.CopyTo(a.Span<byte>(v))), Is.EqualTo(new long[] { 3 }), b.Name);
        }
    }

    /// <summary>NaN: every backend follows TFLite's rule — an element replaces the best so far only when it compares
    /// strictly less, so a NaN never replaces the best and a NaN first element is the answer; -0 equals +0. The innermost
    /// axis (the native kernel: scalar below 8 channels, AVX2 from 8: rows of 3, 9 and 12) and axis 0 (the managed
    /// loop).</summary>
    [Test]
    public void NaN_follows_TFLites_rule_on_every_backend()
    {
        float[] x = { 2, float.NaN, -7, float.NaN, 9, 1, 5, -0f, 0f, -0f, 3, 4 };
        var file = File(new[] { 4, 3 }, 1, B.Float32, B.Int64, 0);
        foreach (var b in new[] { Reference, Cpu })
            Assert.That(Run(b, file, Floats(x)), Is.EqualTo(new long[] { 2, 0, 1, 0 }), b.Name);
        float[] wide = { 2, float.NaN, -7, 8, float.NaN, -9, 1, 1, -9, 3, 4, 5, float.NaN, -1, -2, 0, -0f, -5, -5, 6, 7, 8, 9, 9 };
        var rows = File(new[] { 2, 12 }, 1, B.Float32, B.Int64, 0);
        foreach (var b in new[] { Reference, Cpu })
            Assert.That(Run(b, rows, Floats(wide)), Is.EqualTo(new long[] { 5, 0 }), b.Name);
        var nine = File(new[] { 1, 9 }, 1, B.Float32, B.Int64, 0);
        foreach (var b in new[] { Reference, Cpu })
            Assert.That(Run(b, nine, Floats(wide[..9])), Is.EqualTo(new long[] { 5 }), b.Name);
        var columns = File(new[] { 3, 2 }, 0, B.Float32, B.Int64, 0); // columns [2, NaN, -7] and [NaN, 1, 0]
        foreach (var b in new[] { Reference, Cpu })
            Assert.That(Run(b, columns, Floats(new[] { 2, float.NaN, float.NaN, 1, -7, 0 })), Is.EqualTo(new long[] { 2, 0 }), b.Name);
    }


    [Test]
    public void Every_axis_matches_OnnxRuntime_ArgMin()
    {
        int[] shape = { 2, 5, 6, 21 };
        var x = TestGraphs.Random(shape.Aggregate(1, (a, b) => a * b), 41).Select(v => MathF.Round(v * 2)).ToArray(); // ties
        for (int axis = 0; axis < 4; axis++)
        {
            var outDims = shape.Where((_, i) => i != axis).Select(d => (long)d).ToArray();
            var onnx = new OnnxBuilder(13).Input("x", shape.Select(d => (long)d).ToArray()).TypedOutput("y", 7, outDims)
                .Node("ArgMin", ["x"], ["y"], "am", ("axis", (long)axis), ("keepdims", 0L), ("select_last_index", 0L));
            long[] want = OrtOracle.RunInt64(OrtOracle.SaveModel("argmin", $"argmin{axis}", onnx.Build()), "x", shape.Select(d => (long)d).ToArray(), x);
            foreach (var b in Backends)
                foreach (int outType in new[] { B.Int64, B.Int32 })
                    Assert.That(Run(b, File(shape, axis, B.Float32, outType, outType), Floats(x)), Is.EqualTo(want), $"{b.Name} axis {axis}");
        }
    }

    [Test]
    public void Bad_files_name_ARG_MIN()
    {
        Assert.That(() => TfliteReader.Read(File(new[] { 2, 3 }, 1, B.Float32, B.Float32, 0), "bad.tflite"),
            Throws.InstanceOf<ModelFormatException>().With.Message.Contains("ARG_MIN").And.Message.Contains("INT32 or INT64"));
        Assert.That(() => TfliteReader.Read(File(new[] { 2, 3 }, 1, B.Float32, B.Int64, B.Int32), "bad.tflite"),
            Throws.InstanceOf<ModelFormatException>().With.Message.Contains("ARG_MIN").And.Message.Contains("output_type"));
        Assert.That(() => TfliteReader.Read(File(new[] { 2, 3 }, 2, B.Float32, B.Int64, 0), "bad.tflite"),
            Throws.InstanceOf<Exception>().With.Message.Contains("axis 2"));
    }
}
