using MobileNetAccel.Backends;
using MobileNetAccel.Conformance;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// One Vulkan backend for the whole test assembly (pipelines are cached per device, so later tests reuse them).
/// No device: the test is ignored with the reason locally, and fails when CI=true (CI installs lavapipe).
/// </summary>
internal static class Vulkan
{
    private static readonly Lazy<VulkanBackend> Shared = new(() => new VulkanBackend());

    /// <summary>The shared backend, device or not (the conformance fixture decides the skip itself).</summary>
    public static VulkanBackend Instance => Shared.Value;

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    public static VulkanBackend Backend
    {
        get
        {
            var b = Shared.Value;
            if (b.Devices.Count == 0)
            {
                if (IsCi)
                    Assert.Fail($"CI=true but {b.UnavailableReason} (CI installs mesa-vulkan-drivers: lavapipe)");
                Assert.Ignore(b.UnavailableReason);
            }
            return b;
        }
    }

    public static DeviceInfo Device => Backend.Devices[0];

    /// <summary>Deterministic values in [-1, 1).</summary>
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
            a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    /// <summary>Compiles the nodes as one partition, runs it once, returns the outputs.</summary>
    public static float[][] Run(IReadOnlyList<Node> nodes, IReadOnlyList<(Value Value, float[] Data)> inputs, IReadOnlyList<Value> outputs)
    {
        foreach (var n in nodes)
            n.InferShapes();
        var partition = new Partition(nodes, inputs.Select(i => i.Value).ToList(), outputs);
        using var compiled = Backend.Compile(partition, Device, new CompileOptions());
        using var arena = new HostArena();
        foreach (var (v, d) in inputs)
            arena.Set(v, d);
        compiled.Run(arena);
        return outputs.Select(arena.Get).ToArray();
    }

    /// <summary>
    /// |got - want| ≤ abs + rel·|want| element-wise; on failure, the message names the case, the first bad index and the
    /// worst error, so a table-driven test says which shape broke.
    /// </summary>
    public static void AssertClose(float[] got, float[] want, string what, double abs = 1e-4, double rel = 1e-4)
    {
        Assert.That(got.Length, Is.EqualTo(want.Length), $"{what}: length");
        double worst = 0;
        int worstAt = -1, bad = 0, firstBad = -1;
        for (int i = 0; i < got.Length; i++)
        {
            double err = Math.Abs((double)got[i] - want[i]);
            if (!(err <= abs + rel * Math.Abs(want[i])))
            {
                bad++;
                if (firstBad < 0)
                    firstBad = i;
            }
            if (!(err <= worst))
            {
                worst = err;
                worstAt = i;
            }
        }
        if (bad > 0)
            Assert.Fail($"{what}: {bad}/{got.Length} elements out of tolerance (abs {abs}, rel {rel}); first at {firstBad}: got {got[firstBad]}, want {want[firstBad]}; worst |Δ| {worst} at {worstAt}");
    }

    public static Value In(string name, params int[] shape) => new(name, shape);
    public static Value Const(string name, int[] shape, float[] data) => Value.Constant(name, shape, data);
}
