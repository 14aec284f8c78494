using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Models;
using MobileNetAccel.Tests;
using NUnit.Framework;

namespace MobileNetAccel.Gpu.Tests;

/// <summary>
/// Whole zoo networks (optimised by the graph passes: batch norm folded, activations and inverted residuals fused)
/// on an ILGPU backend against the managed reference backend, through the public session API, and batch N against
/// N runs of batch 1.
/// Tolerance on the softmax output (probabilities summing to 1 over 1001 classes): |Δ| ≤ 2e-6 + 1e-3·|want|.
/// The kernels accumulate in float32 in another order than the reference (tiled GEMM slices, fused blocks), a
/// relative difference of ~1e-5 on logits through 20-50 layers; that moves a probability p by about p·1e-4. A wrong
/// kernel (a dropped tap, a misplaced tile) changes logits by O(0.1) and probabilities by far more than the bound.
/// </summary>
public abstract class NetworkTests : GpuFixture
{
    private const double Abs = 2e-6, Rel = 1e-3;

    protected float[] RunSession(Model model, string backend, float[] input)
    {
        using var session = new InferenceSession(model, new SessionOptions { Backend = backend, Threads = 1, ForceFloat = true });
        Assert.That(session.Placement.All(p => p.Backend == backend), Is.True);
        return session.Run(input);
    }

    protected static float[] Input(Model model, int seed)
    {
        var shape = model.Graph.Inputs[0].Shape;
        return RandomFloats(Rng(seed), shape.Aggregate(1, (a, b) => a * b));
    }

    protected void CompareWithManaged(Architecture arch, double alpha, int resolution)
    {
        var model = Model.Zoo.Build(arch, alpha, resolution);
        var x = Input(model, resolution);
        var want = RunSession(model, "managed", x);
        var got = RunSession(model, BackendName, x);
        TestContext.Out.WriteLine($"{model.Name}: max |Δ| {got.Zip(want, (a, b) => Math.Abs(a - b)).Max():E2}, top-1 {ArgMax(got)} vs {ArgMax(want)}");
        AssertClose(got, want, Abs, Rel, $"{model.Name} on {BackendName} vs managed");
        Assert.That(ArgMax(got), Is.EqualTo(ArgMax(want)), "top-1 class");
    }

    /// <summary>A real (quantized) TFLite MobileNet from the shared test data, run in its float32 form (ForceFloat:
    /// weights dequantized once; the uint8 input dequantized on the device) against the native cpu backend's float path
    /// (the managed reference has no Dequantize; the native float kernels are themselves checked against it).</summary>
    protected void CompareFileWithNativeCpu(string relative)
    {
        var model = new Model(TfliteReader.Load(TestData.Require(relative)));
        var x = Input(model, 3).Select(v => v * 0.99f).ToArray();
        var want = RunSession(model, "cpu", x);
        var got = RunSession(model, BackendName, x);
        TestContext.Out.WriteLine($"{relative}: max |Δ| {got.Zip(want, (a, b) => Math.Abs(a - b)).Max():E2}");
        AssertClose(got, want, Abs, Rel, $"{relative} on {BackendName} vs cpu");
        Assert.That(ArgMax(got), Is.EqualTo(ArgMax(want)), "top-1 class");
    }

    protected void BatchEqualsPerImage(Architecture arch, double alpha, int resolution, int batch)
    {
        var single = Model.Zoo.Build(arch, alpha, resolution);
        var batched = single.WithBatch(batch);
        var x = Input(batched, 7);
        int per = x.Length / batch;
        var got = RunSession(batched, BackendName, x);
        int classes = got.Length / batch;
        using var session = new InferenceSession(single, new SessionOptions { Backend = BackendName });
        for (int i = 0; i < batch; i++)
        {
            var one = session.Run(x.AsSpan(i * per, per).ToArray());
            // Same kernels, same summation order per image: batch only changes which thread computes an output.
            AssertClose(got.AsSpan(i * classes, classes).ToArray(), one, 1e-7, 1e-5, $"{batched.Name} image {i} of batch {batch} vs batch 1");
        }
    }

    private static int ArgMax(float[] a)
    {
        int best = 0;
        for (int i = 1; i < a.Length; i++)
            if (a[i] > a[best])
                best = i;
        return best;
    }
}

/// <summary>ILGPU's CPU accelerator: small networks, one full-size V2, batch 8 (kept to about a minute on 2 cores).</summary>
[TestFixture]
public sealed class CpuAcceleratorNetworkTests : NetworkTests
{
    protected override string BackendName => "ilgpu-cpu";

    [Test]
    public void MobileNetV2_035_96() => CompareWithManaged(Architecture.MobileNetV2, 0.35, 96);

    [Test]
    public void MobileNetV1_025_128() => CompareWithManaged(Architecture.MobileNetV1, 0.25, 128);

    [Test]
    public void MobileNetV2_10_224() => CompareWithManaged(Architecture.MobileNetV2, 1.0, 224);

    [Test]
    public void TfliteMobileNetV1_025_128_Quant() => CompareFileWithNativeCpu("models/tflite/mobilenet_v1_0.25_128_quant.tflite");

    [Test]
    public void Batch8EqualsBatch1_V2() => BatchEqualsPerImage(Architecture.MobileNetV2, 0.35, 32, 8);

    [Test]
    public void Batch8EqualsBatch1_V1() => BatchEqualsPerImage(Architecture.MobileNetV1, 0.25, 32, 8);
}

/// <summary>CUDA: every zoo size the GPU check uses; skipped (reported) where there is no NVIDIA GPU, as in CI.</summary>
[TestFixture]
public sealed class CudaNetworkTests : NetworkTests
{
    protected override string BackendName => "ilgpu-cuda";

    [TestCase(Architecture.MobileNetV1, 1.0, 224)]
    [TestCase(Architecture.MobileNetV2, 1.0, 224)]
    [TestCase(Architecture.MobileNetV2, 1.4, 224)]
    [TestCase(Architecture.MobileNetV2, 0.35, 96)]
    [TestCase(Architecture.MobileNetV1, 0.25, 128)]
    public void MatchesManaged(Architecture arch, double alpha, int resolution) => CompareWithManaged(arch, alpha, resolution);

    [TestCase("models/tflite/mobilenet_v1_0.25_128_quant.tflite")]
    [TestCase("models/tflite/mobilenet_v1_0.5_160_quant.tflite")]
    [TestCase("models/tflite/mobilenet_v2_1.0_224_quant.tflite")]
    public void TfliteMatchesManaged(string relative) => CompareFileWithNativeCpu(relative);

    [TestCase(Architecture.MobileNetV2, 1.0, 224, 8)]
    [TestCase(Architecture.MobileNetV1, 1.0, 224, 8)]
    public void BatchEqualsBatch1(Architecture arch, double alpha, int resolution, int batch) => BatchEqualsPerImage(arch, alpha, resolution, batch);
}
