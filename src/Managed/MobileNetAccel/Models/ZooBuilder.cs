using MobileNetAccel.Graph;

namespace MobileNetAccel.Models;

/// <summary>
/// Deterministic random numbers for the zoo's weights: xorshift64* with Box–Muller normals. Fast (millions of
/// weights in tens of milliseconds) and identical on every platform for a given seed.
/// </summary>
internal sealed class ZooRandom
{
    private ulong _state;
    private double? _spare;

    public ZooRandom(ulong seed) => _state = seed == 0 ? 0x9E3779B97F4A7C15UL : seed * 0x9E3779B97F4A7C15UL | 1;

    private ulong Next()
    {
        _state ^= _state >> 12;
        _state ^= _state << 25;
        _state ^= _state >> 27;
        return _state * 0x2545F4914F6CDD1DUL;
    }

    /// <summary>Uniform in [0, 1).</summary>
    public double Uniform() => (Next() >> 11) * (1.0 / (1UL << 53));

    public float Uniform(float lo, float hi) => (float)(lo + (hi - lo) * Uniform());

    public double Normal()
    {
        if (_spare is double s)
        {
            _spare = null;
            return s;
        }
        double u1 = 1.0 - Uniform(), u2 = Uniform();
        double r = Math.Sqrt(-2.0 * Math.Log(u1));
        _spare = r * Math.Sin(2 * Math.PI * u2);
        return r * Math.Cos(2 * Math.PI * u2);
    }
}

/// <summary>Builds conv → batch norm → activation graphs with TF SAME padding and seeded random weights.</summary>
internal sealed class ZooBuilder
{
    private readonly ZooRandom _rng;

    public ZooBuilder(string name, int resolution, ulong seed)
    {
        Graph = new ModelGraph(name);
        _rng = new ZooRandom(seed);
        Input = new Value("input", new[] { 1, resolution, resolution, 3 });
        Graph.Inputs.Add(Input);
    }

    public ModelGraph Graph { get; }
    public Value Input { get; }

    private static Value Runtime(string name) => new(name, Array.Empty<int>());

    private T Add<T>(T node) where T : Node
    {
        Graph.Add(node);
        node.InferShapes(); // shapes are needed to compute the next layer's SAME padding
        return node;
    }

    /// <summary>He-normal: N(0, 2 / fan_in).</summary>
    private float[] HeNormal(int count, int fanIn)
    {
        var w = new float[count];
        double std = Math.Sqrt(2.0 / fanIn);
        for (int i = 0; i < count; i++)
            w[i] = (float)(_rng.Normal() * std);
        return w;
    }

    private float[] UniformArray(int count, float lo, float hi)
    {
        var a = new float[count];
        for (int i = 0; i < count; i++)
            a[i] = _rng.Uniform(lo, hi);
        return a;
    }

    /// <summary>Inference batch norm with random statistics (so that folding it changes the weights) and TF-slim's ε = 0.001.</summary>
    private Value BatchNorm(string scope, Value x)
    {
        int c = x.Shape[3];
        var bn = Add(new BatchNormNode(scope + "/BatchNorm", x,
            Value.Constant(scope + "/BatchNorm/gamma", new[] { c }, UniformArray(c, 0.8f, 1.2f)),
            Value.Constant(scope + "/BatchNorm/beta", new[] { c }, UniformArray(c, -0.1f, 0.2f)),
            Value.Constant(scope + "/BatchNorm/moving_mean", new[] { c }, UniformArray(c, -0.1f, 0.1f)),
            Value.Constant(scope + "/BatchNorm/moving_variance", new[] { c }, UniformArray(c, 0.5f, 1.5f)),
            Runtime(scope + "/BatchNorm"), 0.001f));
        return bn.Output;
    }

    private Value Activate(string scope, Value x, Activation activation) => activation == Activation.None
        ? x
        : Add(new ActivationNode(scope + "/" + (activation == Activation.Relu6 ? "Relu6" : "Relu"), x, Runtime(scope + "/" + activation), activation)).Output;

    /// <summary>Conv2D (no bias) → BatchNorm → activation.</summary>
    public Value Conv(string scope, Value x, int outC, int kernel, int stride, Activation activation = Activation.Relu6)
    {
        int inC = x.Shape[3];
        var w = Value.Constant(scope + "/weights", new[] { outC, kernel, kernel, inC }, HeNormal(outC * kernel * kernel * inC, kernel * kernel * inC));
        var conv = Add(new Conv2DNode(scope, x, w, null, Runtime(scope))
        {
            StrideH = stride, StrideW = stride,
            Padding = Padding.Same(x.Shape[1], x.Shape[2], kernel, kernel, stride, stride),
        });
        return Activate(scope, BatchNorm(scope, conv.Output), activation);
    }

    /// <summary>DepthwiseConv2D (multiplier 1, no bias) → BatchNorm → activation.</summary>
    public Value Depthwise(string scope, Value x, int kernel, int stride, Activation activation = Activation.Relu6)
    {
        int c = x.Shape[3];
        var w = Value.Constant(scope + "/depthwise_weights", new[] { 1, kernel, kernel, c }, HeNormal(kernel * kernel * c, kernel * kernel));
        var dw = Add(new DepthwiseConv2DNode(scope, x, w, null, Runtime(scope))
        {
            StrideH = stride, StrideW = stride,
            Padding = Padding.Same(x.Shape[1], x.Shape[2], kernel, kernel, stride, stride),
        });
        return Activate(scope, BatchNorm(scope, dw.Output), activation);
    }

    public Value Residual(string name, Value a, Value b) => Add(new AddNode(name, a, b, Runtime(name))).Output;

    /// <summary>Global average pool → 1x1 Conv2D with bias (the classifier; its bias counts as a parameter) → reshape to
    /// [N, classes] → softmax. Sets the graph output to the probabilities.</summary>
    public void Classifier(string scope, string squeezeName, string predictionsName, Value x, int classes)
    {
        int c = x.Shape[3];
        var pool = Add(new GlobalAveragePoolNode(scope + "/AvgPool", x, Runtime(scope + "/AvgPool")));
        var w = Value.Constant(scope + "/Conv2d_1c_1x1/weights", new[] { classes, 1, 1, c }, HeNormal(classes * c, c));
        var b = Value.Constant(scope + "/Conv2d_1c_1x1/biases", new[] { classes }, UniformArray(classes, -0.1f, 0.1f));
        var logits = Add(new Conv2DNode(scope + "/Conv2d_1c_1x1", pool.Output, w, b, Runtime(scope + "/Conv2d_1c_1x1")) { BiasIsParameter = true });
        var squeeze = Add(new ReshapeNode(squeezeName, logits.Output, Runtime(squeezeName), new[] { -1, classes }));
        var softmax = Add(new SoftmaxNode(predictionsName, squeeze.Output, Runtime(predictionsName)));
        Graph.Outputs.Add(softmax.Output);
    }
}
