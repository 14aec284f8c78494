using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends;

/// <summary>The host CPU as a device ("cpu"): the device of the native and the managed reference backends, probed
/// once (model name, ISA and kernel table, cores, caches, memory).</summary>
public static class HostCpuDevice
{
    private static readonly Lazy<DeviceInfo> Lazy = new(Probe);

    /// <summary>The host CPU device.</summary>
    public static DeviceInfo Info => Lazy.Value;

    /// <summary>The float kernel table the native library chose at init ("Avx512", "Avx2", "Neon", "Scalar" ...).</summary>
    public static string FloatKernels => NativeKernels.CurrentIsa.ToString();

    /// <summary>The integer kernel table the native library chose at init.</summary>
    public static string IntegerKernels => NativeQ8Kernels.Name(NativeQ8Kernels.Current);

    /// <summary>Measures one core's FMA peak in GFLOP/s (independent FMA chains on the widest vector, see FmaProbe; takes about a
    /// second). What "% of peak" in `mobilenet bench --profile` and the benchmarks refers to.</summary>
    public static double MeasureFmaPeakGflopsPerCore() => FmaProbe.MeasureGflops();

    /// <summary>The CPU features the native library probed (e.g. "avx2 fma avx512f avx512vnni").</summary>
    public static string CpuFeatures => NativeKernels.CpuFeatures;

    private static DeviceInfo Probe()
    {
        var caches = CpuInfo.Caches.Count == 0 ? "caches unknown" : string.Join(", ", CpuInfo.Caches);
        string features = $"{NativeKernels.CpuFeatures}; kernels {NativeKernels.CurrentIsa}; {CpuInfo.PhysicalCores} cores ({CpuInfo.LogicalCores} logical); {caches}";
        return new DeviceInfo("cpu", CpuInfo.ModelName, DeviceKind.Cpu, CpuInfo.MemoryBytes, features);
    }
}
