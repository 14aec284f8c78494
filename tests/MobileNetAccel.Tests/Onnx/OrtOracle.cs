using Ort = Microsoft.ML.OnnxRuntime;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>ONNX Runtime 1.31.1 (test-only) as the reference: one cached session per model, single-threaded, all
/// graph optimizations off (so it computes the graph as written, not a fused rewrite).</summary>
internal static class OrtOracle
{
    private static readonly Dictionary<string, Ort.InferenceSession> Sessions = new();
    private static readonly object Gate = new();

    public static float[] Run(string modelPath, string inputName, long[] shape, float[] input)
    {
        Ort.InferenceSession session;
        lock (Gate)
        {
            if (!Sessions.TryGetValue(modelPath, out session!))
            {
                var options = new Ort.SessionOptions
                {
                    IntraOpNumThreads = 1,
                    InterOpNumThreads = 1,
                    GraphOptimizationLevel = Ort.GraphOptimizationLevel.ORT_DISABLE_ALL,
                };
                session = new Ort.InferenceSession(modelPath, options);
                Sessions[modelPath] = session;
            }
        }
        lock (session)
        {
            using var value = Ort.OrtValue.CreateTensorValueFromMemory(input, shape);
            using var runOptions = new Ort.RunOptions();
            var outputName = session.OutputMetadata.Keys.First();
            using var results = session.Run(runOptions, new[] { inputName }, new[] { value }, new[] { outputName });
            return results[0].GetTensorDataAsSpan<float>().ToArray();
        }
    }
}
