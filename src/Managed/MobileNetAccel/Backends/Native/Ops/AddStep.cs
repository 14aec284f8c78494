using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Add of two run-time tensors of the same shape (no broadcasting) with fused activation: mna_f32_add.</summary>
internal sealed class AddStep : NativeStep
{
    private readonly Value _a, _b, _output;
    private readonly NativeActivation _activation;

    public static NativeStepFactory? Plan(AddNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason))
            return null;
        Value a = n.Inputs[0]!, b = n.Inputs[1]!;
        if (a.IsConstant || b.IsConstant)
        {
            reason = "constant operands are not supported by the native add";
            return null;
        }
        if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
        {
            reason = $"broadcasting {Value.FormatShape(a.Shape)} + {Value.FormatShape(b.Shape)} is not supported by the native add";
            return null;
        }
        return _ => new AddStep(n);
    }

    private AddStep(AddNode n)
    {
        _a = n.Inputs[0]!;
        _b = n.Inputs[1]!;
        _output = n.Output;
        _activation = n.Activation.ToNative();
    }

    public override void Run(IArena arena) =>
        NativeKernels.Add(_output.ElementCount, arena.Span<float>(_a), arena.Span<float>(_b), _activation, arena.Span<float>(_output));
}
