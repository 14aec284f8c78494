using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Backends.Native.Ops;

/// <summary>FullyConnected: mna_f32_fully_connected, weights [M][K] packed once.</summary>
internal sealed class FullyConnectedStep : NativeStep
{
    private readonly Value _input, _output;
    private readonly int _batch, _in, _out;
    private readonly NativeActivation _activation;
    private readonly NativeBuffer _weights;
    private readonly NativeBuffer? _bias;
    private readonly NativeContext _ctx;

    public static NativeStepFactory? Plan(FullyConnectedNode n, out string reason)
    {
        if (!NativeOps.AllFloat(n, out reason) || !NativeOps.Constants(out reason, n.Weights, n.Bias))
            return null;
        return ctx => new FullyConnectedStep(n, ctx);
    }

    private FullyConnectedStep(FullyConnectedNode n, NativeContext ctx)
    {
        _ctx = ctx;
        _input = n.Input;
        _output = n.Output;
        _batch = n.Output.Shape[0];
        _in = n.Weights.Shape[1];
        _out = n.Weights.Shape[0];
        _activation = n.Activation.ToNative();
        _weights = new NativeBuffer(n.Weights.AsFloats());
        _bias = NativeBuffer.From(n.Bias);
    }

    public override void Run(IArena arena) =>
        NativeKernels.FullyConnected(_batch, _in, _out, arena.Span<float>(_input), _weights.Span, _bias.OrEmpty(), _activation, arena.Span<float>(_output), _ctx.Pool);

    public override void Dispose()
    {
        _weights.Dispose();
        _bias?.Dispose();
    }
}
