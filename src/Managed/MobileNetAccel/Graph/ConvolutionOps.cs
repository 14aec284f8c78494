namespace MobileNetAccel.Graph;

/// <summary>Shared logic of windowed NHWC ops (conv, depthwise, pooling).</summary>
public abstract class WindowNode : Node
{
    protected WindowNode(string name, IEnumerable<Value?> inputs, IEnumerable<Value> outputs) : base(name, inputs, outputs) { }

    public int StrideH { get; set; } = 1;
    public int StrideW { get; set; } = 1;
    public Padding Padding { get; set; } = Padding.Zero;
    public Activation Activation { get; set; } = Activation.None;

    protected (int OutH, int OutW) Window(int inH, int inW, int kernelH, int kernelW)
    {
        if (StrideH <= 0 || StrideW <= 0)
            throw Error($"stride {StrideH}x{StrideW} must be positive");
        if (Padding.Top < 0 || Padding.Left < 0 || Padding.Bottom < 0 || Padding.Right < 0)
            throw Error($"padding {Padding} must not be negative");
        if (kernelH <= 0 || kernelW <= 0)
            throw Error($"kernel {kernelH}x{kernelW} must be positive");
        long ph = (long)inH + Padding.Top + Padding.Bottom, pw = (long)inW + Padding.Left + Padding.Right;
        if (ph < kernelH || pw < kernelW)
            throw Error($"the {kernelH}x{kernelW} window does not fit the padded {ph}x{pw} input");
        return ((int)((ph - kernelH) / StrideH + 1), (int)((pw - kernelW) / StrideW + 1));
    }
}

/// <summary>Full convolution. Inputs: [x NHWC, weights OHWI [Cout,KH,KW,Cin], bias [Cout] (optional)].</summary>
public sealed class Conv2DNode : WindowNode
{
    public Conv2DNode(string name, Value input, Value weights, Value? bias, Value output) : base(name, new[] { input, weights, bias }, new[] { output }) { }

    public override OpType Op => OpType.Conv2D;
    public Value Weights => Require(1, "weights");
    public Value? Bias => Inputs.Count > 2 ? Inputs[2] : null;
    /// <summary>Whether the bias counts as a trainable parameter (TF-slim: only for the classifier conv, the others have batch norm).</summary>
    public bool BiasIsParameter { get; set; }
    /// <summary>A 1x1, stride-1, unpadded convolution: a GEMM over the pixels (every backend's fast path).</summary>
    public bool IsPointwise => KernelH == 1 && KernelW == 1 && StrideH == 1 && StrideW == 1 && Padding.IsZero;

    public int KernelH => Weights.Shape[1];
    public int KernelW => Weights.Shape[2];

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        var w = RequireRank(Weights, 4, "weights");
        if (w[3] != x[3])
            throw Error($"weights {Value.FormatShape(w)} expect {w[3]} input channels; input {Value.FormatShape(x)} has {x[3]}");
        if (Bias is { } b && (b.Rank != 1 || b.Shape[0] != w[0]))
            throw Error($"bias {Value.FormatShape(b.Shape)} does not match {w[0]} output channels");
        var (oh, ow) = Window(x[1], x[2], w[1], w[2]);
        Output.Shape = new[] { x[0], oh, ow, w[0] };
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }

    public override long Macs
    {
        get
        {
            var o = Output.Shape;
            var w = Weights.Shape;
            return (long)o[1] * o[2] * w[0] * w[1] * w[2] * w[3];
        }
    }

    public override long Parameters => Weights.ElementCount + (BiasIsParameter && Bias is { } b ? b.ElementCount : 0);
}

/// <summary>Depthwise convolution, multiplier 1. Inputs: [x NHWC, weights [1,KH,KW,C], bias [C] (optional)].
/// With dilation d, tap k of the window reads input position (output · stride − pad + k · d): the window spans
/// (K − 1) · d + 1 pixels (DeepLab's atrous convolutions).</summary>
public sealed class DepthwiseConv2DNode : WindowNode
{
    public DepthwiseConv2DNode(string name, Value input, Value weights, Value? bias, Value output) : base(name, new[] { input, weights, bias }, new[] { output }) { }

    public override OpType Op => OpType.DepthwiseConv2D;
    public Value Weights => Require(1, "weights");
    public Value? Bias => Inputs.Count > 2 ? Inputs[2] : null;
    public int KernelH => Weights.Shape[1];
    public int KernelW => Weights.Shape[2];
    /// <summary>Vertical dilation factor (1 = none).</summary>
    public int DilationH { get; set; } = 1;
    /// <summary>Horizontal dilation factor (1 = none).</summary>
    public int DilationW { get; set; } = 1;
    /// <summary>True when the window is dilated (a backend without dilation must refuse the node).</summary>
    public bool IsDilated => DilationH != 1 || DilationW != 1;

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        var w = RequireRank(Weights, 4, "weights");
        if (w[0] != 1 || w[3] != x[3])
            throw Error($"weights {Value.FormatShape(w)} must be [1,KH,KW,{x[3]}] (depth multiplier 1) for input {Value.FormatShape(x)}");
        if (Bias is { } b && (b.Rank != 1 || b.Shape[0] != x[3]))
            throw Error($"bias {Value.FormatShape(b.Shape)} does not match {x[3]} channels");
        if (DilationH < 1 || DilationW < 1 || DilationH > 1024 || DilationW > 1024)
            throw Error($"dilation {DilationH}x{DilationW} must be between 1 and 1024");
        var (oh, ow) = Window(x[1], x[2], (w[1] - 1) * DilationH + 1, (w[2] - 1) * DilationW + 1);
        Output.Shape = new[] { x[0], oh, ow, x[3] };
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }

    public override long Macs
    {
        get
        {
            var o = Output.Shape;
            var w = Weights.Shape;
            return (long)o[1] * o[2] * o[3] * w[1] * w[2];
        }
    }

    public override long Parameters => Weights.ElementCount;
}

/// <summary>Fully connected. Inputs: [x (flattened to [N,K]), weights [M,K], bias [M] (optional)]. Output [N,M].</summary>
public sealed class FullyConnectedNode : Node
{
    public FullyConnectedNode(string name, Value input, Value weights, Value? bias, Value output) : base(name, new[] { input, weights, bias }, new[] { output }) { }

    public override OpType Op => OpType.FullyConnected;
    public Value Weights => Require(1, "weights");
    public Value? Bias => Inputs.Count > 2 ? Inputs[2] : null;
    public Activation Activation { get; set; }

    public override void InferShapes()
    {
        var w = RequireRank(Weights, 2, "weights");
        long n = Input.ElementCount;
        if (w[1] <= 0 || n % w[1] != 0)
            throw Error($"input {Value.FormatShape(Input.Shape)} cannot be flattened to rows of {w[1]} (weights {Value.FormatShape(w)})");
        if (Bias is { } b && (b.Rank != 1 || b.Shape[0] != w[0]))
            throw Error($"bias {Value.FormatShape(b.Shape)} does not match {w[0]} outputs");
        Output.Shape = new[] { (int)(n / w[1]), w[0] };
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }

    /// <summary>Per image (one row per image).</summary>
    public override long Macs => (long)Weights.Shape[0] * Weights.Shape[1];

    public override long Parameters => Weights.ElementCount + (Bias?.ElementCount ?? 0);
}

/// <summary>Average pooling over a KernelH x KernelW window (padded positions not counted).</summary>
public sealed class AveragePool2DNode : WindowNode
{
    public AveragePool2DNode(string name, Value input, Value output, int kernelH, int kernelW) : base(name, new[] { input }, new[] { output })
    {
        KernelH = kernelH;
        KernelW = kernelW;
    }

    public override OpType Op => OpType.AveragePool2D;
    public int KernelH { get; set; }
    public int KernelW { get; set; }

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        var (oh, ow) = Window(x[1], x[2], KernelH, KernelW);
        Output.Shape = new[] { x[0], oh, ow, x[3] };
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }
}

/// <summary>Mean over H and W: [N,H,W,C] → [N,1,1,C].</summary>
public sealed class GlobalAveragePoolNode : Node
{
    public GlobalAveragePoolNode(string name, Value input, Value output) : base(name, new[] { input }, new[] { output }) { }
    public override OpType Op => OpType.GlobalAveragePool;

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        Output.Shape = new[] { x[0], 1, 1, x[3] };
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }
}

/// <summary>
/// The fused inverted-residual block: [expand 1x1 + act] → depthwise 3x3 + act → project 1x1 (+ act) (+ input).
/// Inputs: [x, expandW [H,Cin] or null, expandB [H] or null, dwW [1,3,3,H], dwB [H] or null, projectW [Cout,H], projectB [Cout] or null].
/// </summary>
public sealed class InvertedResidualNode : Node
{
    public InvertedResidualNode(string name, Value input, Value? expandW, Value? expandB, Value dwW, Value? dwB, Value projectW, Value? projectB, Value output)
        : base(name, new[] { input, expandW, expandB, dwW, dwB, projectW, projectB }, new[] { output }) { }

    public override OpType Op => OpType.InvertedResidual;
    public Value? ExpandWeights => Inputs[1];
    public Value? ExpandBias => Inputs[2];
    public Value DepthwiseWeights => Require(3, "depthwise weights");
    public Value? DepthwiseBias => Inputs[4];
    public Value ProjectWeights => Require(5, "project weights");
    public Value? ProjectBias => Inputs[6];
    public int Stride { get; set; } = 1;
    public Padding Padding { get; set; } = new(1, 1, 1, 1);
    public Activation ExpandActivation { get; set; } = Activation.Relu6;
    public Activation DepthwiseActivation { get; set; } = Activation.Relu6;
    public Activation ProjectActivation { get; set; } = Activation.None;
    public bool Residual { get; set; }
    public int HiddenChannels => ExpandWeights?.Shape[0] ?? Input.Shape[3];

    public override void InferShapes()
    {
        var x = RequireRank(Input, 4, "input");
        int hidden = HiddenChannels;
        if (ExpandWeights is { } ew && (ew.Rank != 2 || ew.Shape[1] != x[3]))
            throw Error($"expand weights {Value.FormatShape(ew.Shape)} do not fit input {Value.FormatShape(x)}");
        var dw = DepthwiseWeights.Shape;
        if (dw.Length != 4 || dw[0] != 1 || dw[1] != 3 || dw[2] != 3 || dw[3] != hidden)
            throw Error($"depthwise weights {Value.FormatShape(dw)} must be [1,3,3,{hidden}]");
        var pw = ProjectWeights.Shape;
        if (pw.Length != 2 || pw[1] != hidden)
            throw Error($"project weights {Value.FormatShape(pw)} must be [Cout,{hidden}]");
        if (Stride is not (1 or 2))
            throw Error($"stride {Stride} must be 1 or 2");
        long ph = (long)x[1] + Padding.Top + Padding.Bottom, pwid = (long)x[2] + Padding.Left + Padding.Right;
        if (ph < 3 || pwid < 3)
            throw Error($"the 3x3 window does not fit the padded {ph}x{pwid} input");
        int oh = (int)((ph - 3) / Stride + 1), ow = (int)((pwid - 3) / Stride + 1);
        if (Residual && (Stride != 1 || x[3] != pw[0] || oh != x[1] || ow != x[2]))
            throw Error($"a residual connection needs stride 1 and equal shapes; input {Value.FormatShape(x)}, output [{x[0]},{oh},{ow},{pw[0]}]");
        Output.Shape = new[] { x[0], oh, ow, pw[0] };
        Output.DataType = Input.DataType;
    }

    public override long Macs
    {
        get
        {
            var x = Input.Shape;
            var o = Output.Shape;
            int h = HiddenChannels;
            long expand = ExpandWeights is null ? 0 : (long)x[1] * x[2] * h * x[3];
            return expand + (long)o[1] * o[2] * h * 9 + (long)o[1] * o[2] * o[3] * h;
        }
    }

    public override long Parameters => (ExpandWeights?.ElementCount ?? 0) + DepthwiseWeights.ElementCount + ProjectWeights.ElementCount;
}
