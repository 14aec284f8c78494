using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>A fused inverted-residual block: expand + depthwise in expand_dw.comp where the device has the shared
/// memory for it (else a GEMM to device memory, then dwconv.comp), then the projection GEMM with the residual add.</summary>
internal sealed class InvertedResidualOp(InvertedResidualNode irb) : VulkanOp
{
    public static VulkanOp? Plan(InvertedResidualNode n, out string reason)
    {
        reason = "";
        return new InvertedResidualOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        const int block = Lowering.ExpandChannelBlock;
        var x = irb.Input.Shape;
        var o = irb.Output.Shape;
        int hidden = irb.HiddenChannels;
        int n = x[0];
        var pad = irb.Padding;
        var input = b.Read(irb.Input);
        var dwW = b.Read(irb.DepthwiseWeights);
        var dwB = b.BiasOrZero(irb.DepthwiseBias, hidden);
        long dwBytes = (long)n * o[1] * o[2] * hidden * 4;
        Lowering.Binding dwOut;
        if (irb.ExpandWeights is { } ew)
        {
            var eB = b.BiasOrZero(irb.ExpandBias, hidden);
            var eW = b.Read(ew);
            int tile = irb.Stride == 1 ? 8 : 4;
            int it = (tile - 1) * irb.Stride + 3;
            long shared = ((long)it * it * block + (long)it * it * 16 + block * 17) * 4;
            if (shared <= b.Device.Limits.MaxComputeSharedMemorySize && !Lowering.ForceUnfusedExpand)
            {
                // Fused: the expanded tensor lives only in shared memory.
                dwOut = b.Temp(irb.Name + "/dw", dwBytes);
                int tilesX = (o[2] + tile - 1) / tile, tilesY = (o[1] + tile - 1) / tile;
                b.Add("expand_dw", irb.Name + " (expand+depthwise)",
                    new[] { irb.Stride, tile, (int)irb.ExpandActivation, (int)irb.DepthwiseActivation },
                    new[] { x[1], x[2], x[3], hidden, o[1], o[2], pad.Top, pad.Left, tilesX },
                    new[] { input, eW, eB, dwW, dwB, dwOut },
                    ((uint)(tilesX * tilesY), (uint)((hidden + block - 1) / block), (uint)n));
            }
            else
            {
                // Too little shared memory on this device: expand to device memory, then depthwise.
                var expanded = b.Temp(irb.Name + "/expand", (long)n * x[1] * x[2] * hidden * 4);
                b.Gemm(irb.Name + " (expand)", input, eW, eB, null, expanded, (long)n * x[1] * x[2], hidden, x[3], irb.ExpandActivation);
                dwOut = b.Temp(irb.Name + "/dw", dwBytes);
                long total = dwBytes / 4;
                b.Add("dwconv", irb.Name + " (depthwise)", new[] { 3, 3, irb.Stride, irb.Stride, (int)irb.DepthwiseActivation },
                    new[] { (int)total, x[1], x[2], hidden, o[1], o[2], pad.Top, pad.Left },
                    new[] { b.ReadTemp(expanded), dwW, dwB, dwOut }, Lowering.Builder.Linear(total, irb.Name));
            }
        }
        else
        {
            dwOut = b.Temp(irb.Name + "/dw", dwBytes);
            long total = dwBytes / 4;
            b.Add("dwconv", irb.Name + " (depthwise)", new[] { 3, 3, irb.Stride, irb.Stride, (int)irb.DepthwiseActivation },
                new[] { (int)total, x[1], x[2], hidden, o[1], o[2], pad.Top, pad.Left },
                new[] { input, dwW, dwB, dwOut }, Lowering.Builder.Linear(total, irb.Name));
        }
        var residual = irb.Residual ? b.Read(irb.Input) : null;
        b.Gemm(irb.Name + " (project)", b.ReadTemp(dwOut), b.Read(irb.ProjectWeights), b.BiasOrZero(irb.ProjectBias, o[3]), residual,
            b.Write(irb.Output), (long)n * o[1] * o[2], o[3], hidden, irb.ProjectActivation);
    }
}
