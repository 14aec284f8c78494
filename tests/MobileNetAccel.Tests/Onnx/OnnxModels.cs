using System.Runtime.InteropServices;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>The shared ONNX MobileNets (../shared/models/onnx) and their PyTorch input/output pairs.</summary>
internal static class OnnxModels
{
    public static readonly string[] All =
    {
        "mobilenet_v1_0.25_128", "mobilenet_v2_0.35_96", "mobilenet_v1_1.0_224", "mobilenet_v2_1.0_224",
    };

    public static readonly string[] Small = { "mobilenet_v1_0.25_128", "mobilenet_v2_0.35_96" };

    public static string Path(string name) => TestData.Require($"models/onnx/{name}.onnx");

    public static float[] ReadF32(string name, string suffix)
    {
        var bytes = File.ReadAllBytes(TestData.Require($"models/onnx/{name}.{suffix}.f32"));
        return MemoryMarshal.Cast<byte, float>(bytes).ToArray();
    }

    /// <summary>Seeded standard-normal input (Box–Muller over System.Random(seed)).</summary>
    public static float[] RandomInput(int count, int seed)
    {
        var rng = new Random(seed);
        var x = new float[count];
        for (int i = 0; i < count; i++)
        {
            double u1 = 1.0 - rng.NextDouble(), u2 = rng.NextDouble();
            x[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2));
        }
        return x;
    }

    public static (double MaxAbs, int Index) MaxAbsDiff(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        double max = 0;
        int at = -1;
        for (int i = 0; i < a.Length; i++)
        {
            double d = Math.Abs((double)a[i] - b[i]);
            if (!(d <= max))
            {
                max = d;
                at = i;
            }
        }
        return (max, at);
    }
}
