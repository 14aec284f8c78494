using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.TestGraphs;

namespace MobileNetAccel.Tests.Execution;

public class PartitionerTests
{
    [Test]
    public void SplitsIntoRunsAndComputesBoundaryValues()
    {
        // x → a → b → c → add(c, a) → y ; a and b on one backend, c and add on another.
        var g = new ModelGraph("split");
        var x = new Value("x", new[] { 1, 8 });
        g.Inputs.Add(x);
        var a = g.Add(new ActivationNode("a", x, Act("a"), Activation.Relu));
        var b = g.Add(new ActivationNode("b", a.Output, Act("b"), Activation.Relu6));
        var c = g.Add(new ActivationNode("c", b.Output, Act("c"), Activation.Relu));
        var add = g.Add(new AddNode("add", c.Output, a.Output, Act("y")));
        g.Outputs.Add(add.Output);
        g.Validate();
        IBackend first = new NativeCpuBackend(), second = new ReferenceBackend();
        var parts = Partitioner.Split(g, n => n.Name is "a" or "b" ? first : second);
        Assert.That(parts, Has.Count.EqualTo(2));
        Assert.That(parts[0].Backend, Is.SameAs(first));
        Assert.That(parts[0].Partition.Inputs.Select(v => v.Name), Is.EqualTo(new[] { "x" }));
        Assert.That(parts[0].Partition.Outputs.Select(v => v.Name), Is.EquivalentTo(new[] { "a", "b" }), "a is read later by add, b by c");
        Assert.That(parts[1].Partition.Inputs.Select(v => v.Name), Is.EquivalentTo(new[] { "b", "a" }));
        Assert.That(parts[1].Partition.Outputs.Select(v => v.Name), Is.EqualTo(new[] { "y" }));
    }

    [Test]
    public void BackendsListTheBuiltInOnes()
    {
        var all = BackendRegistry.All();
        Assert.That(all.Select(b => b.Name).Take(2), Is.EqualTo(new[] { "cpu", "managed" }), "built-ins come first, by priority");
        Assert.That(all.Select(b => b.Priority), Is.Ordered.Descending);
        Assert.That(all.Where(b => b.IsReference).Select(b => b.Name), Is.EqualTo(new[] { "managed" }));
        Assert.That(BackendRegistry.Get("CPU").Name, Is.EqualTo("cpu"));
        Assert.That(() => BackendRegistry.Get("nope"), Throws.ArgumentException.With.Message.Contains("available: cpu, managed"));
        var cpu = BackendRegistry.Get("cpu").Devices.Single();
        Assert.That(cpu.Kind, Is.EqualTo(DeviceKind.Cpu));
        Assert.That(cpu.Features, Does.Contain(NativeKernels.CpuFeatures));
    }
}
