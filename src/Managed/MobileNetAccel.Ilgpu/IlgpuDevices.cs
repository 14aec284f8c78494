using ILGPU;
using ILGPU.Runtime;
using ILGPU.Runtime.CPU;
using ILGPU.Runtime.Cuda;
using ILGPU.Runtime.OpenCL;
using MobileNetAccel.Backends;

namespace MobileNetAccel.Ilgpu;

/// <summary>Which ILGPU accelerator family a backend uses.</summary>
public enum IlgpuDeviceType
{
    Cuda,
    OpenCL,
    Cpu,
}

/// <summary>
/// The process-wide ILGPU context, its devices and one accelerator per device (created on first use and kept for the
/// life of the process, so kernels are compiled once per device).
/// </summary>
internal static class IlgpuDevices
{
    private static readonly object Gate = new();
    private static Context? _context;
    private static List<(DeviceInfo Info, Device Device, IlgpuDeviceType Type)>? _devices;
    private static readonly Dictionary<string, Accelerator> Accelerators = new(StringComparer.Ordinal);

    /// <summary>
    /// The simulated CPU device: groups of up to 4 threads, 2 groups at once. ILGPU's CPU accelerator runs each
    /// group thread on an OS thread and a barrier costs a round of context switches, so partitions compiled for it
    /// use small groups and grid-stride loops (see <see cref="IlgpuCompiledPartition"/>).
    /// </summary>
    private static readonly CPUDevice CpuDevice = MakeCpuDevice();
    private static CPUAcceleratorMode CpuMode = CPUAcceleratorMode.Parallel;

    private static CPUDevice MakeCpuDevice()
    {
        var e = Environment.GetEnvironmentVariable("MNA_ILGPU_CPU");
        if (string.IsNullOrEmpty(e))
            return new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 1, numMultiprocessors: 2);
        var p = e.Split(',');
        CpuMode = Enum.Parse<CPUAcceleratorMode>(p[3]);
        return new CPUDevice(int.Parse(p[0]), int.Parse(p[1]), int.Parse(p[2]));
    }

    public static Context Context
    {
        get
        {
            lock (Gate)
            {
                if (_context is null)
                {
                    _context = Context.Create(b => b.Cuda().OpenCL().CPU(CpuDevice).Optimize(OptimizationLevel.O2).Math(MathMode.Fast32BitOnly).EnableAlgorithms());
                }
                return _context;
            }
        }
    }

    public static IReadOnlyList<(DeviceInfo Info, Device Device, IlgpuDeviceType Type)> All
    {
        get
        {
            var context = Context;
            lock (Gate)
            {
                if (_devices is null)
                {
                    var list = new List<(DeviceInfo, Device, IlgpuDeviceType)>();
                    int i = 0;
                    foreach (var d in context.GetCudaDevices())
                        list.Add((Describe(d, $"ilgpu-cuda:{i++}", DeviceKind.Gpu), d, IlgpuDeviceType.Cuda));
                    i = 0;
                    foreach (var d in context.GetCLDevices())
                        list.Add((Describe(d, $"ilgpu-opencl:{i++}", d.AcceleratorType == AcceleratorType.CPU ? DeviceKind.Cpu : DeviceKind.Gpu), d, IlgpuDeviceType.OpenCL));
                    i = 0;
                    foreach (var d in context.GetCPUDevices())
                        list.Add((Describe(d, $"ilgpu-cpu:{i++}", DeviceKind.CpuEmulatedGpu), d, IlgpuDeviceType.Cpu));
                    _devices = list;
                }
                return _devices;
            }
        }
    }

    private static DeviceInfo Describe(Device d, string id, DeviceKind kind) =>
        new(id, d.Name, kind, d.MemorySize, $"warp {d.WarpSize}, max group {d.MaxNumThreadsPerGroup}, shared/group {d.MaxSharedMemoryPerGroup} B, {d.NumMultiprocessors} multiprocessors");

    public static IReadOnlyList<DeviceInfo> OfType(IlgpuDeviceType type) => All.Where(d => d.Type == type).Select(d => d.Info).ToList();

    /// <summary>"ilgpu-cuda:0 (NVIDIA ...), ilgpu-cpu:0 (CPU accelerator)" or "none".</summary>
    public static string Describe()
    {
        var all = All;
        return all.Count == 0 ? "none" : string.Join(", ", all.Select(d => $"{d.Info.Id} ({d.Info.Name})"));
    }

    /// <summary>The accelerator of a device (created once).</summary>
    public static Accelerator Accelerator(DeviceInfo device)
    {
        var entry = All.FirstOrDefault(d => d.Info.Id == device.Id);
        if (entry.Device is null)
            throw new InvalidOperationException($"ILGPU device '{device.Id}' is not present; ILGPU devices on this machine: {Describe()}");
        lock (Gate)
        {
            if (!Accelerators.TryGetValue(device.Id, out var acc))
            {
                acc = entry.Device is CPUDevice cpu ? cpu.CreateCPUAccelerator(Context, CpuMode) : entry.Device.CreateAccelerator(Context);
                Accelerators[device.Id] = acc;
            }
            return acc;
        }
    }

    private static Context? _wideContext;
    private static Accelerator? _wide;

    /// <summary>Tests: a CPU accelerator with 64-thread groups, enough for the GPU geometry (kept apart from the
    /// normal 4-thread one, whose small thread count keeps everything else fast).</summary>
    internal static Accelerator WideCpuAccelerator()
    {
        lock (Gate)
        {
            if (_wide is null)
            {
                var device = new CPUDevice(numThreadsPerWarp: 4, numWarpsPerMultiprocessor: 16, numMultiprocessors: 2);
                _wideContext = Context.Create(b => b.CPU(device).Optimize(OptimizationLevel.O2).Math(MathMode.Fast32BitOnly).EnableAlgorithms());
                _wide = device.CreateCPUAccelerator(_wideContext, CPUAcceleratorMode.Parallel);
            }
            return _wide;
        }
    }
}
