using System.Diagnostics;
using ILGPU;
using ILGPU.Runtime;
using MobileNetAccel.Ilgpu.Kernels;
using Act = MobileNetAccel.Graph.Activation;

namespace MobileNetAccel.Ilgpu;

/// <summary>Launchers of one activation family (identity, ReLU, ReLU6), indexed by <see cref="Act"/>.</summary>
internal sealed class ByActivation<T> where T : class
{
    private readonly Lazy<T> _none, _relu, _relu6;
    public ByActivation(Func<T> none, Func<T> relu, Func<T> relu6) => (_none, _relu, _relu6) = (new(none), new(relu), new(relu6));
    public T this[Act a] => a switch
    {
        Act.None => _none.Value,
        Act.Relu => _relu.Value,
        Act.Relu6 => _relu6.Value,
        _ => throw new NotSupportedException($"activation {a} is not supported by the ILGPU kernels"),
    };
}

/// <summary>
/// Every kernel, loaded once per accelerator (<see cref="For"/> caches the set), each on first use (a network compiles
/// only the kernels and activation variants it needs). Loading compiles the non-specialised kernels; variants with <see cref="SpecializedValue{T}"/> parameters (kernel size, stride) are compiled by ILGPU on
/// their first launch with a new value and cached inside the launcher, so a second session on the same device
/// compiles nothing.
/// </summary>
internal sealed class KernelSet
{
    private static readonly object Gate = new();
    private static readonly Dictionary<Accelerator, KernelSet> Cache = new(ReferenceEqualityComparer.Instance);
    private static int _loads;

    /// <summary>How many kernel sets were loaded in this process (one per accelerator; tests check the cache).</summary>
    public static int Loads => Volatile.Read(ref _loads);

    public static KernelSet For(Accelerator accelerator)
    {
        lock (Gate)
        {
            if (!Cache.TryGetValue(accelerator, out var set))
            {
                set = new KernelSet(accelerator);
                Cache[accelerator] = set;
                Interlocked.Increment(ref _loads);
            }
            return set;
        }
    }

    internal static void Forget(Accelerator accelerator)
    {
        lock (Gate)
            Cache.Remove(accelerator);
    }

    /// <summary>Milliseconds spent loading (compiling) the set.</summary>
    public double LoadMilliseconds { get; }


    public readonly ByActivation<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
        SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>> Conv2D;
    public readonly ByActivation<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
        SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>> Depthwise;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, WindowShape,
        SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>> AveragePool;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, WindowShape>> GlobalAveragePool;
    public readonly ByActivation<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, GemmShape, SpecializedValue<int>, SpecializedValue<int>>> Gemm;
    private readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ExpandDepthwiseShape, SpecializedValue<int>>>[] _expandDepthwise;
    public readonly ByActivation<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>> Add;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, float, float>> Clip;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> ChannelAffine;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, PadShape>> Pad;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<byte>, ArrayView<float>, float, int, int>> Dequantize;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, TransposeShape>> Transpose;
    public readonly Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, int, int, float>> Softmax;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, int, int, int>> ConcatSlice;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ResizeShape>> ResizeBilinear;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<long>, int, int, int>> ArgMax64;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<int>, int, int, int>> ArgMax32;
    public readonly Lazy<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>>> Logistic;
    public readonly ByActivation<Action<AcceleratorStream, Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>> Mul;

    public Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ExpandDepthwiseShape, SpecializedValue<int>> ExpandDepthwise(Act expand, Act depthwise) =>
        _expandDepthwise[Index(expand) * 3 + Index(depthwise)].Value;

    private static int Index(Act a) => a switch
    {
        Act.None => 0,
        Act.Relu => 1,
        Act.Relu6 => 2,
        _ => throw new NotSupportedException($"activation {a} is not supported by the ILGPU kernels"),
    };

    private KernelSet(Accelerator a)
    {
        var sw = Stopwatch.StartNew();
        Conv2D = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Conv2D<IdentityActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Conv2D<ReluActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Conv2D<Relu6Activation>));
        Depthwise = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Depthwise<IdentityActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Depthwise<ReluActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, WindowShape,
                SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.Depthwise<Relu6Activation>));
        AveragePool = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, WindowShape,
            SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>, SpecializedValue<int>>(ConvKernels.AveragePool));
        GlobalAveragePool = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, WindowShape>(ConvKernels.GlobalAveragePool));
        Gemm = new(() => a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, SpecializedValue<int>, SpecializedValue<int>>(GemmKernels.Gemm<IdentityActivation>),
            () => a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, SpecializedValue<int>, SpecializedValue<int>>(GemmKernels.Gemm<ReluActivation>),
            () => a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, GemmShape, SpecializedValue<int>, SpecializedValue<int>>(GemmKernels.Gemm<Relu6Activation>));
        _expandDepthwise = new Lazy<Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ArrayView<float>, ArrayView<float>, ExpandDepthwiseShape, SpecializedValue<int>>>[]
        {
            new(() => LoadEd<IdentityActivation, IdentityActivation>(a)), new(() => LoadEd<IdentityActivation, ReluActivation>(a)), new(() => LoadEd<IdentityActivation, Relu6Activation>(a)),
            new(() => LoadEd<ReluActivation, IdentityActivation>(a)), new(() => LoadEd<ReluActivation, ReluActivation>(a)), new(() => LoadEd<ReluActivation, Relu6Activation>(a)),
            new(() => LoadEd<Relu6Activation, IdentityActivation>(a)), new(() => LoadEd<Relu6Activation, ReluActivation>(a)), new(() => LoadEd<Relu6Activation, Relu6Activation>(a)),
        };
        Add = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add<IdentityActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add<ReluActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>>(ElementwiseKernels.Add<Relu6Activation>));
        Clip = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, float, float>(ElementwiseKernels.Clip));
        ChannelAffine = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(ElementwiseKernels.ChannelAffine));
        Transpose = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, TransposeShape>(ElementwiseKernels.Transpose));
        Dequantize = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<byte>, ArrayView<float>, float, int, int>(ElementwiseKernels.Dequantize));
        Pad = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, PadShape>(ElementwiseKernels.Pad));
        Softmax = new(() => a.LoadKernel<ArrayView<float>, ArrayView<float>, int, int, float>(ElementwiseKernels.Softmax));
        ConcatSlice = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, int, int, int>(SegmentationKernels.ConcatSlice));
        ResizeBilinear = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ResizeShape>(SegmentationKernels.ResizeBilinear));
        ArgMax64 = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<long>, int, int, int>(SegmentationKernels.ArgMax64));
        ArgMax32 = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<int>, int, int, int>(SegmentationKernels.ArgMax32));
        Logistic = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>>(SegmentationKernels.Logistic));
        Mul = new(() => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SegmentationKernels.Mul<IdentityActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SegmentationKernels.Mul<ReluActivation>),
            () => a.LoadAutoGroupedKernel<Index1D, int, int, ArrayView<float>, ArrayView<float>, ArrayView<float>, int>(SegmentationKernels.Mul<Relu6Activation>));
        LoadMilliseconds = sw.Elapsed.TotalMilliseconds;
    }

    private static Action<AcceleratorStream, KernelConfig, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
        ArrayView<float>, ArrayView<float>, ExpandDepthwiseShape, SpecializedValue<int>> LoadEd<TE, TD>(Accelerator a)
        where TE : struct, IActivation where TD : struct, IActivation =>
        a.LoadKernel<ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>, ArrayView<float>,
            ExpandDepthwiseShape, SpecializedValue<int>>(InvertedResidualKernels.ExpandDepthwise<TE, TD>);
}
