using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Quantized;

/// <summary>
/// The integer path inside the native CPU backend: any node with a uint8/int8 input or output runs as the matching
/// <see cref="QuantizedStep"/> (scalar reference kernels of mna.h, fp32 requantization). One line in
/// <see cref="NativeOps.Plan"/> routes such nodes here.
/// </summary>
internal sealed class QuantizedNativeStep : NativeStep
{
    private readonly QuantizedStep _step;

    private QuantizedNativeStep(QuantizedStep step) => _step = step;

    /// <summary>Whether the node belongs to the integer path (some input or output is uint8/int8).</summary>
    public static bool Handles(Node node) =>
        node.Inputs.Concat(node.Outputs).Any(v => v is not null && Q.IsQuantized(v.DataType));

    public static NativeStepFactory? Plan(Node node, out string reason)
    {
        var f = QuantizedOps.Plan(node, out reason);
        return f is null ? null : context => new QuantizedNativeStep(f(context.Pool));
    }

    public override void Run(IArena arena) => _step.Run(arena);

    public override void Dispose() => _step.Dispose();
}
