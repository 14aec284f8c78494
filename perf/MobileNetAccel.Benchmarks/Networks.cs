using MobileNetAccel.Interop;

namespace MobileNetAccel.Benchmarks;

/// <summary>One layer of a MobileNet built directly on the native packed-weights API.</summary>
internal sealed class NetLayer : IDisposable
{
    public required string Name { get; init; }
    public required string Kind { get; init; } // conv, irb, pw, dw, add, gavg
    public Conv2DParams Conv;
    public InvertedResidualParams Irb;
    public long Pixels;
    public int InC, OutC;
    public NativeActivation Act;
    public NativePackedWeights? Packed;
    public float[] DwWeights = [], DwBias = [];
    public long InLen, OutLen;
    public double Macs;
    public bool ResidualFromBlockInput;
    /// <summary>Index of the inverted-residual block (V2) or depthwise+pointwise pair (V1) this layer belongs to; -1 outside blocks.</summary>
    public int Block = -1;

    public void Dispose() => Packed?.Dispose();

    public void Run(ReadOnlySpan<float> input, Span<float> output, ReadOnlySpan<float> blockInput, NativeThreadPool? pool)
    {
        var x = input[..(int)InLen];
        var y = output[..(int)OutLen];
        switch (Kind)
        {
            case "conv": Packed!.RunConv2D(Conv, x, y, pool); break;
            case "irb": Packed!.RunInvertedResidual(Irb, x, y, pool); break;
            case "pw": Packed!.RunPointwise(Pixels, x, Act, y, pool); break;
            case "dw": NativeKernels.DepthwiseConv2D(Conv, x, DwWeights, DwBias, y, pool); break;
            case "gavg": NativeKernels.GlobalAveragePool(1, Conv.InH, Conv.InW, Conv.InC, x, y, pool); break;
            case "add": NativeKernels.Add(OutLen, x, blockInput[..(int)OutLen], NativeActivation.None, y); break;
            default: throw new InvalidOperationException(Kind);
        }
    }
}

/// <summary>
/// MobileNetV1/V2 (batch 1, NHWC) with the layer shapes of the ONNX files in ../shared/models/onnx, built straight on
/// the packed native kernels with seeded random weights: the cost of a forward pass does not depend on the weight values.
/// V2 follows torchvision (channels rounded to multiples of 8, ReLU6); V1 the 2017 paper (channels × α, ReLU).
/// Fused: V2 blocks run as mna_f32_irb (row ring), V1 depthwise+pointwise pairs as mna_f32_irb with no expand layer.
/// Unfused: every layer separately (expand, depthwise, project, add), the expanded tensors in memory.
/// </summary>
internal sealed class Network : IDisposable
{
    public List<NetLayer> Layers { get; } = [];
    public string Name { get; }
    public int Resolution { get; }
    private readonly float[] _a, _b, _c;

    public double Macs => Layers.Sum(l => l.Macs);

    private Network(string name, int resolution)
    {
        Name = name;
        Resolution = resolution;
        _a = []; _b = []; _c = [];
    }

    private Network(Network proto, long maxLen)
    {
        Name = proto.Name;
        Resolution = proto.Resolution;
        Layers = proto.Layers;
        _a = new float[maxLen];
        _b = new float[maxLen];
        _c = new float[maxLen];
        var rng = new Random(7);
        for (int i = 0; i < _a.Length; i++) _a[i] = (float)(rng.NextDouble() * 2 - 1);
    }

    public void Dispose()
    {
        foreach (var l in Layers) l.Dispose();
    }

    private static float[] Rand(Random rng, long n, float scale)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++) a[i] = (float)(rng.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static int MakeDivisible(double v, int divisor = 8)
    {
        int nv = Math.Max(divisor, (int)(v + divisor / 2.0) / divisor * divisor);
        if (nv < 0.9 * v) nv += divisor;
        return nv;
    }

    private static NetLayer Conv(Random rng, int h, int inC, int outC, int stride, NativeActivation act)
    {
        var p = new Conv2DParams { Batch = 1, InH = h, InW = h, InC = inC, OutC = outC, KernelH = 3, KernelW = 3, StrideH = stride, StrideW = stride, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Activation = act };
        var w = Rand(rng, (long)outC * 9 * inC, 0.2f);
        return new NetLayer
        {
            Name = $"conv3x3s{stride} {h}x{h}x{inC}->{outC}", Kind = "conv", Conv = p, Packed = NativePackedWeights.PackConv2D(p, w, Rand(rng, outC, 1)),
            InLen = (long)h * h * inC, OutLen = (long)p.OutH * p.OutW * outC, Macs = (double)p.OutH * p.OutW * outC * 9 * inC,
        };
    }

    private static NetLayer Pw(Random rng, long px, int inC, int outC, NativeActivation act, string what) => new()
    {
        Name = $"{what} {px}px {inC}->{outC}", Kind = "pw", Pixels = px, InC = inC, OutC = outC, Act = act,
        Packed = NativePackedWeights.PackPointwise(inC, outC, Rand(rng, (long)outC * inC, 0.1f), Rand(rng, outC, 1)),
        InLen = px * inC, OutLen = px * outC, Macs = (double)px * inC * outC,
    };

    private static NetLayer Dw(Random rng, int h, int c, int stride, NativeActivation act)
    {
        var p = new Conv2DParams { Batch = 1, InH = h, InW = h, InC = c, OutC = c, KernelH = 3, KernelW = 3, StrideH = stride, StrideW = stride, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Activation = act };
        return new NetLayer
        {
            Name = $"dw3x3s{stride} {h}x{h}x{c}", Kind = "dw", Conv = p, DwWeights = Rand(rng, 9L * c, 1), DwBias = Rand(rng, c, 1),
            InLen = (long)h * h * c, OutLen = (long)p.OutH * p.OutW * c, Macs = (double)p.OutH * p.OutW * c * 9,
        };
    }

    private static NetLayer Irb(Random rng, int h, int inC, int hidden, int outC, int stride, bool residual, NativeActivation act, NativeActivation projectAct)
    {
        var p = new InvertedResidualParams
        {
            Batch = 1, InH = h, InW = h, InC = inC, HiddenC = hidden, OutC = outC, Stride = stride, PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1,
            ExpandActivation = act, DepthwiseActivation = act, ProjectActivation = projectAct, Residual = residual ? 1 : 0,
        };
        int hd = p.DepthwiseChannels;
        var packed = NativePackedWeights.PackInvertedResidual(p, hidden > 0 ? Rand(rng, (long)hidden * inC, 0.2f) : [], hidden > 0 ? Rand(rng, hidden, 1) : [],
            Rand(rng, 9L * hd, 1), Rand(rng, hd, 1), Rand(rng, (long)outC * hd, 0.05f), Rand(rng, outC, 1));
        double macs = (hidden > 0 ? (double)h * h * inC * hidden : 0) + (double)p.OutH * p.OutW * hd * (9 + outC);
        return new NetLayer
        {
            Name = $"irb {h}x{h}x{inC} hidden {hidden} ->{outC} s{stride}{(residual ? " +res" : "")}", Kind = "irb", Irb = p, Packed = packed,
            InLen = (long)h * h * inC, OutLen = (long)p.OutH * p.OutW * outC, Macs = macs,
        };
    }

    /// <summary>Builds "mobilenet_v2_1.0_224" style names: v1|v2, width, resolution.</summary>
    public static Network Build(string model, bool fused)
    {
        string[] parts = model.Split('_');
        bool v2 = parts[1] == "v2";
        double alpha = double.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture);
        int res = int.Parse(parts[3], System.Globalization.CultureInfo.InvariantCulture);
        var net = new Network(model, res);
        var rng = new Random(42);
        int h = res;
        if (v2)
        {
            int c = MakeDivisible(32 * alpha);
            net.Layers.Add(Conv(rng, h, 3, c, 2, NativeActivation.Relu6));
            h = (h + 2 - 3) / 2 + 1;
            int blockNo = 0;
            int[,] cfg = { { 1, 16, 1, 1 }, { 6, 24, 2, 2 }, { 6, 32, 3, 2 }, { 6, 64, 4, 2 }, { 6, 96, 3, 1 }, { 6, 160, 3, 2 }, { 6, 320, 1, 1 } };
            for (int i = 0; i < 7; i++)
            {
                int oc = MakeDivisible(cfg[i, 1] * alpha);
                for (int r = 0; r < cfg[i, 2]; r++)
                {
                    int s = r == 0 ? cfg[i, 3] : 1;
                    int hidden = cfg[i, 0] == 1 ? 0 : (int)Math.Round((double)c * cfg[i, 0]);
                    int oh = (h + 2 - 3) / s + 1;
                    bool res2 = s == 1 && c == oc;
                    int first = net.Layers.Count;
                    if (fused)
                        net.Layers.Add(Irb(rng, h, c, hidden, oc, s, res2, NativeActivation.Relu6, NativeActivation.None));
                    else
                    {
                        if (hidden > 0) net.Layers.Add(Pw(rng, (long)h * h, c, hidden, NativeActivation.Relu6, "expand"));
                        var dw = Dw(rng, h, hidden > 0 ? hidden : c, s, NativeActivation.Relu6);
                        dw.ResidualFromBlockInput = hidden == 0;
                        net.Layers.Add(dw);
                        net.Layers.Add(Pw(rng, (long)oh * oh, hidden > 0 ? hidden : c, oc, NativeActivation.None, "project"));
                        if (res2)
                            net.Layers.Add(new NetLayer { Name = $"add {oh * oh * oc}", Kind = "add", InLen = (long)oh * oh * oc, OutLen = (long)oh * oh * oc });
                    }
                    for (int li = first; li < net.Layers.Count; li++) net.Layers[li].Block = blockNo;
                    blockNo++;
                    h = oh;
                    c = oc;
                }
            }
            int last = MakeDivisible(1280 * Math.Max(1.0, alpha));
            net.Layers.Add(Pw(rng, (long)h * h, c, last, NativeActivation.Relu6, "last 1x1"));
            net.Layers.Add(new NetLayer { Name = $"gavgpool {h}x{h}x{last}", Kind = "gavg", Conv = new Conv2DParams { InH = h, InW = h, InC = last }, InLen = (long)h * h * last, OutLen = last });
            net.Layers.Add(Pw(rng, 1, last, 1000, NativeActivation.None, "fc"));
        }
        else
        {
            int c = (int)(32 * alpha);
            net.Layers.Add(Conv(rng, h, 3, c, 2, NativeActivation.Relu));
            h = (h + 2 - 3) / 2 + 1;
            int[,] cfg = { { 64, 1 }, { 128, 2 }, { 128, 1 }, { 256, 2 }, { 256, 1 }, { 512, 2 }, { 512, 1 }, { 512, 1 }, { 512, 1 }, { 512, 1 }, { 512, 1 }, { 1024, 2 }, { 1024, 1 } };
            for (int i = 0; i < 13; i++)
            {
                int s = cfg[i, 1], oc = (int)(cfg[i, 0] * alpha), oh = (h + 2 - 3) / s + 1;
                if (fused)
                    net.Layers.Add(Irb(rng, h, c, 0, oc, s, false, NativeActivation.Relu, NativeActivation.Relu));
                else
                {
                    net.Layers.Add(Dw(rng, h, c, s, NativeActivation.Relu));
                    net.Layers.Add(Pw(rng, (long)oh * oh, c, oc, NativeActivation.Relu, "pw"));
                }
                h = oh;
                c = oc;
            }
            net.Layers.Add(new NetLayer { Name = $"gavgpool {h}x{h}x{c}", Kind = "gavg", Conv = new Conv2DParams { InH = h, InW = h, InC = c }, InLen = (long)h * h * c, OutLen = c });
            net.Layers.Add(Pw(rng, 1, c, 1000, NativeActivation.None, "fc"));
        }
        long max = net.Layers.Max(l => Math.Max(l.InLen, l.OutLen));
        return new Network(net, max);
    }

    /// <summary>One forward pass (input: the first buffer). Returns the logits' buffer.</summary>
    public float[] Run(NativeThreadPool? pool)
    {
        float[] input = _a, output = _b, blockInput = _a;
        foreach (var l in Layers)
        {
            if (l.Kind == "pw" && l.Act == NativeActivation.Relu6 && l.Name.StartsWith("expand", StringComparison.Ordinal))
                blockInput = input;
            if (l.ResidualFromBlockInput)
                blockInput = input;
            l.Run(input, output, blockInput, pool);
            float[] spare = !ReferenceEquals(input, _c) && !ReferenceEquals(output, _c) ? _c
                : !ReferenceEquals(input, _b) && !ReferenceEquals(output, _b) ? _b : _a;
            if (ReferenceEquals(spare, blockInput)) spare = input;
            input = output;
            output = spare;
        }
        return input;
    }
}
