using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using Silk.NET.Vulkan;

namespace MobileNetAccel.Vulkan;

/// <summary>
/// A partition compiled for one Vulkan device. At compile time: nodes are lowered to dispatches, weights are packed into
/// one device-local buffer and uploaded once, activations get offsets in one device-local buffer (values whose
/// lifetimes do not overlap share memory), descriptor sets are allocated and written once, and ONE command buffer is
/// recorded: input copies from the staging buffer, the dispatches with a barrier after each, output copies back.
/// A run copies the inputs into the mapped staging buffer, replays the command buffer, waits on a fence and copies
/// the outputs out: one upload and one download per run, no host synchronisation between layers.
/// </summary>
internal sealed unsafe class VulkanPartition : ICompiledPartition
{
    private readonly VulkanDevice _device;
    private readonly Vk _vk;
    private readonly List<(Value Value, ulong StagingOffset)> _inputs = new();
    private readonly List<(Value Value, ulong StagingOffset)> _outputs = new();
    private DeviceBuffer? _weights;
    private DeviceBuffer? _activations;
    private DeviceBuffer? _staging;
    private DescriptorPool _descriptorPool;
    private CommandBuffer _commands;
    private Fence _fence;
    private bool _retained;
    private bool _disposed;

    public VulkanPartition(VulkanDevice device, Partition partition)
    {
        _device = device;
        _vk = device.Vk;
        device.Retain();
        _retained = true;
        try
        {
            var program = Lowering.Lower(partition, device);
            Build(partition, program);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Dispatches recorded (for tests and diagnostics).</summary>
    public int DispatchCount { get; private set; }
    /// <summary>Bytes of device memory for activations after liveness sharing.</summary>
    public ulong ActivationBytes { get; private set; }
    public ulong WeightBytes { get; private set; }

    private void Build(Partition partition, Lowering.Program program)
    {
        var dev = _device;
        ulong align = dev.StorageAlignment;
        ulong maxRange = dev.Limits.MaxStorageBufferRange;

        // Weights: one device-local buffer, uploaded once.
        WeightBytes = (ulong)program.Weights.Length;
        _weights = dev.CreateBuffer(WeightBytes, BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferDstBit, false, "weights");
        dev.Upload(_weights, program.Weights);

        // Activations: liveness-shared offsets in one device-local buffer.
        ActivationBytes = Planner.Assign(program.Tensors, align);
        foreach (var t in program.Tensors)
            if ((ulong)t.Bytes > maxRange)
                throw new VulkanException($"Vulkan: tensor '{t.Name}' needs {t.Bytes} bytes, more than device '{dev.Name}' can bind as one storage buffer ({maxRange}); use a smaller batch");
        _activations = dev.CreateBuffer(ActivationBytes, BufferUsageFlags.StorageBufferBit | BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit, false, "activations");

        // Staging: every partition input, then every output, host-visible and mapped.
        ulong staging = 0;
        foreach (var v in partition.Inputs)
        {
            _inputs.Add((v, staging));
            staging = Align(staging + (ulong)v.SizeInBytes, 16);
        }
        foreach (var v in partition.Outputs)
        {
            _outputs.Add((v, staging));
            staging = Align(staging + (ulong)v.SizeInBytes, 16);
        }
        _staging = dev.CreateBuffer(staging, BufferUsageFlags.TransferSrcBit | BufferUsageFlags.TransferDstBit, true, "staging");

        // Descriptor sets, allocated and written once.
        var dispatches = program.Dispatches;
        DispatchCount = dispatches.Count;
        int totalBindings = dispatches.Sum(d => d.Bindings.Length);
        if (dispatches.Count > 0)
        {
            var size = new DescriptorPoolSize(DescriptorType.StorageBuffer, (uint)totalBindings);
            var poolInfo = new DescriptorPoolCreateInfo
            {
                SType = StructureType.DescriptorPoolCreateInfo,
                MaxSets = (uint)dispatches.Count,
                PoolSizeCount = 1,
                PPoolSizes = &size,
            };
            DescriptorPool pool;
            dev.Check(_vk.CreateDescriptorPool(dev.Device, &poolInfo, null, &pool), "vkCreateDescriptorPool");
            _descriptorPool = pool;
        }
        var sets = new DescriptorSet[dispatches.Count];
        var pipelines = new Pipeline[dispatches.Count];
        var layouts = new PipelineLayout[dispatches.Count];
        int maxBindings = dispatches.Count == 0 ? 1 : dispatches.Max(d => d.Bindings.Length);
        var infos = stackalloc DescriptorBufferInfo[maxBindings];
        var writes = stackalloc WriteDescriptorSet[maxBindings];
        for (int i = 0; i < dispatches.Count; i++)
        {
            var d = dispatches[i];
            pipelines[i] = dev.Pipeline(d.Shader, d.Bindings.Length, d.Spec);
            var (setLayout, layout) = dev.Layout(d.Bindings.Length);
            layouts[i] = layout;
            var alloc = new DescriptorSetAllocateInfo
            {
                SType = StructureType.DescriptorSetAllocateInfo,
                DescriptorPool = _descriptorPool,
                DescriptorSetCount = 1,
                PSetLayouts = &setLayout,
            };
            DescriptorSet set;
            dev.Check(_vk.AllocateDescriptorSets(dev.Device, &alloc, &set), $"vkAllocateDescriptorSets ({d.What})");
            sets[i] = set;
            for (int b = 0; b < d.Bindings.Length; b++)
            {
                var (buffer, offset, range) = Resolve(d.Bindings[b]);
                infos[b] = new DescriptorBufferInfo(buffer.Buffer, offset, range);
                writes[b] = new WriteDescriptorSet
                {
                    SType = StructureType.WriteDescriptorSet,
                    DstSet = set,
                    DstBinding = (uint)b,
                    DescriptorCount = 1,
                    DescriptorType = DescriptorType.StorageBuffer,
                    PBufferInfo = &infos[b],
                };
            }
            _vk.UpdateDescriptorSets(dev.Device, (uint)d.Bindings.Length, writes, 0, null);
        }

        // The one command buffer, recorded once.
        var cbInfo = new CommandBufferAllocateInfo
        {
            SType = StructureType.CommandBufferAllocateInfo,
            CommandPool = dev.CommandPool,
            Level = CommandBufferLevel.Primary,
            CommandBufferCount = 1,
        };
        CommandBuffer cmd;
        lock (dev.QueueGate)
            dev.Check(_vk.AllocateCommandBuffers(dev.Device, &cbInfo, &cmd), "vkAllocateCommandBuffers");
        _commands = cmd;
        var begin = new CommandBufferBeginInfo { SType = StructureType.CommandBufferBeginInfo };
        dev.Check(_vk.BeginCommandBuffer(cmd, &begin), "vkBeginCommandBuffer");
        foreach (var (v, off) in _inputs)
        {
            var t = program.TensorOf[v];
            var region = new BufferCopy(off, t.Offset, (ulong)v.SizeInBytes);
            _vk.CmdCopyBuffer(cmd, _staging.Buffer, _activations.Buffer, 1, &region);
        }
        Barrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit,
            PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderReadBit | AccessFlags.TransferReadBit);
        var push = stackalloc byte[(int)VulkanDevice.PushConstantBytes];
        for (int i = 0; i < dispatches.Count; i++)
        {
            var d = dispatches[i];
            _vk.CmdBindPipeline(cmd, PipelineBindPoint.Compute, pipelines[i]);
            var set = sets[i];
            _vk.CmdBindDescriptorSets(cmd, PipelineBindPoint.Compute, layouts[i], 0, 1, &set, 0, null);
            new Span<byte>(push, (int)VulkanDevice.PushConstantBytes).Clear();
            d.Push.AsSpan().CopyTo(new Span<byte>(push, d.Push.Length));
            _vk.CmdPushConstants(cmd, layouts[i], ShaderStageFlags.ComputeBit, 0, VulkanDevice.PushConstantBytes, push);
            _vk.CmdDispatch(cmd, d.GroupsX, d.GroupsY, d.GroupsZ);
            Barrier(cmd, PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderWriteBit,
                PipelineStageFlags.ComputeShaderBit, AccessFlags.ShaderReadBit | AccessFlags.ShaderWriteBit);
        }
        Barrier(cmd, PipelineStageFlags.ComputeShaderBit | PipelineStageFlags.TransferBit, AccessFlags.ShaderWriteBit | AccessFlags.TransferWriteBit,
            PipelineStageFlags.TransferBit, AccessFlags.TransferReadBit);
        foreach (var (v, off) in _outputs)
        {
            var t = program.TensorOf[v];
            var region = new BufferCopy(t.Offset, off, (ulong)v.SizeInBytes);
            _vk.CmdCopyBuffer(cmd, _activations.Buffer, _staging.Buffer, 1, &region);
        }
        Barrier(cmd, PipelineStageFlags.TransferBit, AccessFlags.TransferWriteBit, PipelineStageFlags.HostBit, AccessFlags.HostReadBit);
        dev.Check(_vk.EndCommandBuffer(cmd), "vkEndCommandBuffer");

        var fenceInfo = new FenceCreateInfo { SType = StructureType.FenceCreateInfo };
        Fence fence;
        dev.Check(_vk.CreateFence(dev.Device, &fenceInfo, null, &fence), "vkCreateFence");
        _fence = fence;
    }

    private (DeviceBuffer Buffer, ulong Offset, ulong Range) Resolve(Lowering.Binding b) => b.Tensor is { } t
        ? (_activations!, t.Offset, (ulong)Math.Max((t.Bytes + 3) / 4 * 4, 4))
        : (_weights!, (ulong)b.WeightOffset, (ulong)Math.Max(b.WeightBytes, 4));

    private void Barrier(CommandBuffer cmd, PipelineStageFlags srcStage, AccessFlags srcAccess, PipelineStageFlags dstStage, AccessFlags dstAccess)
    {
        var barrier = new MemoryBarrier { SType = StructureType.MemoryBarrier, SrcAccessMask = srcAccess, DstAccessMask = dstAccess };
        _vk.CmdPipelineBarrier(cmd, srcStage, dstStage, 0, 1, &barrier, 0, null, 0, null);
    }

    private static ulong Align(ulong v, ulong a) => (v + a - 1) / a * a;

    public void Run(IArena arena)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        ArgumentNullException.ThrowIfNull(arena);
        _device.ThrowIfLost();
        var staging = _staging!;
        foreach (var (v, off) in _inputs)
            System.Buffer.MemoryCopy(arena.Pointer(v), staging.Mapped + off, v.SizeInBytes, v.SizeInBytes);
        lock (_device.QueueGate)
        {
            var fence = _fence;
            _device.Check(_vk.ResetFences(_device.Device, 1, &fence), "vkResetFences");
            var cmd = _commands;
            var submit = new SubmitInfo { SType = StructureType.SubmitInfo, CommandBufferCount = 1, PCommandBuffers = &cmd };
            _device.Check(_vk.QueueSubmit(_device.Queue, 1, &submit, fence), "vkQueueSubmit");
            _device.Wait(fence, "partition run");
        }
        foreach (var (v, off) in _outputs)
            System.Buffer.MemoryCopy(staging.Mapped + off, arena.Pointer(v), v.SizeInBytes, v.SizeInBytes);
    }

    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        var dev = _device;
        if (!dev.Lost)
            lock (dev.QueueGate)
                _vk.QueueWaitIdle(dev.Queue);
        if (_fence.Handle != 0)
            _vk.DestroyFence(dev.Device, _fence, null);
        if (_commands.Handle != 0)
        {
            var cmd = _commands;
            lock (dev.QueueGate)
                _vk.FreeCommandBuffers(dev.Device, dev.CommandPool, 1, &cmd);
        }
        if (_descriptorPool.Handle != 0)
            _vk.DestroyDescriptorPool(dev.Device, _descriptorPool, null);
        dev.DestroyBuffer(_staging);
        dev.DestroyBuffer(_activations);
        dev.DestroyBuffer(_weights);
        if (_retained)
        {
            _retained = false;
            dev.Release();
        }
    }
}
