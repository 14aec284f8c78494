namespace MobileNetAccel.Backends;

/// <summary>What kind of device a backend runs on.</summary>
public enum DeviceKind
{
    Cpu,
    Gpu,
    /// <summary>A GPU API implemented on the CPU (ILGPU's CPU accelerator, Mesa lavapipe).</summary>
    CpuEmulatedGpu,
}

/// <summary>A device a backend can run on.</summary>
/// <param name="Id">Stable id, e.g. "cpu", "ilgpu-cuda:0", "vulkan:0".</param>
/// <param name="Name">Human-readable name (CPU model, GPU name).</param>
/// <param name="Kind">cpu, gpu or cpu-emulated-gpu.</param>
/// <param name="MemoryBytes">Device memory (0 when unknown).</param>
/// <param name="Features">Free-form feature list (ISA, subgroup size, fp16/int8 support ...).</param>
public sealed record DeviceInfo(string Id, string Name, DeviceKind Kind, long MemoryBytes, string Features);
