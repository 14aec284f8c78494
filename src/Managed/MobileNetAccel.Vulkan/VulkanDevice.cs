using System.Runtime.InteropServices;
using Silk.NET.Vulkan;
using VkBuffer = Silk.NET.Vulkan.Buffer;

namespace MobileNetAccel.Vulkan;

/// <summary>A buffer with its own memory block; <see cref="Mapped"/> is set for host-visible buffers.</summary>
internal sealed unsafe class DeviceBuffer
{
    public VkBuffer Buffer;
    public DeviceMemory Memory;
    public ulong Size;
    public byte* Mapped;
}

/// <summary>
/// A logical device with one compute queue, shared by all partitions compiled for its physical device. Owns the
/// shader modules, descriptor-set layouts, pipeline layouts and the pipeline cache (one pipeline per shader and
/// specialisation). Reference counted: the runtime holds one reference, every compiled partition another; the last
/// release destroys everything in reverse order of creation.
/// </summary>
internal sealed unsafe class VulkanDevice
{
    /// <summary>Bytes of push constants every pipeline layout declares (all shaders' blocks fit).</summary>
    public const uint PushConstantBytes = 64;

    private readonly object _gate = new();
    private readonly Dictionary<string, ShaderModule> _modules = new();
    private readonly Dictionary<int, (DescriptorSetLayout Set, PipelineLayout Layout)> _layouts = new();
    private readonly Dictionary<string, Pipeline> _pipelines = new();
    private int _references = 1;

    private readonly Action _onDestroyed;

    public VulkanDevice(Vk vk, PhysicalDeviceEntry entry, Action onDestroyed)
    {
        _onDestroyed = onDestroyed;
        Vk = vk;
        Entry = entry;
        Name = entry.Info.Name;
        var pd = entry.Handle;
        PhysicalDeviceProperties props;
        vk.GetPhysicalDeviceProperties(pd, &props);
        Limits = props.Limits;
        PhysicalDeviceMemoryProperties mem;
        vk.GetPhysicalDeviceMemoryProperties(pd, &mem);
        MemoryProperties = mem;

        float priority = 1f;
        var queueInfo = new DeviceQueueCreateInfo
        {
            SType = StructureType.DeviceQueueCreateInfo,
            QueueFamilyIndex = entry.ComputeQueueFamily,
            QueueCount = 1,
            PQueuePriorities = &priority,
        };
        var create = new DeviceCreateInfo { SType = StructureType.DeviceCreateInfo, QueueCreateInfoCount = 1, PQueueCreateInfos = &queueInfo };
        Device device;
        vk.CreateDevice(pd, &create, null, &device).Check("vkCreateDevice", Name);
        Device = device;
        Queue queue;
        vk.GetDeviceQueue(device, entry.ComputeQueueFamily, 0, &queue);
        Queue = queue;
        var poolInfo = new CommandPoolCreateInfo
        {
            SType = StructureType.CommandPoolCreateInfo,
            QueueFamilyIndex = entry.ComputeQueueFamily,
            Flags = CommandPoolCreateFlags.ResetCommandBufferBit,
        };
        CommandPool pool;
        try
        {
            vk.CreateCommandPool(device, &poolInfo, null, &pool).Check("vkCreateCommandPool", Name);
        }
        catch
        {
            vk.DestroyDevice(device, null);
            throw;
        }
        CommandPool = pool;
    }

    public Vk Vk { get; }
    public PhysicalDeviceEntry Entry { get; }
    public string Name { get; }
    public Device Device { get; }
    public Queue Queue { get; }
    /// <summary>Guards the queue (vkQueueSubmit needs external synchronisation) and the shared command pool.</summary>
    public object QueueGate { get; } = new();
    public CommandPool CommandPool { get; }
    public PhysicalDeviceLimits Limits { get; }
    public (uint X, uint Y, uint Z) MaxWorkGroupCount
    {
        get
        {
            var l = Limits;
            return (l.MaxComputeWorkGroupCount[0], l.MaxComputeWorkGroupCount[1], l.MaxComputeWorkGroupCount[2]);
        }
    }
    public PhysicalDeviceMemoryProperties MemoryProperties { get; }
    public bool Lost { get; private set; }

    /// <summary>Alignment of sub-ranges bound as storage buffers.</summary>
    public ulong StorageAlignment => Math.Max(16UL, Limits.MinStorageBufferOffsetAlignment);

    public void Check(Result result, string call)
    {
        if (result == Result.ErrorDeviceLost)
            Lost = true;
        result.Check(call, Name);
    }

    public void ThrowIfLost()
    {
        if (Lost)
            throw new VulkanDeviceLostException("an earlier call", Name);
    }

    public void Retain()
    {
        lock (_gate)
        {
            if (_references <= 0)
                throw new ObjectDisposedException(nameof(VulkanDevice), $"Vulkan device '{Name}' was already destroyed");
            _references++;
        }
    }

    public void Release()
    {
        lock (_gate)
        {
            if (--_references > 0)
                return;
            Destroy();
        }
        _onDestroyed();
    }

    private void Destroy()
    {
        if (!Lost)
            Vk.DeviceWaitIdle(Device);
        foreach (var p in _pipelines.Values)
            Vk.DestroyPipeline(Device, p, null);
        _pipelines.Clear();
        foreach (var (set, layout) in _layouts.Values)
        {
            Vk.DestroyPipelineLayout(Device, layout, null);
            Vk.DestroyDescriptorSetLayout(Device, set, null);
        }
        _layouts.Clear();
        foreach (var m in _modules.Values)
            Vk.DestroyShaderModule(Device, m, null);
        _modules.Clear();
        Vk.DestroyCommandPool(Device, CommandPool, null);
        Vk.DestroyDevice(Device, null);
    }

    // ---- memory ----

    private uint FindMemoryType(uint typeBits, MemoryPropertyFlags required, MemoryPropertyFlags preferred)
    {
        var mem = MemoryProperties;
        for (int pass = 0; pass < 2; pass++)
        {
            var want = pass == 0 ? required | preferred : required;
            for (uint i = 0; i < mem.MemoryTypeCount; i++)
                if ((typeBits & (1u << (int)i)) != 0 && (mem.MemoryTypes[(int)i].PropertyFlags & want) == want)
                    return i;
        }
        throw new VulkanException($"Vulkan: device '{Name}' has no memory type with {required}");
    }

    /// <summary>A buffer with its own memory: device-local, or host-visible + coherent (mapped) for staging.</summary>
    public DeviceBuffer CreateBuffer(ulong size, BufferUsageFlags usage, bool hostVisible, string what)
    {
        size = Math.Max(size, 16);
        var info = new BufferCreateInfo { SType = StructureType.BufferCreateInfo, Size = size, Usage = usage, SharingMode = SharingMode.Exclusive };
        var b = new DeviceBuffer { Size = size };
        VkBuffer buffer;
        Check(Vk.CreateBuffer(Device, &info, null, &buffer), $"vkCreateBuffer ({what}, {size} bytes)");
        b.Buffer = buffer;
        try
        {
            MemoryRequirements req;
            Vk.GetBufferMemoryRequirements(Device, buffer, &req);
            var type = hostVisible
                ? FindMemoryType(req.MemoryTypeBits, MemoryPropertyFlags.HostVisibleBit | MemoryPropertyFlags.HostCoherentBit, MemoryPropertyFlags.HostCachedBit)
                : FindMemoryType(req.MemoryTypeBits, MemoryPropertyFlags.DeviceLocalBit, 0);
            var alloc = new MemoryAllocateInfo { SType = StructureType.MemoryAllocateInfo, AllocationSize = req.Size, MemoryTypeIndex = type };
            DeviceMemory memory;
            Check(Vk.AllocateMemory(Device, &alloc, null, &memory), $"vkAllocateMemory ({what}, {req.Size} bytes)");
            b.Memory = memory;
            Check(Vk.BindBufferMemory(Device, buffer, memory, 0), $"vkBindBufferMemory ({what})");
            if (hostVisible)
            {
                void* mapped;
                Check(Vk.MapMemory(Device, memory, 0, Vk.WholeSize, 0, &mapped), $"vkMapMemory ({what})");
                b.Mapped = (byte*)mapped;
            }
        }
        catch
        {
            DestroyBuffer(b);
            throw;
        }
        return b;
    }

    public void DestroyBuffer(DeviceBuffer? b)
    {
        if (b is null)
            return;
        if (b.Mapped != null)
            Vk.UnmapMemory(Device, b.Memory);
        if (b.Buffer.Handle != 0)
            Vk.DestroyBuffer(Device, b.Buffer, null);
        if (b.Memory.Handle != 0)
            Vk.FreeMemory(Device, b.Memory, null);
        b.Mapped = null;
        b.Buffer = default;
        b.Memory = default;
    }

    /// <summary>Copies host bytes into a device-local buffer through a temporary staging buffer (used once, for weights).</summary>
    public void Upload(DeviceBuffer target, ReadOnlySpan<byte> data)
    {
        if (data.Length == 0)
            return;
        var staging = CreateBuffer((ulong)data.Length, BufferUsageFlags.TransferSrcBit, hostVisible: true, "weight staging");
        try
        {
            data.CopyTo(new Span<byte>(staging.Mapped, data.Length));
            ulong length = (ulong)data.Length;
            SubmitOnce(cmd =>
            {
                var region = new BufferCopy(0, 0, length);
                Vk.CmdCopyBuffer(cmd, staging.Buffer, target.Buffer, 1, &region);
            }, "weight upload");
        }
        finally
        {
            DestroyBuffer(staging);
        }
    }

    /// <summary>Records, submits and waits for a one-off command buffer.</summary>
    public void SubmitOnce(Action<CommandBuffer> record, string what)
    {
        ThrowIfLost();
        lock (QueueGate)
        {
            var alloc = new CommandBufferAllocateInfo
            {
                SType = StructureType.CommandBufferAllocateInfo,
                CommandPool = CommandPool,
                Level = CommandBufferLevel.Primary,
                CommandBufferCount = 1,
            };
            CommandBuffer cmd;
            Check(Vk.AllocateCommandBuffers(Device, &alloc, &cmd), $"vkAllocateCommandBuffers ({what})");
            Fence fence = default;
            try
            {
                var begin = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo, Flags = CommandBufferUsageFlags.OneTimeSubmitBit };
                Check(Vk.BeginCommandBuffer(cmd, &begin), $"vkBeginCommandBuffer ({what})");
                record(cmd);
                Check(Vk.EndCommandBuffer(cmd), $"vkEndCommandBuffer ({what})");
                var fenceInfo = new FenceCreateInfo { SType = StructureType.FenceCreateInfo };
                Check(Vk.CreateFence(Device, &fenceInfo, null, &fence), $"vkCreateFence ({what})");
                var submit = new SubmitInfo { SType = StructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &cmd };
                Check(Vk.QueueSubmit(Queue, 1, &submit, fence), $"vkQueueSubmit ({what})");
                Wait(fence, what);
            }
            finally
            {
                if (fence.Handle != 0)
                    Vk.DestroyFence(Device, fence, null);
                Vk.FreeCommandBuffers(Device, CommandPool, 1, &cmd);
            }
        }
    }

    /// <summary>Waits for a fence with a finite timeout: a hung device is an error, not a hang.</summary>
    public void Wait(Fence fence, string what)
    {
        const ulong timeoutNs = 600UL * 1_000_000_000UL;
        var r = Vk.WaitForFences(Device, 1, &fence, true, timeoutNs);
        if (r == Result.Timeout)
            throw new VulkanException($"Vulkan: vkWaitForFences ({what}) timed out after 600 s on device '{Name}'");
        Check(r, $"vkWaitForFences ({what})");
    }

    // ---- shaders and pipelines ----

    private ShaderModule Module(string shader)
    {
        if (_modules.TryGetValue(shader, out var module))
            return module;
        byte[] code = LoadSpirv(shader);
        fixed (byte* p = code)
        {
            var info = new ShaderModuleCreateInfo { SType = StructureType.ShaderModuleCreateInfo, CodeSize = (nuint)code.Length, PCode = (uint*)p };
            Check(Vk.CreateShaderModule(Device, &info, null, &module), $"vkCreateShaderModule ({shader})");
        }
        _modules[shader] = module;
        return module;
    }

    internal static byte[] LoadSpirv(string shader)
    {
        using var stream = typeof(VulkanDevice).Assembly.GetManifestResourceStream(shader + ".spv")
            ?? throw new VulkanException($"Vulkan: SPIR-V for shader '{shader}' is not embedded in {typeof(VulkanDevice).Assembly.GetName().Name}");
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        if (bytes.Length < 20 || bytes.Length % 4 != 0 || BitConverter.ToUInt32(bytes, 0) != 0x07230203)
            throw new VulkanException($"Vulkan: embedded SPIR-V for shader '{shader}' is malformed");
        return bytes;
    }

    /// <summary>Descriptor-set layout and pipeline layout for shaders with <paramref name="bindings"/> storage buffers.</summary>
    public (DescriptorSetLayout Set, PipelineLayout Layout) Layout(int bindings)
    {
        lock (_gate)
        {
            if (_layouts.TryGetValue(bindings, out var l))
                return l;
            var b = stackalloc DescriptorSetLayoutBinding[bindings];
            for (int i = 0; i < bindings; i++)
                b[i] = new DescriptorSetLayoutBinding((uint)i, DescriptorType.StorageBuffer, 1, ShaderStageFlags.ComputeBit);
            var setInfo = new DescriptorSetLayoutCreateInfo { SType = StructureType.DescriptorSetLayoutCreateInfo, BindingCount = (uint)bindings, PBindings = b };
            DescriptorSetLayout set;
            Check(Vk.CreateDescriptorSetLayout(Device, &setInfo, null, &set), "vkCreateDescriptorSetLayout");
            var range = new PushConstantRange(ShaderStageFlags.ComputeBit, 0, PushConstantBytes);
            var layoutInfo = new PipelineLayoutCreateInfo
            {
                SType = StructureType.PipelineLayoutCreateInfo,
                SetLayoutCount = 1,
                PSetLayouts = &set,
                PushConstantRangeCount = 1,
                PPushConstantRanges = &range,
            };
            PipelineLayout layout;
            var r = Vk.CreatePipelineLayout(Device, &layoutInfo, null, &layout);
            if (r != Result.Success)
            {
                Vk.DestroyDescriptorSetLayout(Device, set, null);
                Check(r, "vkCreatePipelineLayout");
            }
            _layouts[bindings] = (set, layout);
            return (set, layout);
        }
    }

    /// <summary>Number of pipelines created so far (tests check the cache).</summary>
    public int PipelineCount
    {
        get
        {
            lock (_gate)
                return _pipelines.Count;
        }
    }

    /// <summary>The compute pipeline for a shader and its specialisation constants (constant_id i = spec[i]), cached.</summary>
    public Pipeline Pipeline(string shader, int bindings, ReadOnlySpan<int> spec)
    {
        string key = shader + "|" + string.Join(",", spec.ToArray());
        lock (_gate)
        {
            if (_pipelines.TryGetValue(key, out var pipeline))
                return pipeline;
            var module = Module(shader);
            var (_, layout) = Layout(bindings);
            var entries = stackalloc SpecializationMapEntry[Math.Max(spec.Length, 1)];
            for (int i = 0; i < spec.Length; i++)
                entries[i] = new SpecializationMapEntry((uint)i, (uint)(i * 4), 4);
            var name = (byte*)Marshal.StringToHGlobalAnsi("main");
            try
            {
                fixed (int* data = spec)
                {
                    var specInfo = new SpecializationInfo
                    {
                        MapEntryCount = (uint)spec.Length,
                        PMapEntries = entries,
                        DataSize = (nuint)(spec.Length * 4),
                        PData = data,
                    };
                    var stage = new PipelineShaderStageCreateInfo
                    {
                        SType = StructureType.PipelineShaderStageCreateInfo,
                        Stage = ShaderStageFlags.ComputeBit,
                        Module = module,
                        PName = name,
                        PSpecializationInfo = spec.Length > 0 ? &specInfo : null,
                    };
                    var info = new ComputePipelineCreateInfo { SType = StructureType.ComputePipelineCreateInfo, Stage = stage, Layout = layout };
                    Check(Vk.CreateComputePipelines(Device, default, 1, &info, null, &pipeline), $"vkCreateComputePipelines ({key})");
                }
            }
            finally
            {
                Marshal.FreeHGlobal((nint)name);
            }
            _pipelines[key] = pipeline;
            return pipeline;
        }
    }
}
