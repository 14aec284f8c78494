using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Select;

/// <summary>The calibration cache: reused per device and model shape, rebuilt when corrupted or stale, optional.</summary>
public class CalibrationCacheTests
{
    private string _dir = "";
    private static readonly Model V1 = Model.Zoo.MobileNetV1(0.25, 64);

    [SetUp]
    public void SetUp()
    {
        _dir = Path.Combine(Path.GetTempPath(), "mna-calib-" + Guid.NewGuid().ToString("N"));
    }

    [TearDown]
    public void TearDown()
    {
        if (Directory.Exists(_dir))
            Directory.Delete(_dir, recursive: true);
    }

    /// <summary>Creates an auto session over cpu + a slow emulated fake; returns the fake (its Compiles count says
    /// whether it was calibrated) and the placement.</summary>
    private (FakeBackend Emu, PlacementReport Placement) Session(Model model, bool cache = true)
    {
        var emu = new FakeBackend("emu", DeviceKind.CpuEmulatedGpu, _ => true, delayMs: 15);
        using var s = new InferenceSession(model, new SessionOptions
        {
            Backend = "auto", Threads = 1, Backends = new IBackend[] { new NativeCpuBackend(), emu },
            CalibrationCache = cache, CalibrationCacheDirectory = _dir,
        });
        Assert.That(s.Placement.All(n => n.Backend == "cpu"), Is.True, s.Placement.ToString());
        return (emu, s.Placement);
    }

    private string OnlyFile() => Directory.GetFiles(_dir, "*.json").Single();

    [Test]
    public void SecondSessionUsesTheCacheAndAnotherShapeMeasuresAgain()
    {
        var (emu, p) = Session(V1);
        Assert.That(emu.Compiles, Is.EqualTo(1));
        Assert.That(p.Calibration, Does.StartWith("measured"));
        string file = OnlyFile();
        Assert.That(File.ReadAllText(file), Does.Contain("mna-calibration").And.Contain("emu|emu:0"));

        (emu, p) = Session(V1);
        Assert.That(emu.Compiles, Is.Zero, "from the cache: nothing measured");
        Assert.That(p.Calibration, Does.StartWith("from cache"));
        Assert.That(p.Reasons, Has.Some.Contains("emu:0 rejected"), "the cached times still explain the choice");

        (emu, _) = Session(V1.WithBatch(2));
        Assert.That(emu.Compiles, Is.EqualTo(1), "another model shape is measured");
        Assert.That(Directory.GetFiles(_dir, "*.json"), Has.Length.EqualTo(2));
    }

    [Test]
    public void DisabledCacheWritesNothing()
    {
        var (emu, p) = Session(V1, cache: false);
        Assert.That(emu.Compiles, Is.EqualTo(1));
        Assert.That(p.Calibration, Does.Contain("cache disabled"));
        Assert.That(Directory.Exists(_dir), Is.False);
    }

    [TestCase("{ not json", "ignored")]
    [TestCase("", "ignored")]
    [TestCase("[1,2,3]", "not a JSON object")]
    [TestCase("{\"format\":\"mna-calibration\",\"version\":99,\"key\":\"k\",\"entries\":{}}", "another format version")]
    [TestCase("KEY", "stale")]
    [TestCase("NEGATIVE", "not a positive time")]
    [TestCase("TRUNCATED", "ignored")]
    public void CorruptedOrStaleFileIsIgnoredAndRebuilt(string content, string why)
    {
        Session(V1);
        string file = OnlyFile();
        string good = File.ReadAllText(file);
        string bad = content switch
        {
            "KEY" => System.Text.RegularExpressions.Regex.Replace(good, "\"key\": \"[0-9a-f]+\"", "\"key\": \"0123\""),
            "NEGATIVE" => System.Text.RegularExpressions.Regex.Replace(good, "(\"emu\\|[^\"]+\": )[0-9.eE+-]+", "${1}-1"),
            "TRUNCATED" => good[..(good.Length / 2)],
            _ => content,
        };
        Assert.That(bad, Is.Not.EqualTo(good));
        File.WriteAllText(file, bad);

        var (emu, p) = Session(V1);
        Assert.That(emu.Compiles, Is.EqualTo(1), "measured again");
        Assert.That(p.Reasons, Has.Some.Contains("ignored").And.Some.Contains(why));
        Assert.That(p.Calibration, Does.StartWith("measured"));

        (emu, p) = Session(V1);
        Assert.That(emu.Compiles, Is.Zero, "the rebuilt file is used");
        Assert.That(p.Calibration, Does.StartWith("from cache"));
    }
}
