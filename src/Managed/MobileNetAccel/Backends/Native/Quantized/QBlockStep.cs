using System.Buffers;
using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// A quantized inverted-residual block: its layers packed once (as <see cref="QConvStep"/> packs them) and run fused,
/// row by row, by the native block driver (mna_q8_irb_run) on the partition's pool. When a layer was packed for the
/// reference kernels (the reference table selected, or an accumulator bound only the reference handles), the layers
/// run one after another on per-call pooled buffers instead — the same bytes either way.
/// </summary>
internal sealed class QBlockStep : QuantizedStep
{
    private readonly QuantizedInvertedResidualNode _node;
    private readonly NativeQ8Layer? _expand;
    private readonly NativeQ8Layer _dw, _project;
    private readonly Conv2DParams _pe, _pd, _pp;
    private readonly QuantEltwiseParams _add;
    private readonly InvertedResidualParams _block;
    private readonly NativeThreadPool? _pool;
    private readonly bool _fused;

    public static QuantizedStepFactory? Plan(QuantizedInvertedResidualNode n, out string reason)
    {
        foreach (var layer in new Node?[] { n.Expand, n.Depthwise, n.Project })
            if (layer is not null && QConvStep.Plan(layer, out reason) is null)
            {
                reason = $"{layer.Op} '{layer.Name}': {reason}";
                return null;
            }
        if (n.Add is not null && QAddStep.Plan(n.Add, out reason) is null)
            return null;
        reason = "";
        return pool => new QBlockStep(n, pool);
    }

    private QBlockStep(QuantizedInvertedResidualNode n, NativeThreadPool? pool)
    {
        _node = n;
        _pool = pool;
        try
        {
            if (n.Expand is not null)
                _expand = QConvStep.PackLayer(n.Expand, out _pe);
            _dw = QConvStep.PackLayer(n.Depthwise, out _pd);
            _project = QConvStep.PackLayer(n.Project, out _pp);
        }
        catch
        {
            _expand?.Dispose();
            _dw?.Dispose();
            throw;
        }
        if (n.Add is not null)
            _add = Q.Eltwise(n.Project.Output, n.Input, n.Add.Output, n.Add.Activation); // a = project, b = block input
        var x = n.Input.Shape;
        _block = new InvertedResidualParams
        {
            Batch = x[0], InH = x[1], InW = x[2], InC = x[3],
            HiddenC = n.Expand is null ? 0 : n.Expand.Output.Shape[3],
            OutC = n.Project.Output.Shape[3], Stride = n.Depthwise.StrideH,
            PadTop = _pd.PadTop, PadLeft = _pd.PadLeft, PadBottom = _pd.PadBottom, PadRight = _pd.PadRight,
            Residual = n.Add is null ? 0 : 1,
        };
        _fused = _dw.Isa != IntegerKernelIsa.Reference && _project.Isa != IntegerKernelIsa.Reference
            && (_expand is null || _expand.Isa != IntegerKernelIsa.Reference);
    }

    public override void Run(IArena arena)
    {
        var x = arena.Span<byte>(_node.Input);
        var y = arena.Span<byte>(_node.Output);
        if (_fused)
        {
            NativeQ8Layer.RunBlock(_expand, _dw, _project, _node.Add is null ? null : _add, _block, x, y, _pool);
            return;
        }
        // layer by layer on this call's own buffers (concurrent callers rent their own)
        int e = checked((int)(_node.Expand?.Output.ElementCount ?? 0)), d = checked((int)_node.Depthwise.Output.ElementCount);
        int p = _node.Add is null ? 0 : checked((int)_node.Project.Output.ElementCount);
        byte[] buf = ArrayPool<byte>.Shared.Rent(e + d + p);
        try
        {
            Span<byte> es = buf.AsSpan(0, e), ds = buf.AsSpan(e, d), ps = buf.AsSpan(e + d, p);
            if (_expand is not null)
                _expand.RunConv(_pe, 1, 1, x, es, _pool);
            _dw.RunConv(_pd, 1, 1, _expand is null ? x : es, ds, _pool);
            if (_node.Add is null)
            {
                _project.RunConv(_pp, 1, 1, ds, y, _pool);
                return;
            }
            _project.RunConv(_pp, 1, 1, ds, ps, _pool);
            NativeQuantKernels.Add(Q.Type(_node.Output.DataType), _node.Output.ElementCount, _add, ps, x, y);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buf);
        }
    }

    public override void Dispose()
    {
        _expand?.Dispose();
        _dw.Dispose();
        _project.Dispose();
    }
}
