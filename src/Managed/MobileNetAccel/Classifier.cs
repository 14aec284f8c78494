namespace MobileNetAccel;

/// <summary>Labels and top-k selection for classification outputs.</summary>
public static class Classifier
{
    /// <summary>Reads a labels file: one label per line, line i = class i (e.g. TFLite's imagenet_labels.txt, 1001
    /// lines with "background" at 0). Trailing whitespace is trimmed; the file must not be empty.</summary>
    public static string[] LoadLabels(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var lines = File.ReadAllLines(path).Select(l => l.TrimEnd()).ToList();
        while (lines.Count > 0 && lines[^1].Length == 0)
            lines.RemoveAt(lines.Count - 1);
        if (lines.Count == 0)
            throw new InvalidDataException($"{path}: the labels file is empty");
        return lines.ToArray();
    }

    /// <summary>The <paramref name="k"/> highest scores, highest first; equal scores keep the lower index first.</summary>
    public static IReadOnlyList<(int Index, float Score)> TopK(ReadOnlySpan<float> scores, int k)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        var list = new List<(int Index, float Score)>(scores.Length);
        for (int i = 0; i < scores.Length; i++)
            list.Add((i, scores[i]));
        return list.OrderByDescending(p => p.Score).ThenBy(p => p.Index).Take(k).ToList();
    }

    /// <summary>Softmax in place (for models whose output is logits).</summary>
    public static void Softmax(Span<float> values)
    {
        if (values.IsEmpty)
            return;
        float max = float.NegativeInfinity;
        foreach (var v in values)
            max = Math.Max(max, v);
        double sum = 0;
        for (int i = 0; i < values.Length; i++)
        {
            values[i] = MathF.Exp(values[i] - max);
            sum += values[i];
        }
        for (int i = 0; i < values.Length; i++)
            values[i] = (float)(values[i] / sum);
    }
}
