using MobileNetAccel.Graph;

namespace MobileNetAccel.Models;

/// <summary>Architectures of the built-in model zoo.</summary>
public enum Architecture
{
    MobileNetV1,
    MobileNetV2,
}

/// <summary>Entry point to the built-in architectures (random weights; for benchmarks and tests).</summary>
public static class ModelZoo
{
    /// <summary>Builds <paramref name="architecture"/> at width multiplier <paramref name="alpha"/> and input
    /// <paramref name="resolution"/>x<paramref name="resolution"/>, batch 1.</summary>
    public static ModelGraph Build(Architecture architecture, double alpha, int resolution, ulong seed = 1) => architecture switch
    {
        Architecture.MobileNetV1 => MobileNetV1.Build(alpha, resolution, seed),
        Architecture.MobileNetV2 => MobileNetV2.Build(alpha, resolution, seed),
        _ => throw new ArgumentOutOfRangeException(nameof(architecture), architecture, "unknown architecture"),
    };

    /// <summary>Parses "v1", "v2", "mobilenet_v1", "MobileNetV2" ...</summary>
    public static Architecture ParseArchitecture(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        string t = text.Trim().ToLowerInvariant().Replace("_", "").Replace("-", "");
        return t switch
        {
            "v1" or "mobilenetv1" => Architecture.MobileNetV1,
            "v2" or "mobilenetv2" => Architecture.MobileNetV2,
            _ => throw new ArgumentException($"unknown architecture '{text}' (expected v1 or v2)", nameof(text)),
        };
    }

    internal static void CheckArguments(double alpha, int resolution)
    {
        if (!(alpha > 0) || alpha > 4 || double.IsNaN(alpha))
            throw new ArgumentOutOfRangeException(nameof(alpha), alpha, "alpha must be in (0, 4]");
        if (resolution < 32 || resolution > 4096)
            throw new ArgumentOutOfRangeException(nameof(resolution), resolution, "resolution must be in [32, 4096]");
    }
}
