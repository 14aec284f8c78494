using MobileNetAccel.Backends;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>Reshape: the data is unchanged, so it is a copy from the input's place in the arena to the output's.</summary>
internal sealed class ReshapeStep : NativeStep
{
    private readonly Value _input, _output;

    public static NativeStepFactory? Plan(ReshapeNode n, out string reason)
    {
        reason = "";
        if (n.Input.IsConstant)
        {
            reason = "reshape of a constant should be folded";
            return null;
        }
        return _ => new ReshapeStep(n);
    }

    private ReshapeStep(ReshapeNode n)
    {
        _input = n.Input;
        _output = n.Output;
    }

    public override unsafe void Run(IArena arena)
    {
        byte* x = arena.Pointer(_input), y = arena.Pointer(_output);
        if (x != y)
            Buffer.MemoryCopy(x, y, _output.SizeInBytes, _input.SizeInBytes);
    }
}
