using MobileNetAccel.Backends;

namespace MobileNetAccel.Execution;

/// <summary>A device of this machine and the backends that can use it.</summary>
/// <param name="Device">The device (id, name, kind, memory, features).</param>
/// <param name="Backends">Names of the backends that list this device, in catalog order.</param>
public sealed record DeviceEntry(DeviceInfo Device, IReadOnlyList<string> Backends)
{
    /// <summary>"cpu", "gpu" or "cpu-emulated-gpu".</summary>
    public string KindName => DeviceCatalog.KindName(Device.Kind);
}

/// <summary>
/// The one device model of the library: the host CPU (<see cref="HostCpuDevice.Info"/>) and every device that a
/// backend of <see cref="BackendRegistry"/> lists (ILGPU accelerators, Vulkan devices when those assemblies are
/// registered). Devices are identified by <see cref="DeviceInfo.Id"/>; a device several backends can use is listed once.
/// </summary>
public static class DeviceCatalog
{
    /// <summary>"cpu", "gpu" or "cpu-emulated-gpu".</summary>
    public static string KindName(DeviceKind kind) => kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Gpu => "gpu",
        DeviceKind.CpuEmulatedGpu => "cpu-emulated-gpu",
        _ => kind.ToString().ToLowerInvariant(),
    };

    /// <summary>Every device of <paramref name="backends"/> (default: <see cref="BackendRegistry.All"/>), host CPU
    /// first, each with the backends that can use it.</summary>
    public static IReadOnlyList<DeviceEntry> All(IReadOnlyList<IBackend>? backends = null)
    {
        backends ??= BackendRegistry.All();
        var order = new List<string>();
        var devices = new Dictionary<string, DeviceInfo>(StringComparer.Ordinal);
        var users = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        void Add(DeviceInfo d, string? backend)
        {
            if (!devices.ContainsKey(d.Id))
            {
                devices[d.Id] = d;
                users[d.Id] = new List<string>();
                order.Add(d.Id);
            }
            if (backend is not null && !users[d.Id].Contains(backend, StringComparer.OrdinalIgnoreCase))
                users[d.Id].Add(backend);
        }
        Add(HostCpuDevice.Info, null);
        foreach (var b in backends)
            foreach (var d in SafeDevices(b))
                Add(d, b.Name);
        return order.Select(id => new DeviceEntry(devices[id], users[id])).ToList();
    }

    /// <summary>A backend's devices; a backend whose device probe throws has none (its error is not the caller's).</summary>
    public static IReadOnlyList<DeviceInfo> SafeDevices(IBackend backend)
    {
        try
        {
            return backend.Devices;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return Array.Empty<DeviceInfo>();
        }
    }
}
