using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Graph;
using MobileNetAccel.Ilgpu.Kernels;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>
/// One node as the ILGPU backend runs it: returned by <see cref="IlgpuOps.Plan"/> (null there, with the reason, when
/// the backend cannot run the node), it tells <see cref="IlgpuCompiledPartition"/> which weights to pack, what device
/// storage the node needs beyond its outputs, and emits the node's kernel launches.
/// </summary>
internal abstract class IlgpuOp
{
    /// <summary>Weights in their packed device layouts; <see cref="Emit"/> gets their offsets in this order.</summary>
    public virtual float[][] Pack() => Array.Empty<float[]>();

    /// <summary>Constant inputs the kernels read as they are (uploaded unpacked, once per value).</summary>
    public virtual IEnumerable<Value> RawConstants => Array.Empty<Value>();

    /// <summary>The value whose device storage the node's output shares (no launch), or null.</summary>
    public virtual Value? OutputAliases => null;

    /// <summary>Floats of device scratch the node needs during its own launches (0: none).</summary>
    public virtual long ScratchElements => 0;

    /// <summary>A uint8/int8 partition input the node reads as bytes, or null.</summary>
    public virtual Value? ByteInput => null;

    /// <summary>Adds the node's kernel launches; <paramref name="packed"/>: offsets of <see cref="Pack"/>'s arrays.</summary>
    public abstract void Emit(IlgpuEmitter e, long[] packed);
}

/// <summary>What an <see cref="IlgpuOp"/> emits against: the kernel set, the stream, the launch geometry and the
/// device storage of the partition being compiled.</summary>
internal sealed class IlgpuEmitter
{
    public required KernelSet Kernels { get; init; }
    public required AcceleratorStream Stream { get; init; }
    public required GemmGeometry Gemm { get; init; }
    public required SpecializedValue<int> GemmThreads { get; init; }
    public required SpecializedValue<int> GemmTileK { get; init; }
    public required int MaxGroups { get; init; }
    public required int MaxThreads { get; init; }
    public required int GroupSize { get; init; }
    public required MemoryBuffer1D<float, Stride1D.Dense> Weights { get; init; }
    public required MemoryBuffer1D<float, Stride1D.Dense> Activations { get; init; }
    public required IReadOnlyDictionary<Value, long> WeightOffsets { get; init; }
    public required IReadOnlyDictionary<Node, long> ScratchOffsets { get; init; }
    public required IReadOnlyDictionary<Value, MemoryBuffer1D<byte, Stride1D.Dense>> ByteInputs { get; init; }
    public required Func<Value, ArrayView1D<float, Stride1D.Dense>> Act { get; init; }
    public required List<Action> Steps { get; init; }

    public int Threads(int n) => Math.Min(n, MaxThreads);

    /// <summary>A run-time value's storage, or a raw constant's (see <see cref="IlgpuOp.RawConstants"/>).</summary>
    public ArrayView<float> View(Value v) =>
        v.IsConstant ? Weights.View.SubView(WeightOffsets[v], v.ElementCount) : Act(v);

    /// <summary>Packed weights at <paramref name="offset"/>.</summary>
    public ArrayView<float> Weight(long offset, long length) => Weights.View.SubView(offset, length);

    public ArrayView1D<float, Stride1D.Dense> Scratch(Node node, long length) => Activations.View.SubView(ScratchOffsets[node], length);

    public void Launch(Action step) => Steps.Add(step);

    public static WindowShape Window(Value x, Value y) => new()
    {
        N = x.Shape[0], InH = x.Shape[1], InW = x.Shape[2], InC = x.Shape[3],
        OutH = y.Shape[1], OutW = y.Shape[2], OutC = y.Shape[3],
    };

    /// <summary>Element-wise clamp to [lo, hi] (activations and clips).</summary>
    public void Clip(Value input, Value output, float lo, float hi)
    {
        var x = Act(input);
        var y = Act(output);
        var launch = Kernels.Clip.Value;
        var stream = Stream;
        int n = (int)output.ElementCount;
        int t = Threads(n);
        Launch(() => launch(stream, t, n, t, x, y, lo, hi));
    }
}

/// <summary>Weight layouts shared by the packing entries.</summary>
internal static class Packing
{
    public static float[] Or(Value? v, int n) => v is null ? new float[n] : v.AsFloats().ToArray();

    /// <summary>[rows, cols] → [cols, rows].</summary>
    public static float[] Transpose(ReadOnlySpan<float> w, int rows, int cols)
    {
        var t = new float[w.Length];
        for (int r = 0; r < rows; r++)
            for (int c = 0; c < cols; c++)
                t[(long)c * rows + r] = w[r * cols + c];
        return t;
    }
}
