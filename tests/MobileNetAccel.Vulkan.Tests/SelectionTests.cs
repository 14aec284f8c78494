using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// Backend selection with the Vulkan backend registered. Here the device is lavapipe (a CPU-emulated GPU): "auto"
/// must calibrate it against the native CPU backend on MobileNetV2's real shapes and only choose it when it measured
/// faster; an explicit vulkan session reports the upload of the input and the download of the output.
/// </summary>
public class SelectionTests
{
    private static readonly Model V2 = Model.Zoo.MobileNetV2(0.35, 64);

    [OneTimeSetUp]
    public void RegisterVulkan()
    {
        _ = Backend; // ignored (or failed when CI=true) without a Vulkan device
        VulkanBackend.Register();
    }

    [Test]
    public void AutoChoosesAnEmulatedVulkanDeviceOnlyWhenItMeasuredFaster()
    {
        var vk = DeviceCatalog.All().Where(d => d.Device.Id.StartsWith("vulkan:", StringComparison.Ordinal)).ToList();
        Assert.That(vk, Is.Not.Empty);
        Assert.That(vk[0].Backends, Does.Contain("vulkan"));

        using var s = new InferenceSession(V2, new SessionOptions { Backend = "auto", Threads = 1, CalibrationCache = false });
        var text = s.Placement.ToString();
        foreach (var d in vk.Where(d => d.Device.Kind == DeviceKind.CpuEmulatedGpu))
        {
            Assert.That(s.Placement.Reasons.Any(r => r.Contains($"{d.Device.Id} rejected", StringComparison.Ordinal)
                                                     || r.Contains($"chose {d.Device.Id}", StringComparison.Ordinal)), Is.True,
                $"{d.Device.Id} was calibrated: {text}");
            if (s.Placement.Any(n => n.Device == d.Device.Id))
                Assert.That(s.Placement.Reasons, Has.Some.Contains($"chose {d.Device.Id}").And.Some.Contains("cpu rejected"), text);
        }
        if (vk.All(d => d.Device.Kind == DeviceKind.CpuEmulatedGpu) && s.Placement.All(n => n.Backend == NativeCpuBackend.BackendName))
            Assert.That(s.Placement.Transfers, Is.Empty);
    }

    [Test]
    public void ExplicitVulkanReportsItsTransfers()
    {
        using var s = new InferenceSession(V2, new SessionOptions { Backend = "vulkan", Strict = true, Threads = 1 });
        Assert.That(s.Placement.All(n => n.Backend == "vulkan"), Is.True);
        Assert.That(s.Placement.Transfers, Has.Count.EqualTo(2), "input up, output down");
        Assert.That(s.Placement.Transfers[0].From, Is.EqualTo("cpu"));
    }
}
