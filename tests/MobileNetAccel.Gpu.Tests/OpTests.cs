using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>
/// ILGPU-specific tests: a multi-node chain in one partition, the kernel cache, refusals with a reason, a missing
/// device. The per-operator tables (shapes, strides, paddings, channel counts, batch) are the shared conformance
/// fixture (<see cref="Conformance.BackendConformance"/>, subclassed in Fixtures.cs).
/// </summary>
public abstract class OpTests : GpuFixture
{
    [Test]
    public void ActivationClipBatchNormPadReshape()
    {
        var r = Rng(9);
        int n = 2, h = 3, w = 4, c = 5;
        var x = RandomFloats(r, n * h * w * c, 8f);
        var scale = RandomFloats(r, c);
        var offset = RandomFloats(r, c);
        var mean = RandomFloats(r, c);
        var variance = RandomFloats(r, c).Select(v => Math.Abs(v) + 0.1f).ToArray();
        var g = new ModelGraph("chain");
        var xin = new Value("x", new[] { n, h, w, c });
        var a1 = new Value("relu6", Array.Empty<int>());
        var a2 = new Value("clip", Array.Empty<int>());
        var a3 = new Value("bn", Array.Empty<int>());
        var a4 = new Value("pad", Array.Empty<int>());
        var y = new Value("y", Array.Empty<int>());
        g.Inputs.Add(xin);
        g.Outputs.Add(y);
        g.Add(new ActivationNode("act", xin, a1, Activation.Relu6));
        g.Add(new ClipNode("clip", a1, a2, 0.5f, 4f));
        g.Add(new BatchNormNode("bn", a2, Value.Constant("s", new[] { c }, scale), Value.Constant("o", new[] { c }, offset),
            Value.Constant("m", new[] { c }, mean), Value.Constant("v", new[] { c }, variance), a3, 1e-3f));
        g.Add(new PadNode("pad", a3, a4, new[] { 0, 1, 0, 2 }, new[] { 0, 0, 2, 1 }, -1f));
        g.Add(new ReshapeNode("flatten", a4, y, new[] { n, -1 }));
        var got = Run(g, x);

        int ph = h + 1, pw = w + 2, pc = c + 3;
        var want = new float[n * ph * pw * pc];
        for (int b = 0; b < n; b++)
            for (int yy = 0; yy < ph; yy++)
                for (int xx = 0; xx < pw; xx++)
                    for (int ch = 0; ch < pc; ch++)
                    {
                        int iy = yy - 1, ix = xx, ic = ch - 2;
                        float v = -1f;
                        if (iy >= 0 && iy < h && ix < w && ic >= 0 && ic < c)
                        {
                            double t = Math.Clamp(Math.Clamp(x[((b * h + iy) * w + ix) * c + ic], 0, 6), 0.5, 4);
                            t = (t - mean[ic]) / Math.Sqrt(variance[ic] + 1e-3) * scale[ic] + offset[ic];
                            v = (float)t;
                        }
                        want[((b * ph + yy) * pw + xx) * pc + ch] = v;
                    }
        Assert.That(y.Shape, Is.EqualTo(new[] { n, ph * pw * pc }));
        AssertClose(got, want, 1e-5, 1e-5, "relu6 → clip → batch norm → pad → reshape");
    }

    [Test]
    public void KernelsAreLoadedOncePerAccelerator()
    {
        var g = SmallNetwork.Build(1, 8);
        g.Validate();
        var partition = new Backends.Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        Backend.Compile(partition, Device, new Backends.CompileOptions()).Dispose();
        int loads = KernelSetProbe.Loads;
        using var compiled = (IlgpuCompiledPartition)Backend.Compile(partition, Device, new Backends.CompileOptions());
        Assert.That(KernelSetProbe.Loads, Is.EqualTo(loads), "a second compile on the same device must reuse the loaded kernels");
        Assert.That(compiled.Timings.FirstRunMs, Is.GreaterThan(0));
        TestContext.Out.WriteLine($"{Device.Id}: {compiled.Timings}, {compiled.LaunchesPerRun} launches/run, weights {compiled.WeightBytes} B, activations {compiled.ActivationBytes} B");
    }

    [Test]
    public void UnsupportedNodesAreRefusedWithAReason()
    {
        var a = new Value("a", new[] { 2, 3 });
        var b = new Value("b", new[] { 3 });
        var y = new Value("y", new[] { 2, 3 });
        var add = new AddNode("bcast", a, b, y);
        Assert.That(Backend.Supports(add, out var why), Is.False);
        Assert.That(why, Does.Contain("broadcast"));
        var q = new Value("q", new[] { 1, 4 }, DataType.UInt8);
        var deq = new DequantizeNode("deq", q, new Value("f", new[] { 1, 4 }));
        Assert.That(Backend.Supports(deq, out why), Is.False);
        Assert.That(why, Does.Contain("UInt8"));
    }

    [Test]
    public void AMissingDeviceIsAClearErrorListingThePresentOnes()
    {
        var bogus = new Backends.DeviceInfo(BackendName + ":99", "nothing", Backends.DeviceKind.Gpu, 0, "");
        var g = SmallNetwork.Build(1, 8);
        g.Validate();
        var partition = new Backends.Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        var e = Assert.Throws<InvalidOperationException>(() => Backend.Compile(partition, bogus, new Backends.CompileOptions()))!;
        Assert.That(e.Message, Does.Contain(BackendName + ":99").And.Contain(Device.Id));
    }
}

/// <summary>Exposes the kernel-cache counter to the tests.</summary>
internal static class KernelSetProbe
{
    public static int Loads => KernelSet.Loads;
}
