using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Execution;

[TestFixture]
public class ProfileTests
{
    [Test]
    public void NativeBackendTimesEveryNodeAndTheRowsAddUpToTheModel()
    {
        var model = Model.Zoo.MobileNetV2(0.35, 96);
        using var session = new InferenceSession(model, new SessionOptions { Threads = 1, Backend = "cpu" });
        var p = session.Profile(runs: 5, warmup: 1);
        Assert.That(p.Runs, Is.EqualTo(5));
        Assert.That(p.Rows.Select(r => r.Name), Is.EqualTo(session.Graph.Nodes.Select(n => n.Name)), "one row per node, in order");
        Assert.That(p.Rows.All(r => r.Nodes == 1 && r.Backend == "cpu" && r.MedianMs >= r.MinMs && r.MinMs >= 0));
        Assert.That(p.Rows.Sum(r => r.Macs), Is.EqualTo(session.Graph.Nodes.Sum(n => n.Macs)));
        Assert.That(p.Rows.Where(r => r.Op == nameof(OpType.InvertedResidual)).All(r => r.Macs > 0 && r.Bytes > 0));
        Assert.That(p.TotalMedianMs, Is.GreaterThan(0));
    }

    [Test]
    public void ABackendThatDoesNotTimeNodesGetsOneRowPerPartition()
    {
        var model = Model.Zoo.MobileNetV1(0.25, 32);
        using var session = new InferenceSession(model, new SessionOptions { Threads = 1, Backend = "managed" });
        var p = session.Profile(runs: 2, warmup: 0);
        Assert.That(p.Rows, Has.Count.EqualTo(1));
        Assert.That(p.Rows[0].Op, Is.EqualTo("partition"));
        Assert.That(p.Rows[0].Nodes, Is.EqualTo(session.Graph.Nodes.Count));
        Assert.That(p.Rows[0].Backend, Is.EqualTo("managed"));
    }

    [Test]
    public void BadArgumentsAreRefused()
    {
        var model = Model.Zoo.MobileNetV1(0.25, 32);
        using var session = new InferenceSession(model, new SessionOptions { Threads = 1 });
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Profile(runs: 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => session.Profile(warmup: -1));
        Assert.That(() => session.Profile(input: new byte[3]), Throws.ArgumentException.With.Message.Contains("needs"));
    }
}
