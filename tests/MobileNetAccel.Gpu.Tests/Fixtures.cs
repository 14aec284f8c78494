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

/// <summary>The CPU accelerator compiled with the GPU geometry (8x8-thread GEMM groups, 32x32 tiles, 64-thread
/// inverted-residual and softmax groups): the exact kernels a GPU runs, checked where no GPU is.</summary>
[TestFixture]
public sealed class CpuAcceleratorGpuGeometryOpTests : OpTests
{
    protected override string BackendName => "ilgpu-cpu";

    protected override Backends.ICompiledPartition Compile(Backends.Partition partition) =>
        Ilgpu.IlgpuCompiledPartition.CompileWithGpuGeometryOnCpu(partition);
}

/// <summary>The shared backend conformance tables on an ILGPU backend (<see cref="IlgpuConformance.BackendName"/>).
/// No device: ignored with the ILGPU devices present (fails with CI=true unless <see cref="MissingDeviceFailsInCi"/>
/// is false, as for CUDA, which CI has not).</summary>
public abstract class IlgpuConformance : Conformance.BackendConformance
{
    protected abstract string BackendName { get; }

    protected override Backends.IBackend Backend
    {
        get
        {
            Ilgpu.IlgpuBackend.Register();
            return Ilgpu.IlgpuBackend.Get(BackendName);
        }
    }

    protected override string? SkipReason => Backend.Devices.Count == 0
        ? $"backend '{BackendName}' has no device on this machine (expected where there is no such GPU, e.g. CI, which has none); " +
          $"ILGPU devices present: {Ilgpu.IlgpuBackend.DescribeDevices()}"
        : null;
}

/// <summary>ILGPU's CPU accelerator: always present, runs in CI.</summary>
[TestFixture]
public sealed class CpuAcceleratorConformance : IlgpuConformance
{
    protected override string BackendName => "ilgpu-cpu";
}

/// <summary>The CPU accelerator with the GPU geometry (see <see cref="CpuAcceleratorGpuGeometryOpTests"/>).</summary>
[TestFixture]
public sealed class CpuAcceleratorGpuGeometryConformance : IlgpuConformance
{
    protected override string BackendName => "ilgpu-cpu";

    protected override Backends.ICompiledPartition Compile(Backends.Partition partition) =>
        Ilgpu.IlgpuCompiledPartition.CompileWithGpuGeometryOnCpu(partition);
}

/// <summary>CUDA: runs where an NVIDIA GPU and driver are present; reported as skipped elsewhere, CI included.</summary>
[TestFixture]
public sealed class CudaConformance : IlgpuConformance
{
    protected override string BackendName => "ilgpu-cuda";

    protected override bool MissingDeviceFailsInCi => false;
}
