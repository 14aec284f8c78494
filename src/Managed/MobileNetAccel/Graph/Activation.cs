namespace MobileNetAccel.Graph;

/// <summary>Activation applied by a node (on its own, or fused into a convolution, pooling, add or block).</summary>
public enum Activation
{
    None = 0,
    Relu = 1,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6 = 2,
}

/// <summary>What an activation means, written once for every backend.</summary>
public static class ActivationExtensions
{
    /// <summary>The activation as a clamp: y = min(max(x, Min), Max) (infinities where a side is open).</summary>
    public static (float Min, float Max) Bounds(this Activation activation) => activation switch
    {
        Activation.None => (float.NegativeInfinity, float.PositiveInfinity),
        Activation.Relu => (0f, float.PositiveInfinity),
        Activation.Relu6 => (0f, 6f),
        _ => throw new ArgumentOutOfRangeException(nameof(activation), activation, "unknown activation"),
    };
}
