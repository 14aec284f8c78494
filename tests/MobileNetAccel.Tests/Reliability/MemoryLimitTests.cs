using System.Diagnostics;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;
using MobileNetAccel.Formats;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>Planned allocations are checked before they are made; model files are read with their length checked.</summary>
[TestFixture]
public class MemoryLimitTests
{
    private static long Rss()
    {
        using var p = Process.GetCurrentProcess();
        return p.WorkingSet64;
    }

    [Test]
    public void TensorPastIntMaxValueIsRefusedAtModelTimeWithoutAllocating()
    {
        // V2 1.4/1024 at batch 256: the first expanded tensor has 256*512*512*... elements, past int.MaxValue (the
        // issue saw an 18 GiB arena being committed).
        long before = Rss();
        var sw = Stopwatch.StartNew();
        var ex = Assert.Throws<MemoryLimitException>(() => Model.Zoo.MobileNetV2(1.4, 1024).WithBatch(256))!;
        sw.Stop();
        TestContext.Out.WriteLine(ex.Message);
        Assert.That(ex.Message, Does.Contain($"'{ex.Tensor}'").And.Contain("elements").And.Contain("bytes"));
        Assert.That(ex.Shape[0], Is.EqualTo(256));
        Assert.That(ex.Bytes, Is.GreaterThan((long)int.MaxValue));
        Assert.That(Rss() - before, Is.LessThan(512L << 20), "refusing must not allocate the tensor");
    }

    [Test]
    public void SessionOverTheLimitNamesTheLargestTensorAndTheBytes()
    {
        var model = Model.Zoo.MobileNetV2(0.35, 96);
        long need;
        using (var ok = new InferenceSession(model, new SessionOptions { Threads = 1 }))
        {
            need = ok.PlannedMemoryBytes;
            Assert.That(need, Is.GreaterThan(ok.ArenaBytes));
        }
        // Exactly enough is accepted; one byte less is refused, naming the bytes and the largest tensor.
        using (new InferenceSession(model, new SessionOptions { Threads = 1, MemoryLimitBytes = need }))
        {
        }
        var ex = Assert.Throws<MemoryLimitException>(() => new InferenceSession(model, new SessionOptions { Threads = 1, MemoryLimitBytes = need - 1 }))!;
        TestContext.Out.WriteLine(ex.Message);
        Assert.That(ex.Bytes, Is.EqualTo(need));
        Assert.That(ex.LimitBytes, Is.EqualTo(need - 1));
        Assert.That(ex.Message, Does.Contain($"{need} bytes").And.Contain("MemoryLimitBytes").And.Contain($"'{ex.Tensor}'"));
        Assert.That(ex.Shape, Is.Not.Empty);
    }

    [Test]
    public void DefaultLimitIsAShareOfTheAvailableMemory()
    {
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        Assert.That(MemoryBudget.DefaultLimitBytes, Is.EqualTo((long)(available * 0.75)));
        Assert.That(new SessionOptions().EffectiveMemoryLimitBytes, Is.EqualTo(MemoryBudget.DefaultLimitBytes));
        // A batch whose arena exceeds the default limit is refused at session creation, before the arena exists.
        Assert.Throws<ArgumentOutOfRangeException>(() => new InferenceSession(Model.Zoo.MobileNetV1(0.25, 128), new SessionOptions { MemoryLimitBytes = -1 }));
        // With 64 MiB available (as in a small container) the default limit is 48 MiB: V1 1.0/224 at batch 8 plans more
        // and is refused, naming the limit; at batch 1 it fits.
        MemoryBudget.AvailableBytesOverride = 64L << 20;
        try
        {
            Assert.That(MemoryBudget.DefaultLimitBytes, Is.EqualTo(48L << 20));
            var model = Model.Zoo.MobileNetV1(1.0, 224);
            using (var one = new InferenceSession(model, new SessionOptions { Threads = 1 }))
                Assert.That(one.PlannedMemoryBytes, Is.LessThan(48L << 20));
            var ex = Assert.Throws<MemoryLimitException>(() => new InferenceSession(model.WithBatch(8), new SessionOptions { Threads = 1 }))!;
            TestContext.Out.WriteLine(ex.Message);
            Assert.That(ex.LimitBytes, Is.EqualTo(48L << 20));
            Assert.That(ex.Message, Does.Contain("default memory limit (SessionOptions.MemoryLimitBytes: 75% of the").And.Contain($"{64L << 20} bytes available"));
            // An explicit limit wins over the default.
            using (new InferenceSession(model.WithBatch(8), new SessionOptions { Threads = 1, MemoryLimitBytes = 1L << 30 }))
            {
            }
        }
        finally
        {
            MemoryBudget.AvailableBytesOverride = null;
        }
    }

    [TestCase(".onnx")]
    [TestCase(".tflite")]
    public void ModelFilesAreReadWithTheirLengthChecked(string ext)
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mna-mem-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var cases = new List<(string Path, string Expect)>();
            string zero = Path.Combine(dir, "zero" + ext);
            File.CreateSymbolicLink(zero, "/dev/zero");
            cases.Add((zero, "not a regular file"));
            string empty = Path.Combine(dir, "empty" + ext);
            File.WriteAllBytes(empty, Array.Empty<byte>());
            cases.Add((empty, "not a regular file"));
            string huge = Path.Combine(dir, "huge" + ext);
            using (var f = new FileStream(huge, FileMode.Create))
                f.SetLength(ModelFormatException.MaxFileBytes + 1); // sparse: no disk used
            cases.Add((huge, "larger than the"));
            if (OperatingSystem.IsLinux())
            {
                string fifo = Path.Combine(dir, "fifo" + ext);
                using (var p = Process.Start("mkfifo", fifo))
                    p.WaitForExit();
                cases.Add((fifo, "not a regular file"));
            }
            cases.Add((Path.Combine(dir, "missing" + ext), "no such file"));
            foreach (var (path, expect) in cases)
            {
                long before = Rss();
                var sw = Stopwatch.StartNew();
                var ex = Assert.Throws<ModelFormatException>(() => Model.Load(path))!;
                Assert.That(ex.Message, Does.StartWith(path).And.Contain(expect), ex.Message);
                Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), path);
                Assert.That(Rss() - before, Is.LessThan(256L << 20), path);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
