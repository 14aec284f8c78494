using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Ilgpu;

/// <summary>
/// The ILGPU backend. Four names: <c>ilgpu</c> (the best device present: CUDA, then OpenCL, then the CPU accelerator),
/// <c>ilgpu-cuda</c>, <c>ilgpu-opencl</c>, <c>ilgpu-cpu</c>. A backend whose device type is absent has no
/// <see cref="Devices"/>; compiling for a device that is not there throws, listing the ILGPU devices that are.
/// The whole partition runs on the device: weights are uploaded once by <see cref="Compile"/>, activations stay in one
/// device buffer, and a run does one upload per input, the kernels back to back on one stream, one download per output
/// and a single synchronisation at the end.
/// </summary>
public sealed class IlgpuBackend : IBackend
{
    private static readonly object Gate = new();
    private static bool _registered;
    private static IReadOnlyList<IlgpuBackend>? _all;
    private readonly IlgpuDeviceType? _type;

    private IlgpuBackend(string name, IlgpuDeviceType? type)
    {
        Name = name;
        _type = type;
    }

    /// <summary>The names this backend answers to.</summary>
    public static readonly IReadOnlyList<string> Names = new[] { "ilgpu", "ilgpu-cuda", "ilgpu-opencl", "ilgpu-cpu" };

    /// <summary>Registers the four ILGPU backends with <see cref="BackendRegistry"/> (once; later calls do nothing).
    /// No reflection: an application that references this assembly calls this at start-up.</summary>
    public static void Register()
    {
        lock (Gate)
        {
            if (_registered)
                return;
            _registered = true;
        }
        BackendRegistry.Register(() => All);
    }

    /// <summary>The four ILGPU backends (device discovery happens on first use of <see cref="Devices"/>).</summary>
    public static IReadOnlyList<IlgpuBackend> All
    {
        get
        {
            lock (Gate)
                return _all ??= new[]
                {
                    new IlgpuBackend("ilgpu", null),
                    new IlgpuBackend("ilgpu-cuda", IlgpuDeviceType.Cuda),
                    new IlgpuBackend("ilgpu-opencl", IlgpuDeviceType.OpenCL),
                    new IlgpuBackend("ilgpu-cpu", IlgpuDeviceType.Cpu),
                };
        }
    }

    /// <summary>The backend with this name; throws listing the names when unknown.</summary>
    public static IlgpuBackend Get(string name) =>
        All.FirstOrDefault(b => string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
        ?? throw new ArgumentException($"unknown ILGPU backend '{name}'; known: {string.Join(", ", Names)}", nameof(name));

    /// <summary>Every ILGPU device of this machine, as "id (name)", or "none".</summary>
    public static string DescribeDevices() => IlgpuDevices.Describe();

    public string Name { get; }

    /// <summary>The device type used: for <c>ilgpu</c> the best present (CUDA, OpenCL, CPU), null when none is.</summary>
    public IlgpuDeviceType? DeviceType => _type ?? (IlgpuDevices.OfType(IlgpuDeviceType.Cuda).Count > 0 ? IlgpuDeviceType.Cuda
        : IlgpuDevices.OfType(IlgpuDeviceType.OpenCL).Count > 0 ? IlgpuDeviceType.OpenCL
        : IlgpuDevices.OfType(IlgpuDeviceType.Cpu).Count > 0 ? IlgpuDeviceType.Cpu : null);

    public IReadOnlyList<DeviceInfo> Devices => DeviceType is { } t ? IlgpuDevices.OfType(t) : Array.Empty<DeviceInfo>();

    /// <summary>Why there is no device (for the selection's "has no device" message); "" when there is one.</summary>
    public string UnavailableReason => Devices.Count > 0 ? ""
        : $"no {(_type is null ? "ILGPU" : _type.ToString())} device on this machine; ILGPU devices present: {IlgpuDevices.Describe()}";

    /// <summary>The first device, or an exception naming what is present (e.g. asking for <c>ilgpu-cuda</c> on a
    /// machine without a CUDA GPU).</summary>
    public DeviceInfo DefaultDevice => Devices.Count > 0 ? Devices[0]
        : throw new InvalidOperationException($"backend '{Name}': no {(_type is null ? "ILGPU" : _type.ToString())} device on this machine; ILGPU devices present: {IlgpuDevices.Describe()}");

    public bool Supports(Node node, out string reason) => IlgpuOps.Plan(node, out reason) is not null;

    public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(device);
        if (!Devices.Any(d => d.Id == device.Id))
            throw new InvalidOperationException($"backend '{Name}' cannot use device '{device.Id}'; its devices: " +
                $"{(Devices.Count == 0 ? "none" : string.Join(", ", Devices.Select(d => d.Id)))}; ILGPU devices present: {IlgpuDevices.Describe()}");
        return new IlgpuCompiledPartition(partition, device, IlgpuDevices.Accelerator(device));
    }

    public override string ToString() => Name;
}
