using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using MobileNetAccel.Ilgpu;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>
/// Backend selection with the real ILGPU backends registered: "auto" calibrates ILGPU's CPU accelerator (a
/// CPU-emulated GPU) against the native CPU backend on MobileNetV2's real shapes and must not pick it unless it
/// measured faster (it is tens of times slower here); an explicit ilgpu-cpu session reports its two transfers.
/// </summary>
public class SelectionTests
{
    private static readonly Model V2 = Model.Zoo.MobileNetV2(0.35, 64);

    [OneTimeSetUp]
    public void Register() => IlgpuBackend.Register();

    [Test]
    public void AutoKeepsTheCpuAcceleratorOffTheNativeCpuUnlessItIsFaster()
    {
        var devices = DeviceCatalog.All();
        var emulated = devices.Single(d => d.Device.Id == "ilgpu-cpu:0");
        Assert.That(emulated.KindName, Is.EqualTo("cpu-emulated-gpu"));
        Assert.That(emulated.Backends, Does.Contain("ilgpu-cpu"));

        using var s = new InferenceSession(V2, new SessionOptions { Backend = "auto", Threads = 1, CalibrationCache = false });
        var text = s.Placement.ToString();
        Assert.That(s.Placement.Reasons.Any(r => r.Contains("ilgpu-cpu/ilgpu-cpu:0 rejected", StringComparison.Ordinal)
                                                 || r.Contains("chose ilgpu-cpu", StringComparison.Ordinal)), Is.True, "the CPU accelerator was calibrated: " + text);
        foreach (var part in s.Placement.Partitions.Where(p => p.Device == "ilgpu-cpu:0"))
            Assert.That(s.Placement.Reasons, Has.Some.Contains("chose ilgpu-cpu").And.Some.Contains("cpu rejected"), text);
        // On this kind of machine the CPU accelerator is far slower: the native CPU must win every calibrated segment.
        Assert.That(s.Placement.All(n => n.Backend == NativeCpuBackend.BackendName) ||
                    s.Placement.Reasons.Any(r => r.Contains("chose ilgpu-cpu", StringComparison.Ordinal)), Is.True, text);
    }

    [Test]
    public void ExplicitIlgpuCpuReportsItsTransfersAndMatchesTheCpu()
    {
        using var gpu = new InferenceSession(V2, new SessionOptions { Backend = "ilgpu-cpu", Strict = true, Threads = 1 });
        Assert.That(gpu.Placement.All(n => n.Device == "ilgpu-cpu:0"), Is.True);
        Assert.That(gpu.Placement.Transfers, Has.Count.EqualTo(2), "input up, output down");
        using var cpu = new InferenceSession(V2, new SessionOptions { Backend = "cpu", Threads = 1 });
        var input = new float[cpu.Inputs[0].ElementCount];
        var rng = new Random(5);
        for (int i = 0; i < input.Length; i++)
            input[i] = (float)(rng.NextDouble() * 2 - 1);
        var a = cpu.Run(input);
        var b = gpu.Run(input);
        // Softmax outputs; the network tests of this project bound ILGPU vs reference far tighter per op.
        for (int i = 0; i < a.Length; i++)
            Assert.That(b[i], Is.EqualTo(a[i]).Within(2e-5 + 1e-3 * Math.Abs(a[i])), $"output {i}");
    }
}
