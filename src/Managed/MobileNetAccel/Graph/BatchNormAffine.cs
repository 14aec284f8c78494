namespace MobileNetAccel.Graph;

/// <summary>
/// The one place batch normalisation becomes arithmetic: y = γ·(x − μ)/√(σ² + ε) + β = x·s + t per channel with
/// s = γ/√(σ² + ε) and t = β − μ·s, computed in double and rounded once to float. Used by the folding pass, by every
/// backend that runs a standalone batch-norm node and by the ONNX importer (BatchNormalization on other ranks).
/// </summary>
internal static class BatchNormAffine
{
    /// <summary>s = γ/√(σ² + ε) per channel, in double (the folding pass scales weights by it).</summary>
    public static double[] Factors(ReadOnlySpan<float> gamma, ReadOnlySpan<float> variance, float epsilon)
    {
        if (gamma.Length != variance.Length)
            throw new ArgumentException($"{gamma.Length} scales but {variance.Length} variances");
        var s = new double[gamma.Length];
        for (int c = 0; c < s.Length; c++)
            s[c] = gamma[c] / Math.Sqrt((double)variance[c] + epsilon);
        return s;
    }

    /// <summary>(s, t) as floats: x·s + t is the batch norm.</summary>
    public static (float[] Scale, float[] Shift) Compute(ReadOnlySpan<float> gamma, ReadOnlySpan<float> beta,
        ReadOnlySpan<float> mean, ReadOnlySpan<float> variance, float epsilon)
    {
        if (beta.Length != gamma.Length || mean.Length != gamma.Length)
            throw new ArgumentException($"batch-norm parameters of different lengths ({gamma.Length}, {beta.Length}, {mean.Length}, {variance.Length})");
        var f = Factors(gamma, variance, epsilon);
        var s = new float[f.Length];
        var t = new float[f.Length];
        for (int c = 0; c < f.Length; c++)
        {
            s[c] = (float)f[c];
            t[c] = (float)(beta[c] - mean[c] * f[c]);
        }
        return (s, t);
    }

    /// <summary>(s, t) of a batch-norm node with constant parameters.</summary>
    public static (float[] Scale, float[] Shift) Compute(BatchNormNode bn)
    {
        ArgumentNullException.ThrowIfNull(bn);
        return Compute(bn.Scale.AsFloats(), bn.Offset.AsFloats(), bn.Mean.AsFloats(), bn.Variance.AsFloats(), bn.Epsilon);
    }
}
