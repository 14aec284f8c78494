using NUnit.Framework;
using Ort = Microsoft.ML.OnnxRuntime;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>ONNX Runtime 1.31.1 (test-only) as the reference: one cached session per model (and optimization level),
/// single-threaded. By default all graph optimizations are off (so it computes the graph as written, not a fused
/// rewrite); <c>optimized: true</c> runs it at ORT_ENABLE_ALL, where ORT fuses QDQ groups into its own integer kernels.</summary>
internal static class OrtOracle
{
    private static readonly Dictionary<(string, bool), Ort.InferenceSession> Sessions = new();
    private static readonly object Gate = new();

    public static float[] Run(string modelPath, string inputName, long[] shape, float[] input) =>
        Run(modelPath, inputName, shape, input, optimized: false);

    public static float[] Run(string modelPath, string inputName, long[] shape, float[] input, bool optimized)
    {
        var session = Session(modelPath, optimized);
        lock (session)
            return RunOutputs(session, inputName, shape, input, new[] { session.OutputMetadata.Keys.First() })[0];
    }

    /// <summary>Every graph output (float32), by name; graph optimizations off.</summary>
    public static Dictionary<string, float[]> RunAll(string modelPath, string inputName, long[] shape, float[] input)
    {
        var session = Session(modelPath, optimized: false);
        lock (session)
        {
            var names = session.OutputMetadata.Keys.ToArray();
            var outputs = RunOutputs(session, inputName, shape, input, names);
            return names.Zip(outputs).ToDictionary(p => p.First, p => p.Second);
        }
    }

    /// <summary>The first graph output as int64 (ArgMax/ArgMin indices); graph optimizations off.</summary>
    public static long[] RunInt64(string modelPath, string inputName, long[] shape, float[] input)
    {
        var session = Session(modelPath, optimized: false);
        lock (session)
        {
            using var value = Ort.OrtValue.CreateTensorValueFromMemory(input, shape);
            using var runOptions = new Ort.RunOptions();
            using var results = session.Run(runOptions, new[] { inputName }, new[] { value }, new[] { session.OutputMetadata.Keys.First() });
            return results[0].GetTensorDataAsSpan<long>().ToArray();
        }
    }

    /// <summary>Writes a built model to the test's work directory (<paramref name="folder"/>/<paramref name="name"/>.onnx)
    /// for ORT (and our importer) to load; returns the path.</summary>
    public static string SaveModel(string folder, string name, byte[] bytes)
    {
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, folder);
        Directory.CreateDirectory(dir);
        string path = Path.Combine(dir, name + ".onnx");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static Ort.InferenceSession Session(string modelPath, bool optimized)
    {
        lock (Gate)
        {
            if (!Sessions.TryGetValue((modelPath, optimized), out var session))
            {
                var options = new Ort.SessionOptions
                {
                    IntraOpNumThreads = 1,
                    InterOpNumThreads = 1,
                    GraphOptimizationLevel = optimized ? Ort.GraphOptimizationLevel.ORT_ENABLE_ALL : Ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                };
                session = new Ort.InferenceSession(modelPath, options);
                Sessions[(modelPath, optimized)] = session;
            }
            return session;
        }
    }

    private static float[][] RunOutputs(Ort.InferenceSession session, string inputName, long[] shape, float[] input, string[] outputNames)
    {
        using var value = Ort.OrtValue.CreateTensorValueFromMemory(input, shape);
        using var runOptions = new Ort.RunOptions();
        using var results = session.Run(runOptions, new[] { inputName }, new[] { value }, outputNames);
        return results.Select(r => r.GetTensorDataAsSpan<float>().ToArray()).ToArray();
    }
}
