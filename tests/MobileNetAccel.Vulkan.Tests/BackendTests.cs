using MobileNetAccel.Backends;
using MobileNetAccel.Conformance;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

[TestFixture]
public class BackendTests
{
    [Test]
    public void NoLoaderMeansNoDeviceWithAReason()
    {
        using var b = new VulkanBackend(new[] { "libmna-no-such-vulkan-loader.so" });
        Assert.That(b.Devices, Is.Empty);
        Assert.That(b.UnavailableReason, Does.StartWith("no Vulkan device"));
        // What a user can act on: the library, each path tried with the loader's message, the RID.
        Assert.That(b.UnavailableReason, Does.Contain("libmna-no-such-vulkan-loader.so: ").And.Contain("cannot open shared object file")
            .And.Contain(Path.Combine(AppContext.BaseDirectory, "libmna-no-such-vulkan-loader.so")).And.Contain("linux-"));
        Assert.That(((IBackend)b).UnavailableReason, Is.EqualTo(b.UnavailableReason), "the selection's message uses it");
        Assert.That(b.Supports(new GlobalAveragePoolNode("g", In("x", 1, 2, 2, 3), In("y")), out var reason), Is.False);
        Assert.That(reason, Does.StartWith("no Vulkan device"));
        var ex = Assert.Throws<InvalidOperationException>(() => b.Compile(new Partition(Array.Empty<Node>(), Array.Empty<Value>(), Array.Empty<Value>()),
            new DeviceInfo("vulkan:0", "x", DeviceKind.Gpu, 0, ""), new CompileOptions()));
        Assert.That(ex!.Message, Does.Contain("no Vulkan device"));
    }

    [Test]
    public void LoaderBesideTheApplicationIsFound()
    {
        // What the GPU bundle relies on: a libvulkan.so.1 shipped next to the app is used when dlopen's search finds none.
        _ = Backend;
        const string system = "/usr/lib/x86_64-linux-gnu/libvulkan.so.1";
        if (!File.Exists(system))
            Assert.Ignore($"{system} not present (not Debian x86-64)");
        string copy = Path.Combine(AppContext.BaseDirectory, "libmna-test-vulkan.so.1");
        File.Copy(system, copy, overwrite: true);
        using var b = new VulkanBackend(new[] { "libmna-test-vulkan.so.1" });
        Assert.That(b.Devices, Is.Not.Empty, b.UnavailableReason);
    }

    [Test]
    public void DevicesAreDescribed()
    {
        var d = Device;
        TestContext.Out.WriteLine($"{d.Id}: {d.Name} [{d.Kind}] {d.MemoryBytes} bytes; {d.Features}");
        Assert.That(d.Id, Does.Match(@"^vulkan:\d+$"));
        Assert.That(d.Features, Does.Contain("subgroup=").And.Contain("fp16=").And.Contain("int8=").And.Contain("heaps=").And.Contain("vendor="));
        if (d.Name.Contains("llvmpipe", StringComparison.OrdinalIgnoreCase))
            Assert.That(d.Kind, Is.EqualTo(DeviceKind.CpuEmulatedGpu), "lavapipe is a CPU implementation");
    }

    [Test]
    public void RegisterAddsVulkanAndOneBackendPerDevice()
    {
        _ = Backend; // ignored/failed here when there is no device
        VulkanBackend.Register();
        VulkanBackend.Register(); // idempotent
        var names = BackendRegistry.All().Select(b => b.Name).ToList();
        Assert.That(names.Count(n => n == "vulkan"), Is.EqualTo(1));
        foreach (var d in Backend.Devices)
            Assert.That(names, Does.Contain(d.Id));
        var one = BackendRegistry.All().First(b => b.Name == Backend.Devices[0].Id);
        Assert.That(one.Devices.Single().Id, Is.EqualTo(Backend.Devices[0].Id));
    }

    [Test]
    public void UnsupportedNodesSayWhy()
    {
        var b = Backend;
        var q = new Value("q", new[] { 1, 4 }, DataType.UInt8);
        Assert.That(b.Supports(new ReshapeNode("r", q, new Value("r", new[] { 4 }, DataType.UInt8), new[] { 4 }), out var reason), Is.False);
        Assert.That(reason, Does.Contain("float32"));
        Assert.That(b.Supports(new TransposeNode("t", In("x", 1, 2, 3, 4, 5), In("y"), new[] { 0, 4, 1, 2, 3 }), out reason), Is.False);
        Assert.That(reason, Does.Contain("Transpose").And.Contain("rank ≤ 4"));
        Assert.That(b.Supports(new MatMulNode("mm", In("a", 2, 3), In("b", 3, 4), In("y")), out reason), Is.False);
        Assert.That(reason, Does.Contain("no shader for MatMul"));
        Assert.That(b.Supports(new AddNode("a", In("a", 1, 2, 2, 3), In("b", 3), In("y")), out reason), Is.False);
        Assert.That(reason, Does.Contain("equal shapes"));
        Assert.Throws<ArgumentException>(() => b.Compile(new Partition(Array.Empty<Node>(), Array.Empty<Value>(), Array.Empty<Value>()),
            new DeviceInfo("vulkan:99", "none", DeviceKind.Gpu, 0, ""), new CompileOptions()));
    }

    /// <summary>A small MobileNet-shaped chain in one partition: conv → irb → irb(residual) → 1x1 → gap → reshape → fc → softmax.</summary>
    private static (List<Node> Nodes, Value Input, Value Logits, Value Probs, Func<float[], int, (float[] Logits, float[] Probs)> Reference) Chain(int n)
    {
        const int h = 17, cin = 3, c1 = 8, hid = 48, c2 = 16, c3 = 32, classes = 11;
        var x = In("x", n, h, h, cin);
        var w1 = Random(c1 * 9 * cin, 30, 0.3f); var b1 = Random(c1, 31);
        var e1 = Random(hid * c1, 32, 0.3f); var d1 = Random(9 * hid, 33, 0.3f); var p1 = Random(c2 * hid, 34, 0.15f);
        var e2 = Random(hid * c2, 35, 0.25f); var d2 = Random(9 * hid, 36, 0.3f); var p2 = Random(c2 * hid, 37, 0.15f);
        var wp = Random(c3 * c2, 38, 0.25f);
        var wf = Random(classes * c3, 39, 0.2f); var bf = Random(classes, 40);
        var t1 = In("t1"); var t2 = In("t2"); var t3 = In("t3"); var t4 = In("t4"); var t5 = In("t5"); var t6 = In("t6");
        var logits = In("logits"); var probs = In("probs");
        var nodes = new List<Node>
        {
            new Conv2DNode("conv1", x, Const("w1", new[] { c1, 3, 3, cin }, w1), Const("b1", new[] { c1 }, b1), t1)
                { StrideH = 2, StrideW = 2, Padding = new Padding(1, 1, 1, 1), Activation = Activation.Relu6 },
            new InvertedResidualNode("irb1", t1, Const("e1", new[] { hid, c1 }, e1), null, Const("d1", new[] { 1, 3, 3, hid }, d1), null,
                Const("p1", new[] { c2, hid }, p1), null, t2) { Stride = 2, Padding = new Padding(1, 1, 1, 1) },
            new InvertedResidualNode("irb2", t2, Const("e2", new[] { hid, c2 }, e2), null, Const("d2", new[] { 1, 3, 3, hid }, d2), null,
                Const("p2", new[] { c2, hid }, p2), null, t3) { Residual = true },
            new Conv2DNode("pw", t3, Const("wp", new[] { c3, 1, 1, c2 }, wp), null, t4) { Activation = Activation.Relu6 },
            new GlobalAveragePoolNode("gap", t4, t5),
            new ReshapeNode("flatten", t5, t6, new[] { -1, c3 }),
            new FullyConnectedNode("fc", t6, Const("wf", new[] { classes, c3 }, wf), Const("bf", new[] { classes }, bf), logits),
            new SoftmaxNode("softmax", logits, probs),
        };
        (float[], float[]) Ref(float[] input, int batch)
        {
            var a = Oracle.Conv2D(input, batch, h, h, cin, w1, b1, c1, 3, 3, 2, 2, 1, 1, 1, 1, Activation.Relu6); // 9x9
            var b = Oracle.InvertedResidual(a, batch, 9, 9, c1, e1, null, hid, d1, null, p1, null, c2, 2, 1, 1, 1, 1, Activation.Relu6, Activation.Relu6, Activation.None, false); // 5x5
            var c = Oracle.InvertedResidual(b, batch, 5, 5, c2, e2, null, hid, d2, null, p2, null, c2, 1, 1, 1, 1, 1, Activation.Relu6, Activation.Relu6, Activation.None, true);
            var d = Oracle.Conv2D(c, batch, 5, 5, c2, wp, null, c3, 1, 1, 1, 1, 0, 0, 0, 0, Activation.Relu6);
            var g = Oracle.GlobalAveragePool(d, batch, 5, 5, c3);
            var l = Oracle.FullyConnected(g, batch, c3, wf, bf, classes, Activation.None);
            return (l, Oracle.Softmax(l, batch, classes, 1f));
        }
        return (nodes, x, logits, probs, Ref);
    }

    [TestCase(1)]
    [TestCase(3)]
    public void ChainMatchesReferenceAndReplays(int n)
    {
        var (nodes, x, logits, probs, reference) = Chain(n);
        foreach (var node in nodes)
            node.InferShapes();
        var partition = new Partition(nodes, new[] { x }, new[] { logits, probs });
        using var compiled = (VulkanPartition)Backend.Compile(partition, Device, new CompileOptions());
        Assert.That(compiled.DispatchCount, Is.EqualTo(1 + 2 + 2 + 1 + 1 + 1 + 1), "conv, 2x(expand+dw, project), pw, gap, fc, softmax; reshape is free");
        using var arena = new HostArena();
        for (int run = 0; run < 3; run++)
        {
            var input = Random(x.ElementCount is var e ? (int)e : 0, 100 + run);
            arena.Set(x, input);
            compiled.Run(arena); // the same recorded command buffer, replayed
            var (wantLogits, wantProbs) = reference(input, n);
            AssertClose(arena.Get(logits), wantLogits, $"chain batch {n} run {run} logits");
            AssertClose(arena.Get(probs), wantProbs, $"chain batch {n} run {run} probabilities", 1e-6, 1e-4);
        }
    }

    [Test]
    public void BatchOfThreeEqualsThreeBatchesOfOne()
    {
        var (n3, x3, l3, _, _) = Chain(3);
        var batched = Run(n3, new[] { (x3, Random((int)(3 * 17 * 17 * 3), 200)) }, new[] { l3 })[0];
        var input = Random(3 * 17 * 17 * 3, 200);
        int per = 17 * 17 * 3;
        for (int i = 0; i < 3; i++)
        {
            var (n1, x1, l1, _, _) = Chain(1);
            var single = Run(n1, new[] { (x1, input.AsSpan(i * per, per).ToArray()) }, new[] { l1 })[0];
            // Same shaders, same reduction order per image: bit-for-bit equal.
            Assert.That(batched.AsSpan(i * 11, 11).ToArray(), Is.EqualTo(single), $"image {i}");
        }
    }

    [Test]
    public void PartitionOutlivesItsBackendAndTheLastReleaseDestroysTheDevice()
    {
        // Run with VK_INSTANCE_LAYERS=VK_LAYER_KHRONOS_validation to have the layer check that nothing leaks.
        _ = Backend;
        var (nodes, x, logits, _, reference) = Chain(2);
        foreach (var node in nodes)
            node.InferShapes();
        var own = new VulkanBackend();
        var compiled = own.Compile(new Partition(nodes, new[] { x }, new[] { logits }), own.Devices[0], new CompileOptions());
        own.Dispose(); // the device stays alive for the partition
        using (var arena = new HostArena())
        {
            var input = Random(2 * 17 * 17 * 3, 5);
            arena.Set(x, input);
            compiled.Run(arena);
            AssertClose(arena.Get(logits), reference(input, 2).Logits, "after the backend was disposed");
        }
        compiled.Dispose(); // last reference: device destroyed
        compiled.Dispose(); // idempotent
        Assert.Throws<ObjectDisposedException>(() => compiled.Run(new HostArena()));
    }

    [Test]
    public void PipelinesAreCachedPerDevice()
    {
        var (nodes, x, logits, _, _) = Chain(1);
        Run(nodes, new[] { (x, Random(17 * 17 * 3, 1)) }, new[] { logits });
        int before = Backend.PipelineCount(Device);
        var (nodes2, x2, logits2, _, _) = Chain(1);
        Run(nodes2, new[] { (x2, Random(17 * 17 * 3, 1)) }, new[] { logits2 });
        Assert.That(Backend.PipelineCount(Device), Is.EqualTo(before), "a second compile of the same shapes creates no pipeline");
    }

    [Test]
    public void ActivationMemoryIsShared()
    {
        // A straight chain of 1x1 convs: only two activations are ever live, so the buffer holds about two, not six.
        var x = In("x", 1, 8, 8, 32);
        var nodes = new List<Node>();
        var cur = x;
        for (int i = 0; i < 6; i++)
        {
            var next = In($"t{i}");
            nodes.Add(new Conv2DNode($"pw{i}", cur, Const($"w{i}", new[] { 32, 1, 1, 32 }, Random(32 * 32, i, 0.2f)), null, next));
            cur = next;
        }
        foreach (var node in nodes)
            node.InferShapes();
        using var compiled = (VulkanPartition)Backend.Compile(new Partition(nodes, new[] { x }, new[] { cur }), Device, new CompileOptions());
        Assert.That(compiled.ActivationBytes, Is.LessThanOrEqualTo(3UL * 8 * 8 * 32 * 4));
        Assert.That(compiled.WeightBytes, Is.GreaterThanOrEqualTo(6UL * 32 * 32 * 4));
    }
}
