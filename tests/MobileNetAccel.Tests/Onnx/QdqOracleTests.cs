using System.Runtime.InteropServices;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>How a test graph's weights are quantized: per tensor (asymmetric uint8 / int8) or per output channel
/// (symmetric int8, or uint8 around 128).</summary>
internal enum QdqWeights { PerTensorU8, PerTensorS8, PerChannelS8, PerChannelU8Zp128 }

/// <summary>The activation between an operator and its QuantizeLinear (Relu6 = Clip(0, 6)).</summary>
internal enum QdqAct { None, Relu, Relu6 }

/// <summary>
/// Small QDQ graphs (float input → QuantizeLinear → DequantizeLinear → operator(s) with dequantized constant weights
/// and biases → QuantizeLinear → DequantizeLinear → float output, opset 13), built here with seeded random weights
/// and inputs, against ONNX Runtime: both at ORT_DISABLE_ALL (float operators on the dequantized values, the graph as
/// written) and at ORT_ENABLE_ALL (ORT's own QDQ fusion and integer kernels). Every output element must be within one
/// output quantum of both (|ours − ort| ≤ scale + 1e-6); how many differ by exactly one quantum is printed. Each test
/// also checks that the importer fused the islands: the graph that runs holds the expected integer layers (Conv2D,
/// depthwise, fully connected, Add, pools, Softmax, the fused quantized inverted residual block) on uint8/int8 inputs
/// and none of them on float. Two seeds per case.
/// <para>Activation scales are calibrated as ORT's quantizer does (MinMax, range widened to include 0): the graph is
/// first built without the activation Q/DQ pairs, each to-be-quantized tensor a graph output, and run by ORT on the
/// test input. The input is made of exact quanta (q − zero_point)·scale, so quantizing it has no ties; int32 biases
/// have scale input_scale·weight_scale (float32), zero point 0, as the fusion requires.</para>
/// </summary>
[TestFixture]
public class QdqOracleTests
{
    private sealed record Case(bool Int8Activations, long[] InputShape, Func<QdqGraph, string> Body, params Type[] Fused);

    private static readonly long[] Image = { 1, 8, 10, 10 };

    private static readonly Dictionary<string, Case> Catalog = new()
    {
        ["ConvPerTensorU8"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerTensorU8)), typeof(Conv2DNode)),
        ["ConvPerTensorS8WeightsU8Activations"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerTensorS8)), typeof(Conv2DNode)),
        ["ConvPerChannelS8WeightsU8Activations"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8)), typeof(Conv2DNode)),
        ["ConvPerChannelU8Zp128Weights"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelU8Zp128)), typeof(Conv2DNode)),
        ["ConvPerChannelS8WeightsS8Activations"] = new(true, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8)), typeof(Conv2DNode)),
        ["Conv1x1NoBias"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 16, 1, QdqWeights.PerChannelS8, bias: false)), typeof(Conv2DNode)),
        ["ConvAsymmetricPadsStride2"] = new(false, Image,
            g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8, stride: 2, pads: new long[] { 0, 1, 1, 0 })), typeof(Conv2DNode)),
        ["ConvAsymmetricPadsStride2S8Activations"] = new(true, new long[] { 1, 3, 11, 11 },
            g => g.Requant(g.Conv(g.Input(), 8, 3, QdqWeights.PerChannelS8, stride: 2, pads: new long[] { 1, 0, 0, 1 })), typeof(Conv2DNode)),
        ["DepthwisePerChannel"] = new(false, Image,
            g => g.Requant(g.Conv(g.Input(), 8, 3, QdqWeights.PerChannelS8, group: 8)), typeof(DepthwiseConv2DNode)),
        ["DepthwiseStride2S8Activations"] = new(true, Image,
            g => g.Requant(g.Conv(g.Input(), 8, 3, QdqWeights.PerChannelS8, stride: 2, pads: new long[] { 0, 0, 1, 1 }, group: 8)), typeof(DepthwiseConv2DNode)),
        ["ConvRelu"] = new(false, Image, g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu)), typeof(Conv2DNode)),
        // QdqWeights large enough that many outputs exceed 6; the output range is [0, 6] as the quantizer gives Relu6.
        ["ConvClip06"] = new(false, Image,
            g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu6, weightRange: 2f), fixedRange: (0f, 6f)), typeof(Conv2DNode)),
        ["DepthwiseClip06S8Activations"] = new(true, Image,
            g => g.Requant(g.Conv(g.Input(), 8, 3, QdqWeights.PerChannelS8, group: 8, act: QdqAct.Relu6, weightRange: 3f), fixedRange: (0f, 6f)),
            typeof(DepthwiseConv2DNode)),
        ["ResidualAdd"] = new(false, Image, g =>
        {
            string x = g.Input();
            string a = g.Requant(g.Conv(x, 8, 1, QdqWeights.PerChannelS8));
            string b = g.Requant(g.Conv(x, 8, 3, QdqWeights.PerChannelS8, weightRange: 1.5f));
            return g.Requant(g.Add(a, b));
        }, typeof(Conv2DNode), typeof(AddNode)),
        ["ResidualAddIdentitySkipS8Activations"] = new(true, Image, g =>
        {
            string x = g.Input();
            string a = g.Requant(g.Conv(x, 8, 3, QdqWeights.PerChannelS8, weightRange: 0.2f));
            return g.Requant(g.Add(x, a));
        }, typeof(Conv2DNode), typeof(AddNode)),
        // MobileNetV2's block: 1×1 expand + Relu6, 3×3 depthwise + Relu6, 1×1 project, Add of the block input.
        ["InvertedResidual"] = new(false, new long[] { 1, 16, 9, 9 }, g =>
        {
            string x = g.Input();
            string e = g.Requant(g.Conv(x, 48, 1, QdqWeights.PerChannelS8, act: QdqAct.Relu6));
            string d = g.Requant(g.Conv(e, 48, 3, QdqWeights.PerChannelS8, group: 48, act: QdqAct.Relu6));
            string p = g.Requant(g.Conv(d, 16, 1, QdqWeights.PerChannelS8));
            return g.Requant(g.Add(x, p));
        }, typeof(QuantizedInvertedResidualNode)),
        ["WideConvK288S8Activations"] = new(true, new long[] { 1, 32, 12, 12 },
            g => g.Requant(g.Conv(g.Input(), 32, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu)), typeof(Conv2DNode)),
        ["ResidualAddPerTensorU8"] = new(false, Image, g =>
        {
            string x = g.Input();
            string a = g.Requant(g.Conv(x, 8, 1, QdqWeights.PerTensorU8));
            string b = g.Requant(g.Conv(x, 8, 3, QdqWeights.PerTensorU8, weightRange: 1.5f));
            return g.Requant(g.Add(a, b));
        }, typeof(Conv2DNode), typeof(AddNode)),
        // The output range reaches below 0, so the Relu / Clip is not the Q's saturation: it must be applied itself.
        ["ConvReluOutputRangeBelowZero"] = new(false, Image,
            g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu), fixedRange: (-2f, 4f)), typeof(Conv2DNode)),
        ["ConvClip06WideOutputRangeS8Activations"] = new(true, Image,
            g => g.Requant(g.Conv(g.Input(), 12, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu6, weightRange: 2f), fixedRange: (-1f, 8f)),
            typeof(Conv2DNode)),
        ["GlobalAveragePool"] = new(false, Image, g => g.Requant(g.GlobalAveragePool(g.Input())), typeof(GlobalAveragePoolNode)),
        ["ConvGlobalAveragePool"] = new(false, Image,
            g => g.Requant(g.GlobalAveragePool(g.Requant(g.Conv(g.Input(), 16, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu)))),
            typeof(Conv2DNode), typeof(GlobalAveragePoolNode)),
        ["GemmPerChannel"] = new(false, new long[] { 1, 40 }, g => g.Requant(g.Gemm(g.Input(), 24, QdqWeights.PerChannelS8)), typeof(FullyConnectedNode)),
        ["GemmPerChannelS8Activations"] = new(true, new long[] { 1, 40 }, g => g.Requant(g.Gemm(g.Input(), 24, QdqWeights.PerChannelS8)), typeof(FullyConnectedNode)),
        ["GemmPerTensorU8"] = new(false, new long[] { 1, 40 }, g => g.Requant(g.Gemm(g.Input(), 24, QdqWeights.PerTensorU8)), typeof(FullyConnectedNode)),
        ["MatMulPerChannel"] = new(false, new long[] { 1, 40 }, g => g.Requant(g.MatMul(g.Input(), 24, QdqWeights.PerChannelS8)), typeof(FullyConnectedNode)),
        ["MatMulPerTensorU8"] = new(false, new long[] { 1, 40 }, g => g.Requant(g.MatMul(g.Input(), 24, QdqWeights.PerTensorU8)), typeof(FullyConnectedNode)),
        // Conv → GlobalAveragePool → Flatten (Q with the DQ's parameters) → Gemm: MobileNet's classifier tail.
        ["ClassifierTail"] = new(false, Image, g =>
        {
            string c = g.Requant(g.Conv(g.Input(), 16, 3, QdqWeights.PerChannelS8, act: QdqAct.Relu6));
            string p = g.Requant(g.GlobalAveragePool(c));
            string f = g.Requant(g.Flatten(p), like: p);
            return g.Requant(g.Gemm(f, 10, QdqWeights.PerChannelS8));
        }, typeof(Conv2DNode), typeof(GlobalAveragePoolNode), typeof(FullyConnectedNode)),
        ["AveragePool2x2"] = new(false, Image, g => g.Requant(g.AveragePool(g.Input(), 2, 2, new long[] { 0, 0, 0, 0 })), typeof(AveragePool2DNode)),
        ["AveragePool3x3PaddedStride2S8Activations"] = new(true, Image,
            g => g.Requant(g.AveragePool(g.Input(), 3, 2, new long[] { 1, 1, 1, 1 })), typeof(AveragePool2DNode)),
        ["AveragePoolSameParameters"] = new(false, Image, g =>
        {
            string x = g.Input();
            return g.Requant(g.AveragePool(x, 3, 1, new long[] { 1, 1, 1, 1 }), like: x);
        }, typeof(AveragePool2DNode)),
        // Softmax's output quantized as ORT's quantizer does: scale 1/256 over [0, 1).
        ["GemmSoftmax"] = new(false, new long[] { 1, 40 }, g =>
        {
            string logits = g.Requant(g.Gemm(g.Input(), 24, QdqWeights.PerChannelS8, weightRange: 2f));
            return g.Requant(g.Softmax(logits), fixedRange: (0f, 255f / 256));
        }, typeof(FullyConnectedNode), typeof(SoftmaxNode)),
        ["QLinearConvPerChannel"] = new(false, Image, g => g.QLinearConv(g.Input(), 12, 3, QdqWeights.PerChannelS8), typeof(Conv2DNode)),
        ["QLinearConvPerTensorU8"] = new(false, Image, g => g.QLinearConv(g.Input(), 12, 3, QdqWeights.PerTensorU8), typeof(Conv2DNode)),
    };

    private static IEnumerable<TestCaseData> Cases() =>
        from name in Catalog.Keys
        from seed in new[] { 1, 2 }
        select new TestCaseData(name, seed).SetName($"Qdq_{name}_seed{seed}");

    private static readonly Type[] IntegerLayers =
    {
        typeof(Conv2DNode), typeof(DepthwiseConv2DNode), typeof(FullyConnectedNode), typeof(AddNode), typeof(GlobalAveragePoolNode),
        typeof(QuantizedInvertedResidualNode), typeof(AveragePool2DNode), typeof(SoftmaxNode),
    };

    [TestCaseSource(nameof(Cases))]
    public void MatchesOnnxRuntimeWithinOneQuantum(string name, int seed)
    {
        var c = Catalog[name];
        string dir = Path.Combine(TestContext.CurrentContext.WorkDirectory, "qdq-oracle");
        Directory.CreateDirectory(dir);

        var calibrating = new QdqGraph(seed, c.Int8Activations, c.InputShape, null);
        calibrating.Finish(c.Body(calibrating));
        string calibrationPath = Path.Combine(dir, $"{name}_{seed}.calibration.onnx");
        File.WriteAllBytes(calibrationPath, calibrating.B.Build());
        var ranges = OrtOracle.RunAll(calibrationPath, "x", c.InputShape, calibrating.InputData);

        var g = new QdqGraph(seed, c.Int8Activations, c.InputShape, ranges);
        string output = c.Body(g);
        g.Finish(output);
        string path = Path.Combine(dir, $"{name}_{seed}.onnx");
        File.WriteAllBytes(path, g.B.Build());
        float scale = g.ScaleOf(output);

        var ortPlain = OrtOracle.Run(path, "x", c.InputShape, g.InputData, optimized: false);
        if (OrtFusedSaturates && name.StartsWith("QLinear", StringComparison.Ordinal))
        {
            // ORT runs QLinearConv on its integer kernels at every level; without VNNI they saturate (see
            // OrtFusedSaturates), so the exact oracle is the same operator written as DQ → Conv → Q, run in float.
            var expanded = new QdqGraph(seed, c.Int8Activations, c.InputShape, ranges) { ExpandQLinear = true };
            expanded.Finish(c.Body(expanded));
            string expandedPath = Path.Combine(dir, $"{name}_{seed}.expanded.onnx");
            File.WriteAllBytes(expandedPath, expanded.B.Build());
            Assert.That(expanded.InputData, Is.EqualTo(g.InputData), "the expanded graph has the same input");
            ortPlain = OrtOracle.Run(expandedPath, "x", c.InputShape, expanded.InputData, optimized: false);
        }
        var ortFused = OrtOracle.Run(path, "x", c.InputShape, g.InputData, optimized: true);
        using var session = new InferenceSession(Model.Load(path));
        var ours = session.Run(g.InputData);

        TestContext.Out.WriteLine($"{name} seed {seed}: output {ours.Length} elements, scale {scale:G6}, "
            + $"{ortPlain.Distinct().Count()} distinct values in ORT's output");
        TestContext.Out.WriteLine("  nodes: " + string.Join(", ", session.Graph.Nodes.Select(n => $"{n.GetType().Name}({n.Input.DataType})")));
        int plainOne = Compare(ours, ortPlain, scale, "ORT_DISABLE_ALL");
        int fusedOne = OrtFusedSaturates
            ? CompareWhereOrtIsExact(ours, ortPlain, ortFused, scale)
            : Compare(ours, ortFused, scale, "ORT_ENABLE_ALL");
        int ortOne = CountOneQuantum(ortPlain, ortFused, scale);
        TestContext.Out.WriteLine($"  differ by one quantum: {plainOne} vs ORT_DISABLE_ALL, {fusedOne} vs ORT_ENABLE_ALL "
            + $"(ORT's two levels differ in {ortOne})");
        Assert.That(ortPlain.Distinct().Count(), Is.GreaterThan(2), "the test output should not be (nearly) constant");

        Assert.Multiple(() =>
        {
            foreach (var t in c.Fused)
                Assert.That(session.Graph.Nodes.Any(n => n.GetType() == t && IsQuantized(n.Input.DataType)), Is.True,
                    $"a {t.Name} on uint8/int8 input (the island was fused)");
            var floatLayers = session.Graph.Nodes.Where(n => IntegerLayers.Contains(n.GetType()) && !IsQuantized(n.Input.DataType)).ToList();
            Assert.That(floatLayers.Select(n => n.Name), Is.Empty, "no layer fell back to float");
        });
    }

    private static bool IsQuantized(DataType t) => t is DataType.UInt8 or DataType.Int8;

    private static int Compare(float[] ours, float[] ort, float scale, string what)
    {
        Assert.That(ours, Has.Length.EqualTo(ort.Length), what);
        double max = 0;
        int at = -1;
        for (int i = 0; i < ours.Length; i++)
        {
            double d = Math.Abs((double)ours[i] - ort[i]);
            if (d > max)
                (max, at) = (d, i);
        }
        Assert.That(max, Is.LessThanOrEqualTo(scale + 1e-6),
            $"vs {what}: element {at} ours {(at >= 0 ? ours[at] : 0)} ort {(at >= 0 ? ort[at] : 0)} ({max / scale:F2} quanta)");
        return CountOneQuantum(ours, ort, scale);
    }

    /// <summary>On x86-64 without VNNI, ORT_ENABLE_ALL's fused integer convolutions (MLAS u8×s8 on AVX2) add pairs of
    /// products with <c>vpmaddubsw</c>, which saturates at ±32767, so ORT's fused output is not the exact integer result
    /// there (ORT's quantization documentation names this saturation). Our kernels are exact (docs/INT8.md), so against
    /// that oracle they are checked where ORT is exact: wherever ours and ORT_ENABLE_ALL differ by more than one
    /// quantum, ORT's own two levels must differ there by more than one quantum too (the difference is ORT's).</summary>
    private static readonly bool OrtFusedSaturates = RuntimeInformation.ProcessArchitecture == Architecture.X64
        && !NativeQ8Kernels.IsSupported(IntegerKernelIsa.AvxVnni) && !NativeQ8Kernels.IsSupported(IntegerKernelIsa.Avx512Vnni);

    private static int CompareWhereOrtIsExact(float[] ours, float[] plain, float[] fused, float scale)
    {
        Assert.That(ours, Has.Length.EqualTo(fused.Length), "ORT_ENABLE_ALL");
        int saturated = 0;
        for (int i = 0; i < ours.Length; i++)
        {
            if (Math.Abs((double)ours[i] - fused[i]) <= scale + 1e-6)
                continue;
            Assert.That(Math.Abs((double)plain[i] - fused[i]), Is.GreaterThan(scale),
                $"vs ORT_ENABLE_ALL (no VNNI): element {i} ours {ours[i]} ort {fused[i]} while ORT_DISABLE_ALL gives {plain[i]}");
            saturated++;
        }
        TestContext.Out.WriteLine($"  no VNNI on this CPU: {saturated} elements where ORT_ENABLE_ALL's saturating u8s8 kernels "
            + "differ from ORT_DISABLE_ALL by more than one quantum were not compared with it");
        return CountOneQuantum(ours, fused, scale);
    }

    private static int CountOneQuantum(float[] a, float[] b, float scale) =>
        a.Zip(b).Count(p => Math.Abs((double)p.First - p.Second) > 0.5 * scale);
}
