using MobileNetAccel.Conformance;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>The segmentation and detection models of the shared data in float on the Vulkan backend's first device
/// (lavapipe here and in CI): DeepLabV3 wholly on the device, SSD's backbone and heads on the device with the NMS
/// post-process on the host (the checks and their acceptance rules: <see cref="ModelChecks"/>).</summary>
[TestFixture]
public class ModelFileTests
{
    [OneTimeSetUp]
    public void Register()
    {
        _ = Backend; // no device: ignored locally, a failure with CI=true
        VulkanBackend.Register();
    }

    [Test]
    public void DeepLabV3_dm05_bird_mask_agrees_with_the_references() => ModelChecks.DeepLabMaskAgrees("vulkan");

    [Test]
    public void Ssd_kite_and_cold_finds_the_reference_detections() => ModelChecks.DetectorFindsTheReferenceDetections("vulkan", "kite_and_cold.jpg");
}
