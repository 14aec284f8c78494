namespace MobileNetAccel.Graph;

/// <summary>Activation applied by a node (on its own, or fused into a convolution, pooling, add or block).</summary>
public enum Activation
{
    None = 0,
    Relu = 1,
    /// <summary>min(max(x, 0), 6).</summary>
    Relu6 = 2,
}
