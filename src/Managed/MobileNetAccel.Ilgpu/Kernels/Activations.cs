namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>A fused activation. Implemented by readonly structs so a generic kernel is specialised per activation
/// (ILGPU compiles one kernel per type argument; the call inlines to nothing, max, or min/max).</summary>
public interface IActivation
{
    float Apply(float x);
}

/// <summary>No activation.</summary>
public readonly struct IdentityActivation : IActivation
{
    public float Apply(float x) => x;
}

/// <summary>max(x, 0).</summary>
public readonly struct ReluActivation : IActivation
{
    public float Apply(float x) => x < 0f ? 0f : x;
}

/// <summary>min(max(x, 0), 6).</summary>
public readonly struct Relu6Activation : IActivation
{
    public float Apply(float x) => x < 0f ? 0f : (x > 6f ? 6f : x);
}
