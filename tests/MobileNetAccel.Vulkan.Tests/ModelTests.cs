using System.Diagnostics;
using MobileNetAccel.Models;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// Whole MobileNets from the zoo on the Vulkan backend against the managed (C#) reference backend, through the
/// public session API. Tolerance on the 1001 softmax probabilities: |Δ| ≤ 1e-5 + 1e-3·p. The backends sum in different
/// orders in float32 over ~50 layers; measured on lavapipe the worst |Δp| is 1.3e-8 (V1 0.25/128) to 3.8e-6
/// (V2 0.35/96, batch 8), 1.4e-6 for V2 1.0/224 — under the bound, while a wrong tap, channel or batch index moves
/// probabilities by O(p) (the per-op tables catch those with far tighter bounds).
/// </summary>
[TestFixture]
public class ModelTests
{
    [OneTimeSetUp]
    public void RegisterVulkan()
    {
        _ = Backend; // ignored (or failed under CI=true) without a Vulkan device
        VulkanBackend.Register();
    }

    [TestCase(Architecture.MobileNetV1, 0.25, 128, 1, true)]
    [TestCase(Architecture.MobileNetV1, 0.25, 128, 8, true)]
    [TestCase(Architecture.MobileNetV2, 0.35, 96, 1, true)]
    [TestCase(Architecture.MobileNetV2, 0.35, 96, 8, true)]
    [TestCase(Architecture.MobileNetV2, 0.35, 96, 1, false)]   // no passes: batch norm, standalone activations
    [TestCase(Architecture.MobileNetV2, 1.0, 224, 1, true)]
    public void MatchesManagedBackend(Architecture arch, double alpha, int resolution, int batch, bool optimize)
    {
        var model = Model.Zoo.Build(arch, alpha, resolution).WithBatch(batch);
        using var vulkan = new InferenceSession(model, new SessionOptions { Backend = "vulkan", Optimize = optimize });
        using var managed = new InferenceSession(model, new SessionOptions { Backend = "managed", Optimize = optimize, Threads = 1 });
        Assert.That(vulkan.Placement.All(p => p.Backend == "vulkan"), "every node runs on Vulkan");
        var input = Random((int)vulkan.Inputs[0].ElementCount, 7);
        var sw = Stopwatch.StartNew();
        var got = vulkan.Run(input);
        var tv = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        var want = managed.Run(input);
        var tm = sw.Elapsed.TotalMilliseconds;
        double worst = got.Select((v, i) => Math.Abs((double)v - want[i])).Max();
        TestContext.Out.WriteLine($"{arch} {alpha}/{resolution} batch {batch} optimize {optimize}: worst |Δp| {worst:G3}; first run vulkan {tv:F0} ms, managed {tm:F0} ms");
        AssertClose(got, want, $"{arch} {alpha}/{resolution} batch {batch}", abs: 1e-5, rel: 1e-3);
        // A second run replays the same command buffer.
        AssertClose(vulkan.Run(input), got, "second run", 0, 0);
    }

    [Test]
    public void DeviceByIndexThroughTheSessionApi()
    {
        var model = Model.Zoo.Build(Architecture.MobileNetV1, 0.25, 128);
        string id = Device.Id; // "vulkan:<index>" is also a backend name
        using var one = new InferenceSession(model, new SessionOptions { Backend = id });
        using var best = new InferenceSession(model, new SessionOptions { Backend = "vulkan" });
        Assert.That(one.Placement.All(p => p.Backend == id && p.Device == id));
        var input = Random((int)one.Inputs[0].ElementCount, 9);
        Assert.That(one.Run(input), Is.EqualTo(best.Run(input)), "same device, same shaders: identical results");
    }
}
