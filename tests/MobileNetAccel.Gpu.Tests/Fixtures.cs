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
        Kernels.Gpu.IlgpuCompiledPartition.CompileWithGpuGeometryOnCpu(partition);
}
