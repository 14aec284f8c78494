using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Select;

/// <summary>
/// Backend selection: splitting around ops a backend lacks (with real copies through a fake device's memory),
/// explicit lists, strict mode, fallbacks and their logging, auto calibration, and the rule that an emulated device
/// only wins when it measured faster.
/// Outputs of split plans are compared with the single-backend native CPU run: every fake partition computes with the
/// same native kernels on one thread, only the memory it reads and writes differs, so the results must be identical
/// (tolerance 0 relative; any misplaced copy or wrong boundary changes them by far more).
/// </summary>
public class SelectionTests
{
    private static readonly Model V1 = Model.Zoo.MobileNetV1(0.25, 64);
    private static readonly Model V2 = Model.Zoo.MobileNetV2(0.35, 64);

    private static bool NotDepthwise(Node n) => n.Op != OpType.DepthwiseConv2D;

    /// <summary>Not optimised: depthwise convolutions stay separate nodes between batch norms and activations.</summary>
    private static SessionOptions Options(string backend, params IBackend[] backends) =>
        new() { Backend = backend, Threads = 1, Backends = backends, CalibrationCache = false, Optimize = false };

    private static float[] CpuReference(Model model, float[] input)
    {
        using var s = new InferenceSession(model, new SessionOptions { Backend = "cpu", Threads = 1, Strict = true, Optimize = false });
        return s.Run(input);
    }

    /// <summary>Runs of equal backend in the session's node order.</summary>
    private static int Runs(InferenceSession s) =>
        s.Placement.Select((p, i) => i == 0 || s.Placement[i - 1].Backend != p.Backend || s.Placement[i - 1].Device != p.Device).Count(b => b);

    [Test]
    public void ExplicitListSplitsAroundAMissingOpAndCopiesAtEveryBoundary()
    {
        var fake = new FakeBackend("fakegpu", DeviceKind.Gpu, NotDepthwise);
        using var s = new InferenceSession(V1, Options("fakegpu,cpu", fake, new NativeCpuBackend()));
        var p = s.Placement;
        foreach (var n in p)
            Assert.That(n.Backend, Is.EqualTo(n.Op == OpType.DepthwiseConv2D ? "cpu" : "fakegpu"), n.ToString());
        Assert.That(p.Partitions, Has.Count.EqualTo(Runs(s)).And.Count.GreaterThanOrEqualTo(20));
        // Every fake partition uploads its inputs and downloads its outputs; the report lists exactly those copies.
        var onFake = s.Graph.Nodes.Count(n => n.Op != OpType.DepthwiseConv2D);
        Assert.That(p.Transfers.Count(t => t.To == "fakegpu:0"), Is.EqualTo(p.Partitions.Where(x => x.Backend == "fakegpu").Count()),
            "one input per fake partition (a chain)");
        Assert.That(p.Transfers.All(t => t.Bytes > 0), Is.True);
        Assert.That(p.ToString(), Does.Contain("transfer").And.Contain("fakegpu has no DepthwiseConv2D kernel"));

        var input = Random(64 * 64 * 3, 11);
        var output = s.Run(input);
        Assert.That(fake.Uploads, Is.EqualTo(p.Transfers.Count(t => t.To == "fakegpu:0")));
        Assert.That(fake.Downloads, Is.EqualTo(p.Transfers.Count(t => t.From == "fakegpu:0")));
        Assert.That(onFake, Is.GreaterThan(10));
        AssertClose(CpuReference(V1, input), output, 0, "split fakegpu/cpu vs cpu");
    }

    [Test]
    public void AutoSplitsWhenNoSingleBackendRunsEveryNode()
    {
        var hostNoDw = new FakeBackend("cpu-nodw", DeviceKind.Cpu, NotDepthwise, hostMemory: true);
        var dwOnly = new FakeBackend("dwgpu", DeviceKind.Gpu, n => n.Op == OpType.DepthwiseConv2D);
        using var s = new InferenceSession(V1, Options("auto", hostNoDw, dwOnly));
        foreach (var n in s.Placement)
            Assert.That(n.Backend, Is.EqualTo(n.Op == OpType.DepthwiseConv2D ? "dwgpu" : "cpu-nodw"), n.ToString());
        Assert.That(s.Placement.Calibration, Is.EqualTo("none"), "every segment had one candidate: nothing to measure");
        Assert.That(s.Placement.Reasons, Has.Some.Contains("only dwgpu"));
        Assert.That(hostNoDw.Compiles + dwOnly.Compiles, Is.EqualTo(s.Placement.Partitions.Count));
        var input = Random(64 * 64 * 3, 12);
        AssertClose(CpuReference(V1, input), s.Run(input), 0, "auto split vs cpu");
        Assert.That(dwOnly.Uploads, Is.EqualTo(s.Placement.Transfers.Count(t => t.To == "dwgpu:0")).And.EqualTo(13));
    }

    [Test]
    public void StrictFailsWhenTheRequestedBackendCannotRunANode()
    {
        var fake = new FakeBackend("fakegpu", DeviceKind.Gpu, NotDepthwise);
        var o = Options("fakegpu", fake, new NativeCpuBackend());
        o.Strict = true;
        var e = Assert.Throws<NotSupportedException>(() => new InferenceSession(V1, o))!;
        Assert.That(e.Message, Does.Contain("fakegpu").And.Contain("DepthwiseConv2D").And.Contain("Conv2d_1_depthwise").And.Contain("Strict"));
        Assert.That(fake.Compiles, Is.Zero, "nothing compiled before the error");
    }

    [Test]
    public void NotStrictFallsBackAndLogsEveryFallback()
    {
        var fake = new FakeBackend("fakegpu", DeviceKind.Gpu, NotDepthwise);
        var log = new ListLoggerFactory();
        var o = Options("fakegpu", fake, new NativeCpuBackend());
        o.LoggerFactory = log;
        using var s = new InferenceSession(V1, o);
        int dw = s.Graph.Nodes.Count(n => n.Op == OpType.DepthwiseConv2D);
        Assert.That(s.Placement.Count(n => n.Backend == "cpu"), Is.EqualTo(dw));
        var warnings = log.Messages.Where(m => m.Level == LogLevel.Warning).ToList();
        Assert.That(warnings, Has.Count.EqualTo(dw));
        Assert.That(warnings.All(w => w.Category == "MobileNetAccel.Selection" && w.Message.Contains("fallback") && w.Message.Contains("runs on cpu")), Is.True);
        Assert.That(s.Placement.Reasons.Count(r => r.StartsWith("fallback", StringComparison.Ordinal)), Is.EqualTo(dw));
    }

    [Test]
    public void MissingDeviceIsAnErrorWhenStrictAndAFallbackOtherwise()
    {
        var none = new FakeBackend("nodevice", DeviceKind.Gpu, _ => true, hasDevice: false);
        var o = Options("nodevice", none, new NativeCpuBackend());
        o.Strict = true;
        var e = Assert.Throws<NotSupportedException>(() => new InferenceSession(V1, o))!;
        Assert.That(e.Message, Does.Contain("nodevice").And.Contain("no device"));

        var log = new ListLoggerFactory();
        o = Options("nodevice", none, new NativeCpuBackend());
        o.LoggerFactory = log;
        using var s = new InferenceSession(V1, o);
        Assert.That(s.Placement.All(n => n.Backend == "cpu"), Is.True);
        Assert.That(log.Messages.Where(m => m.Level == LogLevel.Warning).Select(m => m.Message), Has.Some.Contains("'nodevice' has no device"));
        Assert.That(s.Placement.ToString(), Does.Contain("no requested backend has a device"));
    }

    [Test]
    public void MissingDeviceMessageCarriesTheBackendsReason()
    {
        var none = new ReasonBackend(new FakeBackend("nodevice", DeviceKind.Gpu, _ => true, hasDevice: false),
            "libfake.so.1: cannot open shared object file: No such file or directory");
        var o = Options("nodevice", none, new NativeCpuBackend());
        o.Strict = true;
        var e = Assert.Throws<NotSupportedException>(() => new InferenceSession(V1, o))!;
        Assert.That(e.Message, Does.Contain("'nodevice' has no device on this machine (libfake.so.1: cannot open shared object file"));
    }

    /// <summary>A backend that says why it has no device (IBackend.UnavailableReason), as the Vulkan and ILGPU ones do.</summary>
    private sealed class ReasonBackend(IBackend inner, string reason) : IBackend
    {
        public string Name => inner.Name;
        public IReadOnlyList<DeviceInfo> Devices => inner.Devices;
        public string UnavailableReason => reason;
        public bool Supports(MobileNetAccel.Graph.Node node, out string why) => inner.Supports(node, out why);
        public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options) => inner.Compile(partition, device, options);
    }

    [Test]
    public void UnknownNamesAndBadListsAreArgumentErrors()
    {
        var e = Assert.Throws<ArgumentException>(() => new InferenceSession(V1, Options("tpu,cpu", new NativeCpuBackend())))!;
        Assert.That(e.Message, Does.Contain("'tpu'").And.Contain("cpu").And.Contain("auto"));
        Assert.Throws<ArgumentException>(() => new InferenceSession(V1, Options("cpu,auto", new NativeCpuBackend())));
        Assert.Throws<ArgumentException>(() => new InferenceSession(V1, Options(" , ", new NativeCpuBackend())));
    }

    [Test]
    public void DeviceIdsSelectABackendsDevice()
    {
        var fake = new FakeBackend("fakegpu", DeviceKind.Gpu, _ => true);
        using var s = new InferenceSession(V1, Options("fakegpu:0", new NativeCpuBackend(), fake));
        Assert.That(s.Placement.All(n => n.Backend == "fakegpu" && n.Device == "fakegpu:0"), Is.True);
        Assert.That(s.Placement.Transfers, Has.Count.EqualTo(2), "one upload of the input, one download of the output");
    }

    [Test]
    public void AutoNeverPicksASlowerEmulatedDevice()
    {
        // A CPU-emulated "GPU" that computes with the native kernels plus device copies and 10 ms of extra work per
        // run: strictly slower than the native CPU, on the real shapes of MobileNetV2.
        var emu = new FakeBackend("emu", DeviceKind.CpuEmulatedGpu, _ => true, delayMs: 10);
        using var s = new InferenceSession(V2, Options("auto", new NativeCpuBackend(), emu));
        Assert.That(s.Placement.All(n => n.Backend == "cpu" && n.Device == "cpu"), Is.True, s.Placement.ToString());
        Assert.That(emu.Compiles, Is.EqualTo(1), "the emulated device was measured once");
        Assert.That(s.Placement.Reasons, Has.Some.Contains("emu:0 rejected").And.Some.Contains("slower than cpu in calibration"));
        Assert.That(s.Placement.Partitions.Single().MeasuredMs, Is.GreaterThan(0));
        Assert.That(s.Placement.Calibration, Does.StartWith("measured"));
    }

    [Test]
    public void AutoPicksAnEmulatedDeviceOnlyWhenItMeasuredFaster()
    {
        // The positive control: against a CPU-kind backend made 30 ms slower, the emulated device wins.
        var slowCpu = new FakeBackend("slowcpu", DeviceKind.Cpu, _ => true, delayMs: 30);
        var emu = new FakeBackend("emu", DeviceKind.CpuEmulatedGpu, _ => true);
        using var s = new InferenceSession(V2, Options("auto", slowCpu, emu));
        Assert.That(s.Placement.All(n => n.Backend == "emu"), Is.True, s.Placement.ToString());
        Assert.That(s.Placement.Reasons, Has.Some.Contains("slowcpu").And.Some.Contains("rejected"));
    }

    [Test]
    public void AutoWithTheRegisteredBackendsOfThisProcessKeepsEmulatedDevicesOffUnlessFaster()
    {
        // Whatever backends this test process has registered (none beyond cpu/managed in the core tests; the GPU and
        // Vulkan test projects run the same check with theirs).
        using var s = new InferenceSession(V2, new SessionOptions { Backend = "auto", Threads = 1, CalibrationCache = false });
        foreach (var part in s.Placement.Partitions)
        {
            var kind = DeviceCatalog.All().First(d => d.Device.Id == part.Device).Device.Kind;
            if (kind == DeviceKind.CpuEmulatedGpu)
                Assert.That(s.Placement.Reasons, Has.Some.Contains($"chose {part.Backend}").And.Some.Contains("cpu rejected"), s.Placement.ToString());
        }
        Assert.That(s.Placement.Any(n => n.Backend == "managed"), Is.False, "the reference backend is never a candidate");
    }

    [Test]
    public void DevicesListTheHostCpuWithItsBackends()
    {
        var devices = DeviceCatalog.All();
        var cpu = devices[0];
        Assert.That(cpu.Device.Id, Is.EqualTo("cpu"));
        Assert.That(cpu.KindName, Is.EqualTo("cpu"));
        Assert.That(cpu.Backends, Is.SupersetOf(new[] { "cpu", "managed" }));
        Assert.That(cpu.Device.MemoryBytes, Is.GreaterThan(0));
        Assert.That(cpu.Device.Features, Does.Contain("cores"));
        Assert.That(devices.Select(d => d.Device.Id), Is.Unique);
        if (Directory.Exists("/sys/devices/system/cpu/cpu0/cache/index0"))
            Assert.That(CpuInfo.Caches, Has.Some.Matches<CpuCache>(c => c.Level == 1 && c.SizeBytes >= 4096));
        Assert.That(CpuInfo.ParseSize("32K"), Is.EqualTo(32768));
        Assert.That(CpuInfo.ParseSize("16M"), Is.EqualTo(16 << 20));
        Assert.That(CpuInfo.ParseSize("x"), Is.Zero);
    }
}
