using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>ILGPU's CPU accelerator: always present, runs in CI.</summary>
[TestFixture]
public sealed class CpuAcceleratorOpTests : OpTests
{
    protected override string BackendName => "ilgpu-cpu";
}

/// <summary>CUDA: runs where an NVIDIA GPU and driver are present; reported as skipped elsewhere (CI has no GPU).</summary>
[TestFixture]
public sealed class CudaOpTests : OpTests
{
    protected override string BackendName => "ilgpu-cuda";
}
