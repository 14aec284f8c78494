using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using MobileNetAccel.Backends;
using Silk.NET.Vulkan;

namespace MobileNetAccel.Vulkan;

/// <summary>What enumeration learnt about one physical device.</summary>
internal sealed class PhysicalDeviceEntry
{
    public required int Index { get; init; }
    public required PhysicalDevice Handle { get; init; }
    public required DeviceInfo Info { get; init; }
    public required PhysicalDeviceType Type { get; init; }
    public required long DeviceLocalBytes { get; init; }
    public required uint ComputeQueueFamily { get; init; }
    public required uint SubgroupSize { get; init; }
}

/// <summary>
/// The Vulkan instance (no window, no surface) and the physical devices of the machine. Logical devices are created
/// lazily, one per physical device, and shared by every partition compiled for it (pipelines are cached there).
/// Destroyed in reverse order of creation: logical devices, then the instance.
/// </summary>
internal sealed unsafe class VulkanRuntime : IDisposable
{
    private readonly object _gate = new();
    private readonly Dictionary<int, VulkanDevice> _devices = new();
    private bool _disposed;
    private bool _instanceDestroyed;
    private int _liveDevices;

    /// <param name="loaderNames">Library names to try instead of the platform's Vulkan loader (tests).</param>
    public VulkanRuntime(IReadOnlyList<string>? loaderNames = null)
    {
        var loader = VulkanLoader.TryLoad(out var reason, loaderNames);
        if (loader is null)
        {
            UnavailableReason = reason;
            return;
        }
        Vk = new Vk(loader);
        try
        {
            var name = (byte*)Marshal.StringToHGlobalAnsi("MobileNetAccel");
            try
            {
                var app = new ApplicationInfo
                {
                    SType = StructureType.ApplicationInfo,
                    PApplicationName = name,
                    PEngineName = name,
                    ApiVersion = Vk.Version11,
                };
                var create = new InstanceCreateInfo { SType = StructureType.InstanceCreateInfo, PApplicationInfo = &app };
                Instance instance;
                var result = Vk.CreateInstance(&create, null, &instance);
                if (result != Result.Success)
                {
                    UnavailableReason = $"no Vulkan device: vkCreateInstance failed with {result} (no Vulkan 1.1 driver installed?)";
                    return;
                }
                Instance = instance;
            }
            finally
            {
                Marshal.FreeHGlobal((nint)name);
            }
            Enumerate();
            if (Entries.Count == 0)
                UnavailableReason = "no Vulkan device: the Vulkan loader found no physical device with a compute queue (no ICD installed?)";
        }
        catch (Exception e) when (e is VulkanException or DllNotFoundException or EntryPointNotFoundException)
        {
            UnavailableReason = $"no Vulkan device: {e.Message}";
        }
    }

    public Vk? Vk { get; }
    public Instance Instance { get; }
    public List<PhysicalDeviceEntry> Entries { get; } = new();
    /// <summary>Why no device is usable ("" when at least one is).</summary>
    public string UnavailableReason { get; } = "";

    /// <summary>Entries ordered best first: discrete, integrated, virtual GPU, then CPU; larger device memory first.</summary>
    public IReadOnlyList<PhysicalDeviceEntry> Ranked => Entries
        .OrderBy(e => e.Type switch
        {
            PhysicalDeviceType.DiscreteGpu => 0,
            PhysicalDeviceType.IntegratedGpu => 1,
            PhysicalDeviceType.VirtualGpu => 2,
            PhysicalDeviceType.Cpu => 4,
            _ => 3,
        })
        .ThenByDescending(e => e.DeviceLocalBytes)
        .ThenBy(e => e.Index)
        .ToList();

    private void Enumerate()
    {
        var vk = Vk!;
        uint count = 0;
        vk.EnumeratePhysicalDevices(Instance, &count, null).Check("vkEnumeratePhysicalDevices");
        if (count == 0)
            return;
        var handles = new PhysicalDevice[count];
        fixed (PhysicalDevice* p = handles)
        {
            var r = vk.EnumeratePhysicalDevices(Instance, &count, p);
            if (r != Result.Incomplete)
                r.Check("vkEnumeratePhysicalDevices");
        }
        for (int i = 0; i < (int)count; i++)
        {
            var entry = Describe(i, handles[i]);
            if (entry is not null)
                Entries.Add(entry);
        }
    }

    private PhysicalDeviceEntry? Describe(int index, PhysicalDevice pd)
    {
        var vk = Vk!;
        PhysicalDeviceProperties props;
        vk.GetPhysicalDeviceProperties(pd, &props);
        string name = Marshal.PtrToStringUTF8((nint)props.DeviceName) ?? "?";

        uint families = 0;
        vk.GetPhysicalDeviceQueueFamilyProperties(pd, &families, null);
        var fam = new QueueFamilyProperties[families];
        fixed (QueueFamilyProperties* f = fam)
            vk.GetPhysicalDeviceQueueFamilyProperties(pd, &families, f);
        int compute = -1;
        // Prefer a compute-only family (async compute on discrete GPUs), else any family with compute.
        for (int f = 0; f < fam.Length; f++)
            if ((fam[f].QueueFlags & QueueFlags.ComputeBit) != 0 && (fam[f].QueueFlags & QueueFlags.GraphicsBit) == 0)
            {
                compute = f;
                break;
            }
        if (compute < 0)
            for (int f = 0; f < fam.Length; f++)
                if ((fam[f].QueueFlags & QueueFlags.ComputeBit) != 0)
                {
                    compute = f;
                    break;
                }
        if (compute < 0)
            return null;

        uint subgroup = 0;
        bool apiAtLeast11 = props.ApiVersion >= Vk.Version11;
        if (apiAtLeast11)
        {
            var sub = new PhysicalDeviceSubgroupProperties { SType = StructureType.PhysicalDeviceSubgroupProperties };
            var p2 = new PhysicalDeviceProperties2 { SType = StructureType.PhysicalDeviceProperties2, PNext = &sub };
            vk.GetPhysicalDeviceProperties2(pd, &p2);
            subgroup = sub.SubgroupSize;
        }
        string fp16 = "unknown", int8 = "unknown";
        if (props.ApiVersion >= Vk.Version12)
        {
            var f16 = new PhysicalDeviceShaderFloat16Int8Features { SType = StructureType.PhysicalDeviceShaderFloat16Int8Features };
            var f2 = new PhysicalDeviceFeatures2 { SType = StructureType.PhysicalDeviceFeatures2, PNext = &f16 };
            vk.GetPhysicalDeviceFeatures2(pd, &f2);
            fp16 = f16.ShaderFloat16 ? "yes" : "no";
            int8 = f16.ShaderInt8 ? "yes" : "no";
        }

        PhysicalDeviceMemoryProperties mem;
        vk.GetPhysicalDeviceMemoryProperties(pd, &mem);
        long deviceLocal = 0;
        var heaps = new StringBuilder();
        for (int h = 0; h < mem.MemoryHeapCount; h++)
        {
            var heap = mem.MemoryHeaps[h];
            bool local = (heap.Flags & MemoryHeapFlags.DeviceLocalBit) != 0;
            if (local)
                deviceLocal += (long)heap.Size;
            if (heaps.Length > 0)
                heaps.Append(", ");
            heaps.Append(CultureInfo.InvariantCulture, $"{heap.Size / (1024.0 * 1024 * 1024):0.0} GiB{(local ? " device-local" : "")}");
        }

        var kind = props.DeviceType == PhysicalDeviceType.Cpu ? DeviceKind.CpuEmulatedGpu : DeviceKind.Gpu;
        string features = string.Create(CultureInfo.InvariantCulture,
            $"type={TypeName(props.DeviceType)} vendor=0x{props.VendorID:x4} ({VendorName(props.VendorID)}) api={Version(props.ApiVersion)} " +
            $"driver=0x{props.DriverVersion:x} subgroup={(subgroup == 0 ? "unknown" : subgroup.ToString(CultureInfo.InvariantCulture))} " +
            $"fp16={fp16} int8={int8} shared={props.Limits.MaxComputeSharedMemorySize} heaps=[{heaps}]");
        return new PhysicalDeviceEntry
        {
            Index = index,
            Handle = pd,
            Info = new DeviceInfo($"vulkan:{index}", name, kind, deviceLocal, features),
            Type = props.DeviceType,
            DeviceLocalBytes = deviceLocal,
            ComputeQueueFamily = (uint)compute,
            SubgroupSize = subgroup,
        };
    }

    private static string Version(uint v) => $"{v >> 22}.{(v >> 12) & 0x3ff}.{v & 0xfff}";

    private static string TypeName(PhysicalDeviceType t) => t switch
    {
        PhysicalDeviceType.DiscreteGpu => "discrete-gpu",
        PhysicalDeviceType.IntegratedGpu => "integrated-gpu",
        PhysicalDeviceType.VirtualGpu => "virtual-gpu",
        PhysicalDeviceType.Cpu => "cpu",
        _ => "other",
    };

    private static string VendorName(uint id) => id switch
    {
        0x1002 => "AMD",
        0x10de => "NVIDIA",
        0x8086 => "Intel",
        0x13b5 => "ARM",
        0x5143 => "Qualcomm",
        0x14e4 => "Broadcom",
        0x1010 => "Imagination",
        0x106b => "Apple",
        0x10005 => "Mesa",
        _ => "unknown",
    };

    /// <summary>The entry with id "vulkan:i", or a clear error listing the devices there are.</summary>
    public PhysicalDeviceEntry Find(DeviceInfo device)
    {
        foreach (var e in Entries)
            if (e.Info.Id == device.Id)
                return e;
        throw new ArgumentException($"Vulkan device '{device.Id}' does not exist; devices: " +
            (Entries.Count == 0 ? UnavailableReason : string.Join(", ", Entries.Select(e => $"{e.Info.Id} ({e.Info.Name})"))));
    }

    /// <summary>The logical device for a physical device, created on first use and kept for the runtime's lifetime.</summary>
    public VulkanDevice Open(PhysicalDeviceEntry entry)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_devices.TryGetValue(entry.Index, out var device))
            {
                _devices[entry.Index] = device = new VulkanDevice(Vk!, entry, DeviceDestroyed);
                _liveDevices++;
            }
            return device;
        }
    }

    /// <summary>Releases the runtime's reference on every logical device; the instance is destroyed once the last
    /// device is (partitions still alive keep their device, and so the instance, until they are disposed).</summary>
    public void Dispose()
    {
        List<VulkanDevice> devices;
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            devices = _devices.Values.Reverse().ToList();
            _devices.Clear();
        }
        foreach (var d in devices)
            d.Release();
        DestroyInstanceIfDone();
    }

    private void DeviceDestroyed()
    {
        lock (_gate)
            _liveDevices--;
        DestroyInstanceIfDone();
    }

    private void DestroyInstanceIfDone()
    {
        lock (_gate)
        {
            if (!_disposed || _liveDevices > 0 || _instanceDestroyed)
                return;
            _instanceDestroyed = true;
            if (Vk is not null && Instance.Handle != 0)
                Vk.DestroyInstance(Instance, null);
        }
    }
}
