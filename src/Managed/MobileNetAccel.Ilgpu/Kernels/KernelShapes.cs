namespace MobileNetAccel.Ilgpu.Kernels;

/// <summary>Shape of a windowed NHWC op (conv, depthwise, pooling). Passed by value to kernels. The dilations are
/// read by the depthwise kernel only, where 0 means 1 (a shape built without them is undilated).</summary>
public struct WindowShape
{
    public int N, InH, InW, InC, OutH, OutW, OutC, PadTop, PadLeft, DilationH, DilationW;
}

/// <summary>C[M,N] = act(A[M,K] · B[K,N] + bias[N]) (+ R[M,N] when Residual != 0).</summary>
public struct GemmShape
{
    public int M, N, K, Residual;
}

/// <summary>Shape of the fused expand 1x1 + depthwise 3x3 kernel.</summary>
public struct ExpandDepthwiseShape
{
    public int N, InH, InW, InC, Hidden, OutH, OutW, PadTop, PadLeft, TilesX, TilesY;
}

/// <summary>Shape of a rank-4 constant pad.</summary>
public struct PadShape
{
    public int InD0, InD1, InD2, InD3, OutD1, OutD2, OutD3, Before0, Before1, Before2, Before3;
    public float Value;
}

/// <summary>Rank-4 (or lower, padded with leading 1s) permutation: output dims D0..D3 and, for each output axis, the
/// input stride it walks.</summary>
public struct TransposeShape
{
    public int D1, D2, D3;
    public long S0, S1, S2, S3;
}
