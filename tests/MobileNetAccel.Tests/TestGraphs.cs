using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests;

/// <summary>Small graph builders, random data and comparisons shared by the graph/execution tests.</summary>
internal static class TestGraphs
{
    public static float[] Random(int count, int seed, float lo = -1f, float hi = 1f)
    {
        var rng = new Random(seed);
        var a = new float[count];
        for (int i = 0; i < a.Length; i++)
            a[i] = lo + (hi - lo) * (float)rng.NextDouble();
        return a;
    }

    public static Value Act(string name) => new(name, Array.Empty<int>());

    private static int _seed = 100;

    public static Value Const(string name, int[] shape, float lo = -0.5f, float hi = 0.5f)
    {
        int n = shape.Aggregate(1, (a, b) => a * b);
        return Value.Constant(name, shape, Random(n, _seed++, lo, hi));
    }

    public static BatchNormNode BatchNorm(string name, Value x, int c) =>
        new(name, x, Const(name + "/gamma", new[] { c }, 0.5f, 1.5f), Const(name + "/beta", new[] { c }),
            Const(name + "/mean", new[] { c }), Const(name + "/var", new[] { c }, 0.5f, 2f), Act(name), 0.001f);

    /// <summary>Runs the graph (not optimised) on the managed reference backend.</summary>
    public static float[] RunManaged(ModelGraph g, float[] input)
    {
        using var s = new InferenceSession(new Model(g), new SessionOptions { Backend = "managed", Optimize = false });
        return s.Run(input);
    }

    public static float[] Run(ModelGraph g, float[] input, string backend, bool optimize, int threads = 1)
    {
        using var s = new InferenceSession(new Model(g), new SessionOptions { Backend = backend, Optimize = optimize, Threads = threads });
        return s.Run(input);
    }

    /// <summary>max |a − b| ≤ tol · max(1, max |a|); the message gives the worst index.</summary>
    public static void AssertClose(float[] expected, float[] actual, double tol, string what)
    {
        Assert.That(actual.Length, Is.EqualTo(expected.Length), $"{what}: length");
        double scale = Math.Max(1.0, expected.Max(v => Math.Abs((double)v)));
        double worst = 0;
        int at = -1;
        for (int i = 0; i < expected.Length; i++)
        {
            double d = Math.Abs((double)expected[i] - actual[i]);
            if (!(d <= worst))
            {
                worst = d;
                at = i;
            }
        }
        Assert.That(worst, Is.LessThanOrEqualTo(tol * scale),
            $"{what}: max |Δ| = {worst:G4} at {at} (expected {(at >= 0 ? expected[at] : 0)}, got {(at >= 0 ? actual[at] : 0)}), allowed {tol * scale:G4}");
    }

    public static int Count<T>(ModelGraph g) where T : Node => g.Nodes.OfType<T>().Count();
}
