namespace MobileNetAccel.Graph;

/// <summary>Numpy-broadcasting binary element-wise op.</summary>
public abstract class BinaryNode : Node
{
    protected BinaryNode(string name, Value a, Value b, Value output) : base(name, new[] { a, b }, new[] { output }) { }

    public Activation Activation { get; set; }

    public override void InferShapes()
    {
        var a = Require(0, "a").Shape;
        var b = Require(1, "b").Shape;
        int rank = Math.Max(a.Length, b.Length);
        var o = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Length) >= 0 ? a[i - (rank - a.Length)] : 1;
            int db = i - (rank - b.Length) >= 0 ? b[i - (rank - b.Length)] : 1;
            if (da != db && da != 1 && db != 1)
                throw Error($"shapes {Value.FormatShape(a)} and {Value.FormatShape(b)} do not broadcast");
            o[i] = da == 1 ? db : da;
        }
        Output.Shape = o;
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Inputs[0]!.DataType;
    }
}

/// <summary>a + b (broadcasting), fused activation.</summary>
public sealed class AddNode : BinaryNode
{
    public AddNode(string name, Value a, Value b, Value output) : base(name, a, b, output) { }
    public override OpType Op => OpType.Add;
}

/// <summary>a * b (broadcasting), fused activation.</summary>
public sealed class MulNode : BinaryNode
{
    public MulNode(string name, Value a, Value b, Value output) : base(name, a, b, output) { }
    public override OpType Op => OpType.Mul;
}

/// <summary>Shape-preserving unary op base.</summary>
public abstract class UnaryNode : Node
{
    protected UnaryNode(string name, Value input, Value output) : base(name, new[] { input }, new[] { output }) { }

    public override void InferShapes()
    {
        Output.Shape = (int[])Input.Shape.Clone();
        if (Output.DataType != DataType.UInt8 && Output.DataType != DataType.Int8)
            Output.DataType = Input.DataType;
    }
}

/// <summary>ReLU / ReLU6 as a standalone node (fused into its producer by a pass).</summary>
public sealed class ActivationNode : UnaryNode
{
    public ActivationNode(string name, Value input, Value output, Activation kind) : base(name, input, output) => Kind = kind;
    public override OpType Op => OpType.Activation;
    public Activation Kind { get; set; }
}

/// <summary>Logistic sigmoid 1 / (1 + exp(−x)) (TFLite LOGISTIC). A quantized output has TFLite's fixed parameters:
/// scale 1/256 with zero point 0 (uint8) or −128 (int8).</summary>
public sealed class LogisticNode : UnaryNode
{
    public LogisticNode(string name, Value input, Value output) : base(name, input, output) { }
    public override OpType Op => OpType.Logistic;
}

/// <summary>Clamp to [Min, Max] (ONNX Clip). Clip(0,6) is rewritten to ReLU6 and Clip(0,inf) to ReLU by the activation pass.</summary>
public sealed class ClipNode : UnaryNode
{
    public ClipNode(string name, Value input, Value output, float min, float max) : base(name, input, output)
    {
        Min = min;
        Max = max;
    }

    public override OpType Op => OpType.Clip;
    public float Min { get; set; }
    public float Max { get; set; }
}

/// <summary>Softmax over the last axis: exp(Beta*(x-max)) / sum.</summary>
public sealed class SoftmaxNode : UnaryNode
{
    public SoftmaxNode(string name, Value input, Value output, float beta = 1f) : base(name, input, output) => Beta = beta;
    public override OpType Op => OpType.Softmax;
    public float Beta { get; set; }
}

/// <summary>Inference batch normalisation over the last (channel) axis. Inputs: [x, scale, offset, mean, variance].</summary>
public sealed class BatchNormNode : UnaryNode
{
    public BatchNormNode(string name, Value input, Value scale, Value offset, Value mean, Value variance, Value output, float epsilon)
        : base(name, input, output)
    {
        Inputs.AddRange(new[] { scale, offset, mean, variance });
        Epsilon = epsilon;
    }

    public override OpType Op => OpType.BatchNorm;
    public float Epsilon { get; set; }
    public Value Scale => Require(1, "scale");
    public Value Offset => Require(2, "offset");
    public Value Mean => Require(3, "mean");
    public Value Variance => Require(4, "variance");

    public override void InferShapes()
    {
        int c = Input.Shape[^1];
        for (int i = 1; i <= 4; i++)
        {
            var v = Require(i, "batch-norm parameter");
            if (v.ElementCount != c)
                throw Error($"parameter '{v.Name}' {Value.FormatShape(v.Shape)} does not match {c} channels");
        }
        base.InferShapes();
    }
}

/// <summary>float → quantized (output carries the quantization parameters).</summary>
public sealed class QuantizeNode : UnaryNode
{
    public QuantizeNode(string name, Value input, Value output) : base(name, input, output) { }
    public override OpType Op => OpType.Quantize;
    /// <summary>The type the model file gives the output when an importer changed it (e.g. uint8 activations run as
    /// int8, zero point − 128): what a caller feeding the quantized input directly holds. Null when unchanged.</summary>
    public DataType? DeclaredType { get; set; }
    public override void InferShapes() => Output.Shape = (int[])Input.Shape.Clone();
}

/// <summary>quantized → float32.</summary>
public sealed class DequantizeNode : UnaryNode
{
    public DequantizeNode(string name, Value input, Value output) : base(name, input, output) { }
    public override OpType Op => OpType.Dequantize;

    public override void InferShapes()
    {
        Output.Shape = (int[])Input.Shape.Clone();
        Output.DataType = DataType.Float32;
    }
}
