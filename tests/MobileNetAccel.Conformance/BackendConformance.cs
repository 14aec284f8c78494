using MobileNetAccel.Backends;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Conformance;

/// <summary>
/// The conformance fixture every backend is tested with: each operator the backends share over tables of shapes
/// (channels 1, 3, 8, 17, 32 and wider, odd and even sizes including 1x1, strides 1/2, symmetric, SAME and asymmetric
/// pads, batch 1 and 3, every activation), each built as a one-node <see cref="ModelGraph"/>, compiled by the backend
/// as one partition, run on a <see cref="HostArena"/> and compared with the naive <see cref="Oracle"/> under the one
/// <see cref="Tolerance"/>; plus a tiny MobileNetV2-shaped network at batch 2. A node the backend does not support is
/// reported as ignored with the backend's reason (never passed silently). A failure names the backend, the device and
/// every parameter of the case.
/// <para>A backend is tested by subclassing: say <see cref="Backend"/> (and, if it is not the first,
/// <see cref="Device"/>); override <see cref="SkipReason"/>/<see cref="MissingDeviceFailsInCi"/> when a missing device
/// is legitimate, <see cref="Compile"/> to test a compile variant.</para>
/// </summary>
public abstract class BackendConformance
{
    protected abstract IBackend Backend { get; }

    /// <summary>The device the cases compile for (default: the backend's first).</summary>
    protected virtual DeviceInfo Device => Backend.Devices[0];

    /// <summary>Why this fixture cannot run here (null: it can). Default: the backend has no device.</summary>
    protected virtual string? SkipReason =>
        Backend.Devices.Count == 0 ? $"backend '{Backend.Name}' has no device on this machine: {Backend.UnavailableReason}" : null;

    /// <summary>With CI=true a <see cref="SkipReason"/> fails the fixture instead of ignoring it (default true: CI
    /// provides the device — lavapipe, ILGPU's CPU accelerator). A backend whose device CI lacks (CUDA) says false.</summary>
    protected virtual bool MissingDeviceFailsInCi => true;

    /// <summary>Compiles a partition for <see cref="Device"/>.</summary>
    protected virtual ICompiledPartition Compile(Partition partition) => Backend.Compile(partition, Device, new CompileOptions());

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    [OneTimeSetUp]
    public void CheckDevice()
    {
        var why = SkipReason;
        if (why is null)
            return;
        if (IsCi && MissingDeviceFailsInCi)
            Assert.Fail($"CI=true but {why}");
        Assert.Ignore(why);
    }

    // ---- running one case ----

    /// <summary>Deterministic values in [-scale, scale).</summary>
    public static float[] Random(int count, int seed, float scale = 1f)
    {
        var r = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
            a[i] = (float)(r.NextDouble() * 2 - 1) * scale;
        return a;
    }

    private static float[] Weights(int count, int fanIn, int seed) => Random(count, seed, 1f / MathF.Sqrt(fanIn));

    private string What(string details) => $"backend '{Backend.Name}' on {Device.Id} ({Device.Name}): {details}";

    /// <summary>Validates the graph, asks the backend about every node (unsupported → ignored with the reason), compiles
    /// all nodes as one partition, runs it once on a planned host arena and returns the outputs.</summary>
    protected float[][] RunGraph(ModelGraph g, IReadOnlyList<float[]> inputs, string what)
    {
        g.Validate();
        foreach (var n in g.Nodes)
            if (!Backend.Supports(n, out var why))
                Assert.Ignore($"unsupported: {What($"{n.Op} node '{n.Name}' is not supported ({why}); case {what}")}");
        var partition = new Partition(g.Nodes.ToList(), g.Inputs.ToList(), g.Outputs.ToList());
        using var compiled = Compile(partition);
        using var arena = new HostArena(g);
        for (int i = 0; i < inputs.Count; i++)
            arena.Set(g.Inputs[i], inputs[i]);
        compiled.Run(arena);
        return g.Outputs.Select(arena.Get).ToArray();
    }

    private float[] RunOne(Node node, string what, params (Value Value, float[] Data)[] inputs)
    {
        var g = new ModelGraph(node.Name);
        g.Inputs.AddRange(inputs.Select(i => i.Value));
        g.Add(node);
        g.Outputs.AddRange(node.Outputs);
        return RunGraph(g, inputs.Select(i => i.Data).ToList(), what)[0];
    }

    private void Check(float[] got, float[] want, float[]? scale, double eps, string what) =>
        Tolerance.AssertClose(got, want, scale, eps, What(what));

    private static Value In(string name, params int[] shape) => new(name, shape);
    private static Value Out(string name) => new(name, Array.Empty<int>());
    private static Value Const(string name, int[] shape, float[] data) => Value.Constant(name, shape, data);
    private static string P(int[] a) => "[" + string.Join(",", a) + "]";

    private static TestCaseData Case(string name, params object[] args) => new TestCaseData(args).SetName("{m}: " + name);

    // ---- Conv2D ----

    public static IEnumerable<TestCaseData> ConvCases()
    {
        // n, h, w, cin, cout, k, stride, pads (t,l,b,r), activation, bias
        object[][] t =
        {
            new object[] { 1, 16, 16, 3, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6, true },  // MobileNet first layer, TF SAME
            new object[] { 3, 15, 15, 3, 8, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu, true },
            new object[] { 1, 15, 15, 3, 8, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu6, true },
            new object[] { 1, 7, 9, 1, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None, false },
            new object[] { 3, 8, 8, 17, 8, 3, 1, new[] { 0, 0, 0, 0 }, Activation.Relu6, true },
            new object[] { 1, 8, 8, 4, 3, 3, 1, new[] { 0, 0, 0, 0 }, Activation.Relu, true },
            new object[] { 1, 9, 8, 8, 32, 5, 2, new[] { 2, 1, 2, 2 }, Activation.None, true },
            new object[] { 1, 9, 7, 5, 6, 5, 1, new[] { 2, 2, 2, 2 }, Activation.None, true },
            new object[] { 1, 6, 5, 17, 8, 3, 2, new[] { 1, 0, 0, 1 }, Activation.Relu6, true },  // asymmetric
            new object[] { 3, 1, 1, 8, 3, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None, true },    // 1x1 image
            new object[] { 1, 6, 7, 96, 17, 1, 2, new[] { 0, 0, 0, 0 }, Activation.Relu, true },  // strided 1x1: not the GEMM path
            new object[] { 1, 4, 4, 6, 5, 1, 2, new[] { 0, 0, 0, 0 }, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}->{a[4]} k{a[5]} s{a[6]} pad{P((int[])a[7])} {a[8]} bias {a[9]}", a);
    }

    [TestCaseSource(nameof(ConvCases))]
    public void Conv2D(int n, int h, int w, int cin, int cout, int k, int stride, int[] pad, Activation act, bool hasBias)
    {
        string what = $"Conv2D n{n} {h}x{w}x{cin}->{cout} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} {act} bias {hasBias}";
        var x = Random(n * h * w * cin, 1);
        var wt = Weights(cout * k * k * cin, k * k * cin, 2);
        var bias = hasBias ? Random(cout, 3) : null;
        var xv = In("x", n, h, w, cin);
        var node = new Conv2DNode("conv", xv, Const("w", new[] { cout, k, k, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), Out("y"))
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Conv2D(x, n, h, w, cin, wt, bias, cout, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        var scale = Oracle.Conv2D(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(wt), Oracle.Abs(bias), cout, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], Activation.None);
        Check(got, want, scale, Tolerance.Sum(k * k * cin), what);
    }

    // ---- pointwise (1x1 stride 1: the GEMM path of every backend) ----

    public static IEnumerable<TestCaseData> PointwiseCases()
    {
        // n, h, w, cin, cout, activation, bias
        object[][] t =
        {
            new object[] { 1, 1, 1, 1, 1, Activation.None, false },
            new object[] { 1, 5, 7, 3, 8, Activation.Relu, true },
            new object[] { 3, 8, 8, 17, 32, Activation.Relu6, true },
            new object[] { 1, 9, 9, 32, 96, Activation.None, true },
            new object[] { 3, 7, 7, 96, 17, Activation.Relu6, false },
            new object[] { 1, 14, 14, 96, 32, Activation.None, true },
            new object[] { 3, 3, 5, 8, 1, Activation.Relu, true },
            new object[] { 1, 5, 7, 19, 37, Activation.Relu6, true },
            new object[] { 3, 8, 8, 64, 40, Activation.None, true },
            new object[] { 1, 3, 3, 128, 96, Activation.Relu, true },
            new object[] { 3, 1, 1, 8, 1, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}->{a[4]} {a[5]} bias {a[6]}", a);
    }

    [TestCaseSource(nameof(PointwiseCases))]
    public void Pointwise(int n, int h, int w, int cin, int cout, Activation act, bool hasBias)
    {
        string what = $"pointwise Conv2D 1x1 n{n} {h}x{w}x{cin}->{cout} {act} bias {hasBias}";
        var x = Random(n * h * w * cin, 4);
        var wt = Weights(cout * cin, cin, 5);
        var bias = hasBias ? Random(cout, 6) : null;
        var xv = In("x", n, h, w, cin);
        var node = new Conv2DNode("pw", xv, Const("w", new[] { cout, 1, 1, cin }, wt), bias is null ? null : Const("b", new[] { cout }, bias), Out("y")) { Activation = act };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Conv2D(x, n, h, w, cin, wt, bias, cout, 1, 1, 1, 1, 0, 0, 0, 0, act);
        var scale = Oracle.Conv2D(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(wt), Oracle.Abs(bias), cout, 1, 1, 1, 1, 0, 0, 0, 0, Activation.None);
        Check(got, want, scale, Tolerance.Sum(cin), what);
    }

    // ---- DepthwiseConv2D ----

    public static IEnumerable<TestCaseData> DepthwiseCases()
    {
        // n, h, w, c, k, stride, pads, activation
        object[][] t =
        {
            new object[] { 1, 8, 8, 1, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
            new object[] { 3, 7, 7, 3, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu },
            new object[] { 1, 9, 10, 8, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },  // TF SAME, stride 2, even width
            new object[] { 3, 15, 15, 17, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { 1, 14, 14, 32, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },
            new object[] { 1, 7, 7, 96, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },
            new object[] { 1, 8, 9, 17, 3, 1, new[] { 0, 0, 0, 0 }, Activation.None },
            new object[] { 3, 9, 9, 8, 5, 2, new[] { 2, 2, 2, 2 }, Activation.Relu },
            new object[] { 1, 8, 8, 16, 3, 2, new[] { 0, 0, 1, 1 }, Activation.Relu6 },
            new object[] { 3, 9, 6, 13, 3, 1, new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { 3, 7, 5, 5, 3, 2, new[] { 1, 1, 1, 1 }, Activation.Relu },
            new object[] { 3, 6, 7, 3, 3, 2, new[] { 0, 1, 1, 0 }, Activation.None },   // asymmetric
            new object[] { 1, 1, 1, 32, 3, 1, new[] { 1, 1, 1, 1 }, Activation.Relu6 },  // 1x1 image
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} k{a[4]} s{a[5]} pad{P((int[])a[6])} {a[7]}", a);
    }

    [TestCaseSource(nameof(DepthwiseCases))]
    public void DepthwiseConv2D(int n, int h, int w, int c, int k, int stride, int[] pad, Activation act)
    {
        string what = $"DepthwiseConv2D n{n} {h}x{w}x{c} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} {act} bias True";
        var x = Random(n * h * w * c, 7);
        var wt = Weights(k * k * c, k * k, 8);
        var bias = Random(c, 9);
        var xv = In("x", n, h, w, c);
        var node = new DepthwiseConv2DNode("dw", xv, Const("w", new[] { 1, k, k, c }, wt), Const("b", new[] { c }, bias), Out("y"))
        {
            StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Activation = act,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.Depthwise(x, n, h, w, c, wt, bias, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], act);
        var scale = Oracle.Depthwise(Oracle.Abs(x), n, h, w, c, Oracle.Abs(wt), Oracle.Abs(bias), k, k, stride, stride, pad[0], pad[1], pad[2], pad[3], Activation.None);
        Check(got, want, scale, Tolerance.Sum(k * k), what);
    }

    // ---- FullyConnected ----

    public static IEnumerable<TestCaseData> FullyConnectedCases()
    {
        // rows, k, m, activation, input as [rows,1,1,k] (else [rows,k])
        object[][] t =
        {
            new object[] { 1, 17, 10, Activation.None, true },
            new object[] { 3, 96, 17, Activation.Relu, true },
            new object[] { 1, 1280, 1001, Activation.None, false },
            new object[] { 3, 32, 1, Activation.Relu6, false },
            new object[] { 1, 50, 17, Activation.None, false },
            new object[] { 3, 100, 33, Activation.Relu, false },
            new object[] { 2, 320, 101, Activation.None, false },
            new object[] { 1, 1, 8, Activation.Relu6, false },
            new object[] { 3, 3, 3, Activation.None, true },
        };
        foreach (var a in t)
            yield return Case($"{a[0]}x{a[1]}->{a[2]} {a[3]} rank{((bool)a[4] ? 4 : 2)}", a);
    }

    [TestCaseSource(nameof(FullyConnectedCases))]
    public void FullyConnected(int rows, int k, int m, Activation act, bool rank4)
    {
        string what = $"FullyConnected input {(rank4 ? $"[{rows},1,1,{k}]" : $"[{rows},{k}]")} -> {m} {act} bias True";
        var x = Random(rows * k, 17);
        var wt = Weights(m * k, k, 18);
        var bias = Random(m, 19);
        var xv = rank4 ? In("x", rows, 1, 1, k) : In("x", rows, k);
        var node = new FullyConnectedNode("fc", xv, Const("w", new[] { m, k }, wt), Const("b", new[] { m }, bias), Out("y")) { Activation = act };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.FullyConnected(x, rows, k, wt, bias, m, act);
        var scale = Oracle.FullyConnected(Oracle.Abs(x), rows, k, Oracle.Abs(wt), Oracle.Abs(bias), m, Activation.None);
        Check(got, want, scale, Tolerance.Sum(k), what);
    }

    // ---- Add (equal shapes) ----

    public static IEnumerable<TestCaseData> AddCases()
    {
        object[][] t =
        {
            new object[] { new[] { 3, 5, 7, 17 }, Activation.None },
            new object[] { new[] { 3, 5, 7, 17 }, Activation.Relu },
            new object[] { new[] { 3, 5, 7, 17 }, Activation.Relu6 },
            new object[] { new[] { 2, 5, 3, 7 }, Activation.Relu6 },
            new object[] { new[] { 1, 1, 1, 1 }, Activation.None },
            new object[] { new[] { 1, 4, 4, 32 }, Activation.Relu },
            new object[] { new[] { 3, 8 }, Activation.None },
        };
        foreach (var a in t)
            yield return Case($"{P((int[])a[0])} {a[1]}", a);
    }

    [TestCaseSource(nameof(AddCases))]
    public void Add(int[] shape, Activation act)
    {
        string what = $"Add {P(shape)} + {P(shape)} {act}";
        int count = Oracle.Count(shape);
        var a = Random(count, 23, 8f);
        var b = Random(count, 24, 8f);
        var av = In("a", shape);
        var bv = In("b", shape);
        var got = RunOne(new AddNode("add", av, bv, Out("y")) { Activation = act }, what, (av, a), (bv, b));
        Check(got, Oracle.Add(a, b, act), Oracle.Add(Oracle.Abs(a), Oracle.Abs(b), Activation.None), Tolerance.Sum(1, 0), what);
    }

    // ---- activations and Clip ----

    public static IEnumerable<TestCaseData> ActivationCases()
    {
        // shape, kind ("Relu", "Relu6", "Clip")
        foreach (var shape in new[] { new[] { 3, 5, 7, 17 }, new[] { 1, 1, 1, 3 }, new[] { 2, 3, 4, 8 }, new[] { 1, 32 } })
            foreach (var kind in new[] { "Relu", "Relu6", "Clip[-0.5,2]" })
                yield return Case($"{kind} {P(shape)}", shape, kind);
    }

    [TestCaseSource(nameof(ActivationCases))]
    public void Activations(int[] shape, string kind)
    {
        string what = $"{kind} {P(shape)}";
        var x = Random(Oracle.Count(shape), 25, 10f);
        var xv = In("x", shape);
        Node node = kind switch
        {
            "Relu" => new ActivationNode("act", xv, Out("y"), Activation.Relu),
            "Relu6" => new ActivationNode("act", xv, Out("y"), Activation.Relu6),
            _ => new ClipNode("clip", xv, Out("y"), -0.5f, 2f),
        };
        var got = RunOne(node, what, (xv, x));
        var want = kind switch
        {
            "Relu" => Oracle.Clamp(x, 0, float.PositiveInfinity),
            "Relu6" => Oracle.Clamp(x, 0, 6),
            _ => Oracle.Clamp(x, -0.5f, 2f),
        };
        Check(got, want, null, 0, what);
    }

    // ---- AveragePool2D ----

    public static IEnumerable<TestCaseData> AveragePoolCases()
    {
        // n, h, w, c, k, stride, pads
        object[][] t =
        {
            new object[] { 1, 7, 7, 8, 7, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 9, 8, 17, 3, 2, new[] { 1, 1, 1, 1 } },
            new object[] { 1, 7, 7, 5, 7, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 6, 5, 3, 3, 2, new[] { 0, 1, 1, 1 } },  // TF SAME, asymmetric
            new object[] { 1, 1, 1, 32, 1, 1, new[] { 0, 0, 0, 0 } },
            new object[] { 3, 4, 4, 1, 2, 2, new[] { 0, 0, 0, 0 } },
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} k{a[4]} s{a[5]} pad{P((int[])a[6])}", a);
    }

    [TestCaseSource(nameof(AveragePoolCases))]
    public void AveragePool2D(int n, int h, int w, int c, int k, int stride, int[] pad)
    {
        string what = $"AveragePool2D n{n} {h}x{w}x{c} k{k}x{k} stride {stride} pad(t,l,b,r) {P(pad)} (padding excluded from the count)";
        var x = Random(n * h * w * c, 21);
        var xv = In("x", n, h, w, c);
        var node = new AveragePool2DNode("pool", xv, Out("y"), k, k) { StrideH = stride, StrideW = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]) };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.AveragePool(x, n, h, w, c, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3]);
        var scale = Oracle.AveragePool(Oracle.Abs(x), n, h, w, c, k, k, stride, stride, pad[0], pad[1], pad[2], pad[3]);
        Check(got, want, scale, Tolerance.Sum(k * k), what);
    }

    // ---- GlobalAveragePool ----

    public static IEnumerable<TestCaseData> GlobalAveragePoolCases()
    {
        int[][] t = { new[] { 1, 7, 7, 96 }, new[] { 3, 5, 3, 17 }, new[] { 1, 1, 1, 1 }, new[] { 3, 8, 8, 3 }, new[] { 1, 7, 7, 40 }, new[] { 3, 4, 5, 9 }, new[] { 1, 4, 4, 32 } };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]}", a[0], a[1], a[2], a[3]);
    }

    [TestCaseSource(nameof(GlobalAveragePoolCases))]
    public void GlobalAveragePool(int n, int h, int w, int c)
    {
        string what = $"GlobalAveragePool n{n} {h}x{w}x{c}";
        var x = Random(n * h * w * c, 20);
        var xv = In("x", n, h, w, c);
        var got = RunOne(new GlobalAveragePoolNode("gap", xv, Out("y")), what, (xv, x));
        Check(got, Oracle.GlobalAveragePool(x, n, h, w, c), Oracle.GlobalAveragePool(Oracle.Abs(x), n, h, w, c), Tolerance.Sum(h * w), what);
    }

    // ---- Softmax ----

    public static IEnumerable<TestCaseData> SoftmaxCases()
    {
        object[][] t =
        {
            new object[] { 1, 1001, 1f }, new object[] { 3, 10, 1f }, new object[] { 3, 1, 1f }, new object[] { 2, 300, 0.5f },
            new object[] { 2, 130, 0.5f }, new object[] { 1, 17, 2f },
        };
        foreach (var a in t)
            yield return Case($"{a[0]}x{a[1]} beta {a[2]}", a);
    }

    [TestCaseSource(nameof(SoftmaxCases))]
    public void Softmax(int rows, int cols, float beta)
    {
        string what = $"Softmax [{rows},{cols}] beta {beta} (inputs in [-8, 8))";
        var x = Random(rows * cols, 22, 8f);
        var xv = In("x", rows, cols);
        var got = RunOne(new SoftmaxNode("softmax", xv, Out("y"), beta), what, (xv, x));
        var want = Oracle.Softmax(x, rows, cols, beta);
        Check(got, want, want, Tolerance.Softmax(cols, MaxExponent(x, rows, cols, beta)), what);
    }

    private static double MaxExponent(float[] x, int rows, int cols, float beta)
    {
        double t = 0;
        for (int r = 0; r < rows; r++)
        {
            var row = x.AsSpan(r * cols, cols).ToArray();
            t = Math.Max(t, Math.Abs(beta) * ((double)row.Max() - row.Min()));
        }
        return t;
    }

    // ---- data movement: Reshape, Pad, Transpose, Concat (bit-exact) ----

    public static IEnumerable<TestCaseData> ReshapeCases()
    {
        yield return Case("[3,5,7,17] to [3,-1]", new[] { 3, 5, 7, 17 }, new[] { 3, -1 });
        yield return Case("[1,1,1,32] to [1,32]", new[] { 1, 1, 1, 32 }, new[] { 1, 32 });
        yield return Case("[3,4,6,8] to [3,24,8]", new[] { 3, 4, 6, 8 }, new[] { 3, 24, 8 });
        yield return Case("[2,17] to [2,1,1,17]", new[] { 2, 17 }, new[] { 2, 1, 1, 17 });
    }

    [TestCaseSource(nameof(ReshapeCases))]
    public void Reshape(int[] shape, int[] newShape)
    {
        string what = $"Reshape {P(shape)} to {P(newShape)}";
        var x = Random(Oracle.Count(shape), 40);
        var xv = In("x", shape);
        var got = RunOne(new ReshapeNode("reshape", xv, Out("y"), newShape), what, (xv, x));
        Check(got, x, null, 0, what);
    }

    public static IEnumerable<TestCaseData> PadCases()
    {
        // shape, before, after, value
        object[][] t =
        {
            new object[] { new[] { 2, 3, 4, 5 }, new[] { 0, 1, 0, 2 }, new[] { 0, 0, 2, 1 }, -1f },
            new object[] { new[] { 1, 5, 5, 3 }, new[] { 0, 1, 1, 0 }, new[] { 0, 1, 1, 0 }, 0f },
            new object[] { new[] { 1, 6, 6, 8 }, new[] { 0, 0, 0, 0 }, new[] { 0, 1, 1, 0 }, 0f },   // TF SAME before a stride-2 conv
            new object[] { new[] { 3, 1, 1, 17 }, new[] { 0, 1, 1, 0 }, new[] { 0, 1, 1, 0 }, 0.5f },
            new object[] { new[] { 1, 7, 6, 32 }, new[] { 0, 0, 1, 0 }, new[] { 0, 1, 0, 0 }, 0f },
        };
        foreach (var a in t)
            yield return Case($"{P((int[])a[0])} before {P((int[])a[1])} after {P((int[])a[2])} value {a[3]}", a);
    }

    [TestCaseSource(nameof(PadCases))]
    public void Pad(int[] shape, int[] before, int[] after, float value)
    {
        string what = $"Pad {P(shape)} before {P(before)} after {P(after)} value {value}";
        var x = Random(Oracle.Count(shape), 41);
        var xv = In("x", shape);
        var got = RunOne(new PadNode("pad", xv, Out("y"), before, after, value), what, (xv, x));
        Check(got, Oracle.Pad(x, shape, before, after, value), null, 0, what);
    }

    public static IEnumerable<TestCaseData> TransposeCases()
    {
        yield return Case("[2,3,5,4] perm [0,2,3,1]", new[] { 2, 3, 5, 4 }, new[] { 0, 2, 3, 1 });
        yield return Case("[3,4,5] perm [2,0,1]", new[] { 3, 4, 5 }, new[] { 2, 0, 1 });
        yield return Case("[3,8,5,17] perm [0,3,1,2]", new[] { 3, 8, 5, 17 }, new[] { 0, 3, 1, 2 });
        yield return Case("[1,1,1,32] perm [0,3,1,2]", new[] { 1, 1, 1, 32 }, new[] { 0, 3, 1, 2 });
    }

    [TestCaseSource(nameof(TransposeCases))]
    public void Transpose(int[] shape, int[] perm)
    {
        string what = $"Transpose {P(shape)} perm {P(perm)}";
        var x = Random(Oracle.Count(shape), 42);
        var xv = In("x", shape);
        var got = RunOne(new TransposeNode("transpose", xv, Out("y"), perm), what, (xv, x));
        Check(got, Oracle.Transpose(x, shape, perm), null, 0, what);
    }

    public static IEnumerable<TestCaseData> ConcatCases()
    {
        yield return Case("[1,4,4,3]+[1,4,4,8] axis 3", new[] { new[] { 1, 4, 4, 3 }, new[] { 1, 4, 4, 8 } }, 3);
        yield return Case("[3,2,5,1]+[3,1,5,1]+[3,4,5,1] axis 1", new[] { new[] { 3, 2, 5, 1 }, new[] { 3, 1, 5, 1 }, new[] { 3, 4, 5, 1 } }, 1);
        yield return Case("[2,17]+[1,17] axis 0", new[] { new[] { 2, 17 }, new[] { 1, 17 } }, 0);
        yield return Case("[3,1,1,17]+[3,1,1,32] axis 3", new[] { new[] { 3, 1, 1, 17 }, new[] { 3, 1, 1, 32 } }, 3);
    }

    [TestCaseSource(nameof(ConcatCases))]
    public void Concat(int[][] shapes, int axis)
    {
        string what = $"Concat {string.Join("+", shapes.Select(P))} axis {axis}";
        var xs = shapes.Select((s, i) => Random(Oracle.Count(s), 43 + i)).ToArray();
        var vs = shapes.Select((s, i) => In($"x{i}", s)).ToArray();
        var got = RunOne(new ConcatNode("concat", vs, Out("y"), axis), what, vs.Zip(xs, (v, d) => (v, d)).ToArray());
        Check(got, Oracle.Concat(xs, shapes, axis), null, 0, what);
    }

    // ---- MatMul ----

    public static IEnumerable<TestCaseData> MatMulCases()
    {
        // batch, m, k, n, b is a constant, b broadcast (rank 2)
        object[][] t =
        {
            new object[] { 1, 5, 17, 8, true, false },
            new object[] { 3, 4, 32, 3, false, false },
            new object[] { 3, 1, 8, 17, true, true },
            new object[] { 1, 1, 1, 1, false, false },
        };
        foreach (var a in t)
            yield return Case($"batch {a[0]} {a[1]}x{a[2]} x {a[2]}x{a[3]} b const {a[4]} broadcast {a[5]}", a);
    }

    [TestCaseSource(nameof(MatMulCases))]
    public void MatMul(int batch, int m, int k, int n, bool bConstant, bool broadcast)
    {
        var aShape = new[] { batch, m, k };
        var bShape = broadcast ? new[] { k, n } : new[] { batch, k, n };
        string what = $"MatMul {P(aShape)} x {P(bShape)} (b {(bConstant ? "constant" : "run-time")})";
        var a = Random(batch * m * k, 44);
        var b = Weights(Oracle.Count(bShape), k, 45);
        var av = In("a", aShape);
        var bv = bConstant ? Const("b", bShape, b) : In("b", bShape);
        var node = new MatMulNode("matmul", av, bv, Out("y"));
        var got = bConstant ? RunOne(node, what, (av, a)) : RunOne(node, what, (av, a), (bv, b));
        var want = Oracle.MatMul(a, b, batch, m, k, n, broadcast);
        var scale = Oracle.MatMul(Oracle.Abs(a), Oracle.Abs(b), batch, m, k, n, broadcast);
        Check(got, want, scale, Tolerance.Sum(k, 0), what);
    }

    // ---- BatchNorm ----

    public static IEnumerable<TestCaseData> BatchNormCases()
    {
        int[][] t = { new[] { 2, 3, 4, 8 }, new[] { 1, 1, 1, 1 }, new[] { 3, 5, 5, 17 }, new[] { 1, 7, 8, 32 }, new[] { 3, 2, 2, 3 } };
        foreach (var a in t)
            yield return Case($"{P(a)}", (object)a);
    }

    [TestCaseSource(nameof(BatchNormCases))]
    public void BatchNorm(int[] shape)
    {
        const float eps = 1e-3f;
        string what = $"BatchNorm {P(shape)} epsilon {eps}";
        int c = shape[^1];
        var x = Random(Oracle.Count(shape), 25, 10f);
        var scale = Random(c, 26);
        var offset = Random(c, 27);
        var mean = Random(c, 28);
        var variance = Random(c, 29).Select(v => v * v + 0.1f).ToArray();
        var xv = In("x", shape);
        var node = new BatchNormNode("bn", xv, Const("s", new[] { c }, scale), Const("o", new[] { c }, offset), Const("m", new[] { c }, mean),
            Const("v", new[] { c }, variance), Out("y"), eps);
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.BatchNorm(x, scale, offset, mean, variance, eps);
        // Σ|terms|: (|x| + |mean|)·|scale|/sqrt(variance + ε) + |offset|; the square root, the division (or rsqrt) and
        // the folding of scale into one factor are extra roundings.
        var errScale = x.Select((v, i) => (float)((Math.Abs(v) + Math.Abs(mean[i % c])) * Math.Abs(scale[i % c]) / Math.Sqrt(variance[i % c] + eps) + Math.Abs(offset[i % c]))).ToArray();
        Check(got, want, errScale, Tolerance.Sum(2, 4), what);
    }

    // ---- InvertedResidual (the fused MobileNetV2 block) ----

    public static IEnumerable<TestCaseData> InvertedResidualCases()
    {
        // n, h, w, cin, hidden (0 = no expand), cout, stride, pads, residual, biases
        object[][] t =
        {
            new object[] { 1, 8, 8, 8, 48, 8, 1, new[] { 1, 1, 1, 1 }, true, true },
            new object[] { 3, 9, 9, 17, 102, 17, 1, new[] { 1, 1, 1, 1 }, true, true },   // hidden not a multiple of 32, 9x9 not of the tile
            new object[] { 1, 15, 15, 8, 48, 32, 2, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 3, 14, 14, 3, 18, 8, 2, new[] { 0, 0, 1, 1 }, false, false },  // TF SAME stride 2
            new object[] { 1, 7, 7, 32, 0, 17, 1, new[] { 1, 1, 1, 1 }, false, true },    // no expand (V2's first block)
            new object[] { 1, 6, 5, 96, 576, 96, 1, new[] { 1, 1, 1, 1 }, true, true },
            new object[] { 1, 1, 1, 1, 6, 1, 1, new[] { 1, 1, 1, 1 }, true, true },        // 1x1, one channel
            new object[] { 3, 11, 9, 12, 40, 16, 1, new[] { 1, 1, 1, 1 }, false, true },  // partial tiles
            new object[] { 1, 12, 12, 8, 36, 12, 2, new[] { 0, 0, 1, 1 }, false, true },
            new object[] { 3, 9, 9, 6, 24, 10, 2, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 1, 10, 10, 16, 0, 8, 1, new[] { 1, 1, 1, 1 }, false, true },
            new object[] { 3, 7, 7, 24, 0, 24, 1, new[] { 1, 1, 1, 1 }, true, true },    // no expand, residual
        };
        foreach (var a in t)
            yield return Case($"n{a[0]} {a[1]}x{a[2]}x{a[3]} hidden {a[4]} -> {a[5]} s{a[6]} pad{P((int[])a[7])} residual {a[8]} biases {a[9]}", a);
    }

    [TestCaseSource(nameof(InvertedResidualCases))]
    public void InvertedResidual(int n, int h, int w, int cin, int hidden, int cout, int stride, int[] pad, bool residual, bool biases)
    {
        string what = $"InvertedResidual n{n} {h}x{w}x{cin} expand {(hidden == 0 ? "none" : hidden.ToString(System.Globalization.CultureInfo.InvariantCulture))} " +
            $"-> {cout} stride {stride} pad(t,l,b,r) {P(pad)} residual {residual} biases {biases} (ReLU6, ReLU6, none)";
        int hid = hidden == 0 ? cin : hidden;
        var x = Random(n * h * w * cin, 10);
        var ew = hidden == 0 ? null : Weights(hidden * cin, cin, 11);
        var eb = hidden == 0 || !biases ? null : Random(hidden, 12);
        var dw = Weights(9 * hid, 9, 13);
        var db = biases ? Random(hid, 14) : null;
        var pw = Weights(cout * hid, hid, 15);
        var pb = biases ? Random(cout, 16) : null;
        var xv = In("x", n, h, w, cin);
        var node = new InvertedResidualNode("irb", xv,
            ew is null ? null : Const("ew", new[] { hidden, cin }, ew), eb is null ? null : Const("eb", new[] { hidden }, eb),
            Const("dw", new[] { 1, 3, 3, hid }, dw), db is null ? null : Const("db", new[] { hid }, db),
            Const("pw", new[] { cout, hid }, pw), pb is null ? null : Const("pb", new[] { cout }, pb), Out("y"))
        {
            Stride = stride, Padding = new Padding(pad[0], pad[1], pad[2], pad[3]), Residual = residual,
        };
        var got = RunOne(node, what, (xv, x));
        var want = Oracle.InvertedResidual(x, n, h, w, cin, ew, eb, hidden, dw, db, pw, pb, cout, stride, pad[0], pad[1], pad[2], pad[3],
            Activation.Relu6, Activation.Relu6, Activation.None, residual);
        var scale = Oracle.InvertedResidual(Oracle.Abs(x), n, h, w, cin, Oracle.Abs(ew), Oracle.Abs(eb), hidden, Oracle.Abs(dw), Oracle.Abs(db),
            Oracle.Abs(pw), Oracle.Abs(pb), cout, stride, pad[0], pad[1], pad[2], pad[3], Activation.None, Activation.None, Activation.None, residual);
        double eps = (hidden == 0 ? 0 : Tolerance.Sum(cin)) + Tolerance.Sum(9) + Tolerance.Sum(hid, residual ? 2 : 1);
        Check(got, want, scale, eps, what);
    }

    // ---- a whole (tiny) network ----

    /// <summary>A MobileNetV2-shaped chain at batch 2, one partition: conv 3x3 s2 → IRB (expand, s2) → IRB (expand,
    /// residual) → 1x1 conv → global average pool → reshape → fully connected → softmax; logits and probabilities
    /// against the oracle's composition.</summary>
    [Test]
    public void TinyMobileNetV2Batch2()
    {
        const int n = 2, h = 17, cin = 3, c1 = 8, hid = 48, c2 = 16, c3 = 32, classes = 11;
        string what = $"tiny MobileNetV2 batch {n}: {h}x{h}x{cin} conv3x3 s2 ->{c1} relu6, IRB {c1}->{hid}->{c2} s2, IRB {c2}->{hid}->{c2} residual, " +
            $"1x1 ->{c3} relu6, global average pool, reshape, FC ->{classes}, softmax";
        var x = In("x", n, h, h, cin);
        var w1 = Random(c1 * 9 * cin, 30, 0.3f); var b1 = Random(c1, 31);
        var e1 = Random(hid * c1, 32, 0.3f); var d1 = Random(9 * hid, 33, 0.3f); var p1 = Random(c2 * hid, 34, 0.15f);
        var e2 = Random(hid * c2, 35, 0.25f); var d2 = Random(9 * hid, 36, 0.3f); var p2 = Random(c2 * hid, 37, 0.15f);
        var wp = Random(c3 * c2, 38, 0.25f);
        var wf = Random(classes * c3, 39, 0.2f); var bf = Random(classes, 40);
        Value t1 = Out("t1"), t2 = Out("t2"), t3 = Out("t3"), t4 = Out("t4"), t5 = Out("t5"), t6 = Out("t6"), logits = Out("logits"), probs = Out("probs");
        var g = new ModelGraph("tiny-v2");
        g.Inputs.Add(x);
        g.Add(new Conv2DNode("conv1", x, Const("w1", new[] { c1, 3, 3, cin }, w1), Const("b1", new[] { c1 }, b1), t1)
        { StrideH = 2, StrideW = 2, Padding = new Padding(1, 1, 1, 1), Activation = Activation.Relu6 });
        g.Add(new InvertedResidualNode("irb1", t1, Const("e1", new[] { hid, c1 }, e1), null, Const("d1", new[] { 1, 3, 3, hid }, d1), null,
            Const("p1", new[] { c2, hid }, p1), null, t2)
        { Stride = 2, Padding = new Padding(1, 1, 1, 1) });
        g.Add(new InvertedResidualNode("irb2", t2, Const("e2", new[] { hid, c2 }, e2), null, Const("d2", new[] { 1, 3, 3, hid }, d2), null,
            Const("p2", new[] { c2, hid }, p2), null, t3)
        { Residual = true });
        g.Add(new Conv2DNode("pw", t3, Const("wp", new[] { c3, 1, 1, c2 }, wp), null, t4) { Activation = Activation.Relu6 });
        g.Add(new GlobalAveragePoolNode("gap", t4, t5));
        g.Add(new ReshapeNode("flatten", t5, t6, new[] { -1, c3 }));
        g.Add(new FullyConnectedNode("fc", t6, Const("wf", new[] { classes, c3 }, wf), Const("bf", new[] { classes }, bf), logits));
        g.Add(new SoftmaxNode("softmax", logits, probs));
        g.Outputs.Add(logits);
        g.Outputs.Add(probs);

        var input = Random(n * h * h * cin, 100);
        var got = RunGraph(g, new[] { input }, what);

        float[] Chain(bool abs)
        {
            Activation R6 = abs ? Activation.None : Activation.Relu6;
            float[] A(float[] v) => abs ? Oracle.Abs(v) : v;
            var a = Oracle.Conv2D(A(input), n, h, h, cin, A(w1), A(b1), c1, 3, 3, 2, 2, 1, 1, 1, 1, R6); // 9x9
            var b = Oracle.InvertedResidual(a, n, 9, 9, c1, A(e1), null, hid, A(d1), null, A(p1), null, c2, 2, 1, 1, 1, 1, R6, R6, Activation.None, false); // 5x5
            var c = Oracle.InvertedResidual(b, n, 5, 5, c2, A(e2), null, hid, A(d2), null, A(p2), null, c2, 1, 1, 1, 1, 1, R6, R6, Activation.None, true);
            var d = Oracle.Conv2D(c, n, 5, 5, c2, A(wp), null, c3, 1, 1, 1, 1, 0, 0, 0, 0, R6);
            var gp = Oracle.GlobalAveragePool(d, n, 5, 5, c3);
            return Oracle.FullyConnected(gp, n, c3, A(wf), A(bf), classes, Activation.None);
        }
        var wantLogits = Chain(false);
        var logitScale = Chain(true);
        double eps = Tolerance.Sum(9 * cin)
            + Tolerance.Sum(c1) + Tolerance.Sum(9) + Tolerance.Sum(hid)
            + Tolerance.Sum(c2) + Tolerance.Sum(9) + Tolerance.Sum(hid, 2)
            + Tolerance.Sum(c2) + Tolerance.Sum(25) + Tolerance.Sum(c3);
        Check(got[0], wantLogits, logitScale, eps, what + ": logits");

        var wantProbs = Oracle.Softmax(wantLogits, n, classes, 1f);
        double maxLogitError = logitScale.Max() * eps;
        Check(got[1], wantProbs, wantProbs, 2 * maxLogitError + Tolerance.Softmax(classes, MaxExponent(wantLogits, n, classes, 1f)), what + ": probabilities");
    }
}
