using MobileNetAccel.Conformance;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>The shared conformance tables (<see cref="BackendConformance"/>) on the Vulkan backend's first device
/// (lavapipe here and in CI). No device: ignored with the loader's reason locally, a failure with CI=true.</summary>
[TestFixture]
public class VulkanConformance : BackendConformance
{
    protected override MobileNetAccel.Backends.IBackend Backend => Instance;
}

/// <summary>The same tables with the inverted-residual block forced onto its unfused-expand path (for devices whose
/// shared memory cannot hold expand_dw's tiles: same results, one more dispatch).</summary>
[TestFixture]
public sealed class VulkanUnfusedExpandConformance : VulkanConformance
{
    protected override MobileNetAccel.Backends.ICompiledPartition Compile(MobileNetAccel.Backends.Partition partition)
    {
        Lowering.ForceUnfusedExpand = true;
        try
        {
            return base.Compile(partition);
        }
        finally
        {
            Lowering.ForceUnfusedExpand = false;
        }
    }
}

/// <summary>Vulkan-specific op tests beyond the shared tables: Dequantize (not a shared op) and several outputs of one
/// partition.</summary>
[TestFixture]
public class OpTests
{
    [TestCase(DataType.UInt8, 0.0078125f, 128L, 3 * 5 * 7 * 3)]
    [TestCase(DataType.Int8, 0.05f, -3L, 1 * 4 * 4 * 17)]   // element count not a multiple of 4: the last word is partial
    [TestCase(DataType.UInt8, 0.02f, 0L, 1)]
    public void Dequantize(DataType type, float scale, long zeroPoint, int count)
    {
        var r = new Random(31);
        var bytes = new byte[count];
        r.NextBytes(bytes);
        var q = new Value("q", new[] { 1, count }, type, new QuantizationParameters(new[] { scale }, new[] { zeroPoint }));
        var y = In("y");
        var node = new DequantizeNode("dq", q, y);
        node.InferShapes();
        using var compiled = Backend.Compile(new MobileNetAccel.Backends.Partition(new Node[] { node }, new[] { q }, new[] { y }), Device, new MobileNetAccel.Backends.CompileOptions());
        using var arena = new HostArena();
        bytes.CopyTo(arena.Span<byte>(q));
        compiled.Run(arena);
        var want = bytes.Select(b => scale * ((type == DataType.Int8 ? (sbyte)b : b) - zeroPoint)).Select(v => (float)v).ToArray();
        AssertClose(arena.Get(y), want, $"dequantize {type} scale {scale} zero point {zeroPoint} x{count}", 0, 1e-6);
    }

    [Test]
    public void ActivationClipAndBatchNorm()
    {
        var x = Random(2 * 3 * 4 * 8, 25, 10f);
        var xv = In("x", 2, 3, 4, 8);
        var r = In("relu6");
        var c = In("clip");
        var bn = In("bn");
        var scale = Random(8, 26);
        var offset = Random(8, 27);
        var mean = Random(8, 28);
        var variance = Random(8, 29).Select(v => v * v + 0.1f).ToArray();
        var nodes = new Node[]
        {
            new ActivationNode("relu6", xv, r, Activation.Relu6),
            new ClipNode("clip", xv, c, -0.5f, 2f),
            new BatchNormNode("bn", xv, Const("s", new[] { 8 }, scale), Const("o", new[] { 8 }, offset), Const("m", new[] { 8 }, mean),
                Const("v", new[] { 8 }, variance), bn, 1e-3f),
        };
        var got = Run(nodes, new[] { (xv, x) }, new[] { r, c, bn });
        AssertClose(got[0], Oracle.Clamp(x, 0, 6), "relu6", 0, 0);
        AssertClose(got[1], Oracle.Clamp(x, -0.5f, 2f), "clip", 0, 0);
        var want = x.Select((v, i) => (float)((v - mean[i % 8]) / Math.Sqrt(variance[i % 8] + 1e-3) * scale[i % 8] + offset[i % 8])).ToArray();
        AssertClose(got[2], want, "batch norm", 1e-5, 1e-5);
    }
}
