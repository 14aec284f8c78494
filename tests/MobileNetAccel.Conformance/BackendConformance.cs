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
public abstract partial class BackendConformance
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
    protected float[][] RunGraph(ModelGraph g, IReadOnlyList<float[]> inputs, string what) =>
        RunGraph(g, inputs, what, (arena, v) => arena.Get(v));

    /// <summary><see cref="RunGraph(ModelGraph, IReadOnlyList{float[]}, string)"/> with each output read by
    /// <paramref name="read"/> (integer outputs).</summary>
    protected T[] RunGraph<T>(ModelGraph g, IReadOnlyList<float[]> inputs, string what, Func<HostArena, Value, T> read)
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
        return g.Outputs.Select(v => read(arena, v)).ToArray();
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
}
