using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends;

/// <summary>The host CPU as a device ("cpu"): the device of the native and the managed reference backends, probed
/// once (model name, ISA and kernel table, cores, caches, memory).</summary>
public static class HostCpuDevice
{
    private static readonly Lazy<DeviceInfo> Lazy = new(Probe);

    /// <summary>The host CPU device.</summary>
    public static DeviceInfo Info => Lazy.Value;

    private static DeviceInfo Probe()
    {
        var caches = CpuInfo.Caches.Count == 0 ? "caches unknown" : string.Join(", ", CpuInfo.Caches);
        string features = $"{NativeKernels.CpuFeatures}; kernels {NativeKernels.CurrentIsa}; {CpuInfo.PhysicalCores} cores ({CpuInfo.LogicalCores} logical); {caches}";
        return new DeviceInfo("cpu", CpuInfo.ModelName, DeviceKind.Cpu, CpuInfo.MemoryBytes, features);
    }
}
