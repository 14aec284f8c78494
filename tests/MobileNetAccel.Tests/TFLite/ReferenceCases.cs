using System.Text.Json;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>One model × image case of ../shared/models/tflite/reference/reference.json.</summary>
public sealed record ReferenceCase(string Model, string Image, string InputPath, string ArmnnPath, string LitertPath,
    int ToleranceQuanta, bool Top1Agree, int ReferencesMaxDelta)
{
    public override string ToString() => $"{Model}/{Image}";

    public byte[] Input => File.ReadAllBytes(InputPath);
    public byte[] Armnn => File.ReadAllBytes(ArmnnPath);
    public byte[] Litert => File.ReadAllBytes(LitertPath);
    public string ModelPath => TestData.Require($"models/tflite/{Model}.tflite");

    /// <summary>The cases of reference.json (resolved against the shared folder; missing data fails in CI).</summary>
    public static IEnumerable<ReferenceCase> All()
    {
        string refDir = TestData.Require("models/tflite/reference");
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(refDir, "reference.json")));
        var list = new List<ReferenceCase>();
        foreach (var r in doc.RootElement.GetProperty("results").EnumerateArray())
            list.Add(new ReferenceCase(r.GetProperty("model").GetString()!, r.GetProperty("image").GetString()!,
                Path.Combine(refDir, r.GetProperty("input").GetString()!),
                Path.Combine(refDir, r.GetProperty("output_armnn").GetString()!),
                Path.Combine(refDir, r.GetProperty("output_litert").GetString()!),
                r.GetProperty("tolerance_quanta").GetInt32(), r.GetProperty("top1_agree").GetBoolean(),
                r.GetProperty("references_max_delta").GetInt32()));
        return list;
    }

    public static int MaxDistance(ReadOnlySpan<byte> a, ReadOnlySpan<byte> b)
    {
        int m = 0;
        for (int i = 0; i < a.Length; i++)
            m = Math.Max(m, Math.Abs(a[i] - b[i]));
        return m;
    }

    public static int ArgMax(ReadOnlySpan<byte> a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++)
            if (a[i] > a[best])
                best = i;
        return best;
    }

    private static readonly Dictionary<string, ModelGraph> Graphs = new();

    /// <summary>The imported graph of a model file (cached; tests must not modify it).</summary>
    public static ModelGraph Graph(string model)
    {
        lock (Graphs)
        {
            if (!Graphs.TryGetValue(model, out var g))
                Graphs[model] = g = TfliteReader.Load(TestData.Require($"models/tflite/{model}.tflite"));
            return g;
        }
    }
}
