using MobileNetAccel.Graph;

namespace MobileNetAccel.Ilgpu.Ops;

/// <summary>Dequantize of a per-tensor uint8/int8 partition input (uploaded as bytes) to float32 on the device.</summary>
internal sealed class DequantizeOp(DequantizeNode dq) : IlgpuOp
{
    public static IlgpuOp? Plan(DequantizeNode n, out string reason)
    {
        if (n.Input.DataType is not (DataType.UInt8 or DataType.Int8) || n.Input.Quantization is not { IsPerChannel: false } || n.Output.DataType != DataType.Float32)
        {
            reason = $"Dequantize of '{n.Input.Name}' ({n.Input.DataType}, {n.Input.Quantization?.ToString() ?? "no quantization"}): " +
                "the ILGPU kernel dequantizes per-tensor uint8/int8 graph inputs to float32";
            return null;
        }
        reason = "";
        return new DequantizeOp(n);
    }

    public override Value? ByteInput => dq.Input;

    public override void Emit(IlgpuEmitter e, long[] w)
    {
        var stream = e.Stream;
        var x = e.ByteInputs[dq.Input].View;
        var y = e.Act(dq.Output);
        var q = dq.Input.Quantization!;
        float scale = q.Scale;
        int zeroPoint = (int)q.ZeroPoint;
        int signed = dq.Input.DataType == DataType.Int8 ? 1 : 0;
        var launch = e.Kernels.Dequantize.Value;
        int n = (int)dq.Output.ElementCount;
        int t = e.Threads(n);
        e.Launch(() => launch(stream, t, n, t, x, y, scale, zeroPoint, signed));
    }
}
