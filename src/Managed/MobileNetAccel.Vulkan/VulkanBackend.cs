using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan;

/// <summary>
/// The Vulkan compute backend. <c>vulkan</c> lists every Vulkan device of the machine, best first (discrete GPU,
/// integrated, virtual, then CPU implementations such as Mesa lavapipe), so its first device is the best one;
/// <c>vulkan:&lt;index&gt;</c> is one device by its enumeration index. A machine without a Vulkan loader or driver has no
/// devices and <see cref="UnavailableReason"/> says why.
/// </summary>
public sealed class VulkanBackend : IBackend, IDisposable
{
    private static readonly object RegisterGate = new();
    private static VulkanBackend? _shared;
    private static bool _registered;

    private readonly VulkanRuntime _runtime;
    private readonly IReadOnlyList<PhysicalDeviceEntry> _entries;
    private readonly bool _ownsRuntime;

    /// <summary>The <c>vulkan</c> backend over all devices, with its own instance (dispose it when done).</summary>
    public VulkanBackend() : this(new VulkanRuntime(), null, ownsRuntime: true) { }

    /// <summary>A backend that looks for the Vulkan loader under other names (tests of the no-Vulkan path).</summary>
    internal VulkanBackend(IReadOnlyList<string> loaderNames) : this(new VulkanRuntime(loaderNames), null, ownsRuntime: true) { }

    private VulkanBackend(VulkanRuntime runtime, int? index, bool ownsRuntime)
    {
        _runtime = runtime;
        _ownsRuntime = ownsRuntime;
        var ranked = runtime.Ranked;
        _entries = index is null ? ranked : ranked.Where(e => e.Index == index.Value).ToList();
        Name = index is null ? "vulkan" : $"vulkan:{index}";
        Devices = _entries.Select(e => e.Info).ToList();
        UnavailableReason = runtime.UnavailableReason.Length > 0 ? runtime.UnavailableReason
            : _entries.Count == 0 ? $"no Vulkan device with index {index}; devices: {string.Join(", ", runtime.Entries.Select(e => $"{e.Info.Id} ({e.Info.Name})"))}"
            : "";
    }

    public string Name { get; }
    public IReadOnlyList<DeviceInfo> Devices { get; }
    /// <summary>Why there is no device ("" when there is one), e.g. "no Vulkan device: the Vulkan loader ... is not installed".</summary>
    public string UnavailableReason { get; }

    /// <summary>One backend per device, named <c>vulkan:&lt;index&gt;</c>, sharing this backend's instance.</summary>
    public IReadOnlyList<VulkanBackend> PerDevice() =>
        _runtime.Entries.Select(e => new VulkanBackend(_runtime, e.Index, ownsRuntime: false)).ToList();

    /// <summary>
    /// Registers <c>vulkan</c> and <c>vulkan:&lt;index&gt;</c> with <see cref="BackendRegistry"/> (idempotent). The Vulkan
    /// instance is created on first use of the registry and kept for the process.
    /// </summary>
    public static void Register()
    {
        lock (RegisterGate)
        {
            if (_registered)
                return;
            _registered = true;
        }
        BackendRegistry.Register(static () =>
        {
            lock (RegisterGate)
            {
                _shared ??= new VulkanBackend();
                return new IBackend[] { _shared }.Concat(_shared.PerDevice()).ToList();
            }
        });
    }

    public bool Supports(Node node, out string reason)
    {
        ArgumentNullException.ThrowIfNull(node);
        if (Devices.Count == 0)
        {
            reason = UnavailableReason;
            return false;
        }
        return VulkanOps.Plan(node, out reason) is not null;
    }

    public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options)
    {
        ArgumentNullException.ThrowIfNull(partition);
        ArgumentNullException.ThrowIfNull(device);
        if (Devices.Count == 0)
            throw new InvalidOperationException($"backend '{Name}': {UnavailableReason}");
        var entry = _entries.FirstOrDefault(e => e.Info.Id == device.Id)
            ?? throw new ArgumentException($"backend '{Name}' has no device '{device.Id}'; it has: {string.Join(", ", Devices.Select(d => $"{d.Id} ({d.Name})"))}");
        var vulkanDevice = _runtime.Open(entry);
        return new VulkanPartition(vulkanDevice, partition);
    }

    /// <summary>Pipelines created on a device so far (the cache is per device, shared by all its partitions).</summary>
    public int PipelineCount(DeviceInfo device) => _runtime.Open(_runtime.Find(device)).PipelineCount;

    /// <summary>Destroys the logical devices (once their partitions are disposed) and the instance.</summary>
    public void Dispose()
    {
        if (_ownsRuntime)
            _runtime.Dispose();
    }

    public override string ToString() => Devices.Count == 0 ? $"{Name}: {UnavailableReason}" : $"{Name}: {string.Join(", ", Devices.Select(d => d.Name))}";
}
