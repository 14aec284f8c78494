using MobileNetAccel.Conformance;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>The segmentation and detection models of the shared data in float on ILGPU's CPU accelerator: DeepLabV3
/// wholly on the device, SSD's backbone and heads on the device with the NMS post-process on the host (the checks
/// and their acceptance rules: <see cref="ModelChecks"/>).</summary>
[TestFixture]
public sealed class CpuAcceleratorModelFileTests : GpuFixture
{
    protected override string BackendName => "ilgpu-cpu";

    [Test]
    public void DeepLabV3_dm05_bird_mask_agrees_with_the_references() => ModelChecks.DeepLabMaskAgrees(BackendName);

    [Test]
    public void Ssd_kite_and_cold_finds_the_reference_detections() => ModelChecks.DetectorFindsTheReferenceDetections(BackendName, "kite_and_cold.jpg");
}
