using MobileNetAccel.Graph;

namespace MobileNetAccel.Vulkan.Ops;

/// <summary>Dequantize of a per-tensor uint8/int8 run-time value to float32: dequant.comp.</summary>
internal sealed class DequantizeOp(DequantizeNode dq) : VulkanOp
{
    public static VulkanOp? Plan(DequantizeNode n, out string reason)
    {
        var q = n.Input;
        if (q.DataType is not (DataType.UInt8 or DataType.Int8) || q.IsConstant || q.Quantization is not { IsPerChannel: false } || n.Output.DataType != DataType.Float32)
        {
            reason = $"the Vulkan backend dequantizes per-tensor uint8/int8 run-time values to float32 only; '{q.Name}' is {q.DataType}" +
                (q.Quantization is { IsPerChannel: true } ? " per-channel" : "");
            return null;
        }
        reason = "";
        return new DequantizeOp(n);
    }

    public override void Lower(Lowering.Builder b)
    {
        var qp = dq.Input.Quantization!;
        long total = dq.Output.ElementCount;
        b.Add("dequant", dq.Name, new[] { dq.Input.DataType == DataType.Int8 ? 1 : 0 },
            new[] { (int)total, Lowering.Builder.Bits(qp.Scale), (int)qp.ZeroPoint },
            new[] { b.Read(dq.Input), b.Write(dq.Output) }, Lowering.Builder.Linear(total, dq.Name));
    }
}
