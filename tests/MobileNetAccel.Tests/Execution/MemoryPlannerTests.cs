using MobileNetAccel.Backends;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using MobileNetAccel.Models;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Execution;

public class MemoryPlannerTests
{
    /// <summary>No two values alive at the same node may overlap in memory; every offset is 64-byte aligned.</summary>
    private static void AssertValid(MemoryPlan plan)
    {
        foreach (var s in plan.Slots)
        {
            Assert.That(s.Offset % 64, Is.Zero, $"{s.Value.Name} offset");
            Assert.That(s.Size, Is.GreaterThanOrEqualTo(s.Value.SizeInBytes));
            Assert.That(s.Offset + s.Size, Is.LessThanOrEqualTo(plan.PeakBytes));
        }
        for (int i = 0; i < plan.Slots.Count; i++)
            for (int j = i + 1; j < plan.Slots.Count; j++)
            {
                var a = plan.Slots[i];
                var b = plan.Slots[j];
                bool timeOverlap = a.FirstNode <= b.LastNode && b.FirstNode <= a.LastNode;
                bool memOverlap = a.Offset < b.Offset + b.Size && b.Offset < a.Offset + a.Size;
                Assert.That(timeOverlap && memOverlap, Is.False, $"'{a.Value.Name}' and '{b.Value.Name}' overlap in time and memory");
            }
    }

    [Test]
    public void ChainReusesMemoryAndAligns()
    {
        // x(1000 floats) → a → b → c → d: at most two values are alive at once (plus the input at the first step).
        var g = new ModelGraph("chain");
        var x = new Value("x", new[] { 1000 });
        g.Inputs.Add(x);
        Value v = x;
        for (int i = 0; i < 4; i++)
            v = g.Add(new ActivationNode($"n{i}", v, Act($"v{i}"), Activation.Relu)).Output;
        g.Outputs.Add(v);
        g.Validate();
        var plan = MemoryPlanner.Plan(g);
        AssertValid(plan);
        Assert.That(plan.Slots, Has.Count.EqualTo(5));
        Assert.That(plan.PeakBytes, Is.EqualTo(2 * 4032), "1000 floats = 4000 bytes, aligned to 4032; two buffers ping-pong");
        Assert.That(plan.UnsharedBytes, Is.EqualTo(5 * 4032));
    }

    [Test]
    public void ValueReadLaterStaysAlive()
    {
        // A residual: x is read by the last node, so it cannot share with anything in between.
        var g = new ModelGraph("residual");
        var x = new Value("x", new[] { 256 });
        g.Inputs.Add(x);
        var a = g.Add(new ActivationNode("a", x, Act("a"), Activation.Relu));
        var b = g.Add(new ActivationNode("b", a.Output, Act("b"), Activation.Relu6));
        var c = g.Add(new ActivationNode("c", b.Output, Act("c"), Activation.Relu));
        g.Outputs.Add(g.Add(new AddNode("add", c.Output, x, Act("y"))).Output);
        g.Validate();
        var plan = MemoryPlanner.Plan(g);
        AssertValid(plan);
        Assert.That(plan.PeakBytes, Is.EqualTo(3 * 1024));
    }

    [Test]
    public void MobileNetV2PlanIsValidAndNearTheLowerBound([Values] bool optimize)
    {
        var g = MobileNetV2.Build(1.0, 224);
        if (optimize)
            MobileNetAccel.Graph.Passes.GraphOptimizer.Optimize(g);
        var plan = MemoryPlanner.Plan(g);
        AssertValid(plan);
        // No plan can be smaller than the largest sum of sizes alive at one node.
        long lowerBound = 0;
        for (int t = -1; t <= g.Nodes.Count; t++)
            lowerBound = Math.Max(lowerBound, plan.Slots.Where(s => s.FirstNode <= t && t <= s.LastNode).Sum(s => s.Size));
        TestContext.Out.WriteLine($"V2 1.0/224 optimize={optimize}: peak arena {plan.PeakBytes} bytes, lower bound {lowerBound}, unshared {plan.UnsharedBytes}");
        Assert.That(plan.PeakBytes, Is.GreaterThanOrEqualTo(lowerBound));
        Assert.That(plan.PeakBytes, Is.LessThanOrEqualTo(lowerBound * 11 / 10));
        Assert.That(plan.PeakBytes, Is.LessThan(plan.UnsharedBytes / (optimize ? 1.5 : 5)));
    }

    [Test]
    public unsafe void ArenaGivesAlignedDistinctPointers()
    {
        var g = MobileNetV1.Build(0.25, 128);
        var plan = MemoryPlanner.Plan(g);
        using var arena = new NativeArena(plan);
        foreach (var s in plan.Slots)
        {
            Assert.That((long)arena.Pointer(s.Value) % 64, Is.Zero);
            Assert.That(arena.Span<float>(s.Value).Length, Is.EqualTo(s.Value.ElementCount));
        }
        var w = g.Nodes.OfType<Conv2DNode>().First().Weights;
        Assert.Throws<ArgumentException>(() => arena.Pointer(w));
    }

    [Test]
    public void IntervalsAliveTogetherNeverOverlapAndEachKeepsItsAlignment()
    {
        // Mixed sizes, alignments and lifetimes (-1 and int.MaxValue as the backends use them); keys by reference.
        var rng = new Random(7);
        var intervals = Enumerable.Range(0, 200).Select(i =>
        {
            int a = rng.Next(-1, 50), b = rng.Next(0, 8) == 0 ? int.MaxValue : a + rng.Next(0, 10);
            return new LiveInterval(new object(), rng.Next(0, 5000), a, b, new long[] { 4, 16, 64, 256 }[rng.Next(4)]);
        }).ToList();
        var plan = MemoryPlanner.PlanIntervals(intervals);
        Assert.That(plan.Placed, Has.Count.EqualTo(intervals.Count));
        for (int i = 0; i < intervals.Count; i++)
        {
            var (t, p) = (intervals[i], plan.Placed[i]);
            Assert.That(p.Key, Is.SameAs(t.Key), "placements come back in input order");
            Assert.That(p.Offset % t.Alignment, Is.Zero);
            Assert.That(p.Size, Is.GreaterThanOrEqualTo(Math.Max(t.SizeInBytes, 1)));
            Assert.That(p.Size % t.Alignment, Is.Zero);
            Assert.That(p.Offset + p.Size, Is.LessThanOrEqualTo(plan.PeakBytes));
            Assert.That(plan.Offsets[t.Key], Is.EqualTo(p.Offset));
        }
        for (int i = 0; i < plan.Placed.Count; i++)
            for (int j = i + 1; j < plan.Placed.Count; j++)
            {
                var (a, b) = (plan.Placed[i], plan.Placed[j]);
                bool timeOverlap = a.FirstUse <= b.LastUse && b.FirstUse <= a.LastUse;
                bool memOverlap = a.Offset < b.Offset + b.Size && b.Offset < a.Offset + a.Size;
                Assert.That(timeOverlap && memOverlap, Is.False, $"intervals {i} and {j} overlap in time and memory");
            }
    }

    [Test]
    public void IntervalsWithDisjointLifetimesShareAndBadIntervalsAreRefused()
    {
        var (x, y, z) = (new object(), new object(), new object());
        var plan = MemoryPlanner.PlanIntervals(new[] { new LiveInterval(x, 1000, 0, 1), new LiveInterval(y, 1000, 2, 3), new LiveInterval(z, 10, 1, 2) });
        Assert.That(plan.Offsets[x], Is.EqualTo(plan.Offsets[y]), "x and y are never alive together");
        Assert.That(plan.PeakBytes, Is.EqualTo(1024 + 64));
        Assert.That(MemoryPlanner.PlanIntervals(Array.Empty<LiveInterval>()).PeakBytes, Is.Zero);
        Assert.Throws<ArgumentException>(() => MemoryPlanner.PlanIntervals(new[] { new LiveInterval(x, 8, 0, 0), new LiveInterval(x, 8, 1, 1) }));
        Assert.Throws<ArgumentException>(() => MemoryPlanner.PlanIntervals(new[] { new LiveInterval(x, 8, 2, 1) }));
        Assert.Throws<ArgumentException>(() => MemoryPlanner.PlanIntervals(new[] { new LiveInterval(x, -1, 0, 1) }));
    }
}
