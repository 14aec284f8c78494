
namespace MobileNetAccel.Graph;

/// <summary>Raised when a graph is malformed: shapes that do not fit, missing inputs, cycles. The message names the node.</summary>
public sealed class GraphException : Exception
{
    public GraphException(string message) : base(message) { }
    public GraphException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>Explicit spatial padding (TFLite SAME/VALID and ONNX pads both map onto it).</summary>
public readonly record struct Padding(int Top, int Left, int Bottom, int Right)
{
    public static readonly Padding Zero = new(0, 0, 0, 0);

    /// <summary>TensorFlow's SAME padding for one axis: total = max((ceil(in/stride)-1)*stride + k - in, 0), extra at the end.</summary>
    public static (int Before, int After) Same(int input, int kernel, int stride, int dilation = 1)
    {
        int effective = (kernel - 1) * dilation + 1;
        int output = (input + stride - 1) / stride;
        int total = Math.Max((output - 1) * stride + effective - input, 0);
        return (total / 2, total - total / 2);
    }

    public static Padding Same(int inH, int inW, int kernelH, int kernelW, int strideH, int strideW)
    {
        var (t, b) = Same(inH, kernelH, strideH);
        var (l, r) = Same(inW, kernelW, strideW);
        return new Padding(t, l, b, r);
    }

    public bool IsZero => Top == 0 && Left == 0 && Bottom == 0 && Right == 0;
    public override string ToString() => $"t{Top} l{Left} b{Bottom} r{Right}";
}

/// <summary>Operator kinds of the IR.</summary>
public enum OpType
{
    Conv2D,
    DepthwiseConv2D,
    FullyConnected,
    Add,
    Mul,
    Activation,
    Clip,
    AveragePool2D,
    GlobalAveragePool,
    Reshape,
    Softmax,
    Pad,
    BatchNorm,
    InvertedResidual,
    Quantize,
    Dequantize,
    Transpose,
    Concat,
    MatMul,
    QuantizedInvertedResidual,
    DetectionPostProcess,
    ResizeBilinear,
    ArgMax,
    Logistic,
}

/// <summary>
/// A node of the graph. Inputs/outputs are <see cref="Value"/>s; constant inputs (weights, biases) are constant values.
/// Each subclass documents its input order and attributes and infers its output shapes.
/// </summary>
public abstract class Node
{
    protected Node(string name, IEnumerable<Value?> inputs, IEnumerable<Value> outputs)
    {
        Name = name;
        Inputs = inputs.ToList();
        Outputs = outputs.ToList();
    }

    public string Name { get; set; }
    public abstract OpType Op { get; }
    /// <summary>Inputs in the operator's documented order; an optional input that is absent is null.</summary>
    public List<Value?> Inputs { get; private set; }
    public List<Value> Outputs { get; private set; }

    public Value Input => Inputs[0] ?? throw Error("has no input");
    public Value Output => Outputs[0];

    /// <summary>Sets output shapes (and dtypes) from the input shapes; throws <see cref="GraphException"/> naming the node when they do not fit.</summary>
    public abstract void InferShapes();

    /// <summary>MACs (multiply-accumulates) of this node per the TF-slim counting rule; 0 for non-arithmetic nodes.</summary>
    public virtual long Macs => 0;

    /// <summary>Number of trainable parameters per TF-slim's rule (conv/dw kernels, FC weights + bias).</summary>
    public virtual long Parameters => 0;

    public GraphException Error(string problem) => new($"node '{Name}' ({Op}): {problem}");

    protected Value Require(int index, string role)
    {
        if (index >= Inputs.Count || Inputs[index] is null)
            throw Error($"input {index} ({role}) is missing");
        return Inputs[index]!;
    }

    protected int[] RequireRank(Value v, int rank, string role)
    {
        if (v.Rank != rank)
            throw Error($"{role} '{v.Name}' has shape {Value.FormatShape(v.Shape)}; expected rank {rank}");
        return v.Shape;
    }

    /// <summary>A copy of this node (same type and attributes) whose inputs and outputs are mapped through
    /// <paramref name="map"/>. Attribute arrays (e.g. a reshape's new shape) are shared with the original: passes
    /// replace such arrays rather than mutating them. Used by <see cref="ModelGraph.Clone"/>.</summary>
    public Node CloneWith(Func<Value, Value> map)
    {
        ArgumentNullException.ThrowIfNull(map);
        var copy = (Node)MemberwiseClone();
        copy.Inputs = Inputs.Select(v => v is null ? null : map(v)).ToList();
        copy.Outputs = Outputs.Select(map).ToList();
        return copy;
    }

    public override string ToString() => $"{Op} '{Name}'";
}
