using System.Runtime.InteropServices;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Execution;

/// <summary>
/// A session over a graph with two inputs and two outputs (no shared data needed): the list overload of RunRaw in
/// graph order, the by-name lookups, concurrent calls, and the single-tensor calls refusing such a graph.
/// </summary>
[TestFixture]
public class MultiTensorSessionTests
{
    private static Model TwoByTwo()
    {
        var g = new ModelGraph("two_by_two");
        var a = new Value("a", new[] { 1, 8 });
        var b = new Value("b", new[] { 1, 8 });
        var sum = new Value("sum", new[] { 1, 8 });
        var sig = new Value("sigmoid", new[] { 1, 8 });
        g.Inputs.Add(a);
        g.Inputs.Add(b);
        g.Add(new AddNode("add", a, b, sum));
        g.Add(new LogisticNode("logistic", a, sig));
        g.Outputs.Add(sig); // outputs in another order than the nodes
        g.Outputs.Add(sum);
        return new Model(g);
    }

    private static byte[] Bytes(float[] v) => MemoryMarshal.AsBytes(v.AsSpan()).ToArray();

    [Test]
    public void RunsEveryInputAndOutputInGraphOrder()
    {
        using var session = new InferenceSession(TwoByTwo());
        Assert.That(session.Inputs.Select(t => t.Name), Is.EqualTo(new[] { "a", "b" }));
        Assert.That(session.Outputs.Select(t => t.Name), Is.EqualTo(new[] { "sigmoid", "sum" }));
        Assert.That(session.InputIndex("b"), Is.EqualTo(1));
        Assert.That(session.OutputIndex("sum"), Is.EqualTo(1));
        var ex = Assert.Throws<ArgumentException>(() => session.InputIndex("c"))!;
        Assert.That(ex.Message, Does.Contain("'a', 'b'"));

        Parallel.For(0, 16, k =>
        {
            var a = Enumerable.Range(0, 8).Select(i => i * 0.5f - 2 + k).ToArray();
            var b = Enumerable.Range(0, 8).Select(i => 10f * i - k).ToArray();
            var outs = new[] { new byte[32], new byte[32] };
            session.RunRaw(new ReadOnlyMemory<byte>[] { Bytes(a), Bytes(b) }, new Memory<byte>[] { outs[0], outs[1] });
            var sig = MemoryMarshal.Cast<byte, float>(outs[0].AsSpan()).ToArray();
            var sum = MemoryMarshal.Cast<byte, float>(outs[1].AsSpan()).ToArray();
            for (int i = 0; i < 8; i++)
            {
                Assert.That(sum[i], Is.EqualTo(a[i] + b[i]));
                Assert.That(sig[i], Is.EqualTo(1f / (1f + MathF.Exp(-a[i]))).Within(1e-7f));
            }
        });
    }

    [Test]
    public void WrongBuffersAndSingleTensorCallsAreRefused()
    {
        using var session = new InferenceSession(TwoByTwo());
        var ok = new ReadOnlyMemory<byte>[] { new byte[32], new byte[32] };
        var outs = new Memory<byte>[] { new byte[32], new byte[32] };
        Assert.Throws<ArgumentException>(() => session.RunRaw(ok.Take(1).ToArray(), outs));
        Assert.Throws<ArgumentException>(() => session.RunRaw(ok, outs.Take(1).ToArray()));
        var ex = Assert.Throws<ArgumentException>(() => session.RunRaw(new ReadOnlyMemory<byte>[] { new byte[32], new byte[31] }, outs))!;
        Assert.That(ex.Message, Does.Contain("input 1 'b'"));
        ex = Assert.Throws<ArgumentException>(() => session.RunRaw(ok, new Memory<byte>[] { new byte[32], new byte[33] }))!;
        Assert.That(ex.Message, Does.Contain("output 1 'sum'"));
        Assert.Throws<InvalidOperationException>(() => session.Run(new float[8]));
        Assert.Throws<InvalidOperationException>(() => session.Run(new float[8], new float[8]));
        Assert.Throws<InvalidOperationException>(() => session.RunRaw(new byte[32], new byte[32]));
        Assert.Throws<InvalidOperationException>(() => session.Profile(runs: 1, warmup: 0));
    }

    [Test]
    public void ASingleTensorModelRunsThroughTheListOverloadToo()
    {
        var g = new ModelGraph("one");
        var x = new Value("x", new[] { 1, 4 });
        var y = new Value("y", new[] { 1, 4 });
        g.Inputs.Add(x);
        g.Add(new LogisticNode("logistic", x, y));
        g.Outputs.Add(y);
        using var session = new InferenceSession(new Model(g));
        var input = new[] { -1f, 0f, 1f, 2f };
        var viaSpan = session.Run(input);
        var raw = new byte[16];
        session.RunRaw(new ReadOnlyMemory<byte>[] { Bytes(input) }, new Memory<byte>[] { raw });
        Assert.That(MemoryMarshal.Cast<byte, float>(raw.AsSpan()).ToArray(), Is.EqualTo(viaSpan));
    }
}
