using MobileNetAccel.Backends;
using MobileNetAccel.Conformance;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>
/// Base of every ILGPU test fixture: picks the backend named by the subclass and its first device. When that device
/// type is absent (a CUDA fixture on a machine without an NVIDIA GPU — CI has none) the whole fixture is reported
/// as ignored (skipped) with the list of devices that are present; that is a legitimate skip even with CI=true.
/// The CPU-accelerator subclass always has its device.
/// </summary>
public abstract class GpuFixture
{
    protected abstract string BackendName { get; }

    protected IlgpuBackend Backend { get; private set; } = null!;
    protected DeviceInfo Device { get; private set; } = null!;

    [OneTimeSetUp]
    public void FindDevice()
    {
        IlgpuBackend.Register();
        Backend = IlgpuBackend.Get(BackendName);
        if (Backend.Devices.Count == 0)
            Assert.Ignore($"backend '{BackendName}' has no device on this machine (expected where there is no such GPU, e.g. CI, which has none); " +
                $"ILGPU devices present: {IlgpuBackend.DescribeDevices()}");
        Device = Backend.Devices[0];
    }

    protected static Random Rng(int seed) => new(seed);

    protected static float[] RandomFloats(Random r, int n, float scale = 1f)
    {
        var a = new float[n];
        for (int i = 0; i < n; i++)
            a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Compiles every node of the (validated) graph as one partition and runs it on the input.</summary>
    protected float[] Run(ModelGraph g, float[] input) => Run(g, new[] { input })[0];

    protected float[][] Run(ModelGraph g, float[][] inputs)
    {
        g.Validate();
        foreach (var n in g.Nodes)
            Assert.That(Backend.Supports(n, out var why), Is.True, $"{n}: {why}");
        var partition = new Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        using var compiled = Compile(partition);
        using var arena = new HostArena(g);
        for (int i = 0; i < inputs.Length; i++)
            inputs[i].CopyTo(arena.Span<float>(g.Inputs[i]));
        compiled.Run(arena);
        return g.Outputs.Select(o => arena.Span<float>(o).ToArray()).ToArray();
    }

    /// <summary>Compiles a partition for this fixture's device.</summary>
    protected virtual ICompiledPartition Compile(Partition partition) => Backend.Compile(partition, Device, new CompileOptions());

    /// <summary>|got - want| ≤ abs + rel·|want| everywhere; the message names the first offending index.</summary>
    protected static void AssertClose(float[] got, float[] want, double abs, double rel, string what)
    {
        Assert.That(got, Has.Length.EqualTo(want.Length), what);
        double worst = 0;
        int worstAt = -1;
        for (int i = 0; i < want.Length; i++)
        {
            double d = Math.Abs((double)got[i] - want[i]);
            double excess = d - (abs + rel * Math.Abs(want[i]));
            if (double.IsNaN(d) || excess > worst)
            {
                worst = double.IsNaN(d) ? double.PositiveInfinity : excess;
                worstAt = i;
            }
        }
        if (worstAt >= 0)
            Assert.Fail($"{what}: at [{worstAt}] got {got[worstAt]}, want {want[worstAt]} (tolerance {abs} + {rel}·|want|)");
    }
}
