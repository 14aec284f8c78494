namespace MobileNetAccel.Graph;

/// <summary>Reshape to <see cref="NewShape"/> (one -1 allowed, inferred).</summary>
public sealed class ReshapeNode : Node
{
    public ReshapeNode(string name, Value input, Value output, int[] newShape) : base(name, new[] { input }, new[] { output }) => NewShape = newShape;
    public override OpType Op => OpType.Reshape;
    public int[] NewShape { get; set; }

    public override void InferShapes()
    {
        long n = Input.ElementCount;
        var s = (int[])NewShape.Clone();
        int unknown = -1;
        long known = 1;
        for (int i = 0; i < s.Length; i++)
        {
            if (s[i] == -1)
            {
                if (unknown >= 0)
                    throw Error($"new shape {Value.FormatShape(NewShape)} has more than one -1");
                unknown = i;
            }
            else if (s[i] < 0)
                throw Error($"new shape {Value.FormatShape(NewShape)} has a negative dimension");
            else
                known *= s[i];
        }
        if (unknown >= 0)
        {
            if (known == 0 || n % known != 0)
                throw Error($"cannot reshape {Value.FormatShape(Input.Shape)} ({n} elements) to {Value.FormatShape(NewShape)}");
            s[unknown] = (int)(n / known);
        }
        else if (known != n)
            throw Error($"cannot reshape {Value.FormatShape(Input.Shape)} ({n} elements) to {Value.FormatShape(NewShape)}");
        Output.Shape = s;
        Output.DataType = Input.DataType;
        Output.Quantization ??= Input.Quantization;
    }
}

/// <summary>Constant padding: <see cref="Before"/>[i] and <see cref="After"/>[i] elements on axis i.</summary>
public sealed class PadNode : Node
{
    public PadNode(string name, Value input, Value output, int[] before, int[] after, float value = 0f) : base(name, new[] { input }, new[] { output })
    {
        Before = before;
        After = after;
        PadValue = value;
    }

    public override OpType Op => OpType.Pad;
    public int[] Before { get; set; }
    public int[] After { get; set; }
    public float PadValue { get; set; }

    public override void InferShapes()
    {
        var x = Input.Shape;
        if (Before.Length != x.Length || After.Length != x.Length)
            throw Error($"{Before.Length}/{After.Length} pads for a rank-{x.Length} input");
        var o = new int[x.Length];
        for (int i = 0; i < x.Length; i++)
        {
            long d = (long)x[i] + Before[i] + After[i];
            if (d <= 0 || d > int.MaxValue)
                throw Error($"padding axis {i} of {Value.FormatShape(x)} by {Before[i]}/{After[i]} gives size {d}");
            o[i] = (int)d;
        }
        Output.Shape = o;
        Output.DataType = Input.DataType;
        Output.Quantization ??= Input.Quantization;
    }
}

/// <summary>General axis permutation: output dim i = input dim Perm[i].</summary>
public sealed class TransposeNode : Node
{
    public TransposeNode(string name, Value input, Value output, int[] perm) : base(name, new[] { input }, new[] { output }) => Perm = perm;
    public override OpType Op => OpType.Transpose;
    public int[] Perm { get; set; }

    public override void InferShapes()
    {
        var x = Input.Shape;
        if (Perm.Length != x.Length || Perm.Distinct().Count() != Perm.Length || Perm.Any(p => p < 0 || p >= x.Length))
            throw Error($"perm {Value.FormatShape(Perm)} is not a permutation of rank {x.Length}");
        Output.Shape = Perm.Select(p => x[p]).ToArray();
        Output.DataType = Input.DataType;
        Output.Quantization ??= Input.Quantization;
    }

    /// <summary>The permutation as a walk of the input for rank ≤ 4 (what the GPU kernels index with): output axis j
    /// has <c>Dims[j]</c> elements and advances the input by <c>Strides[j]</c> elements; lower ranks are padded with
    /// leading size-1 axes of stride 0.</summary>
    public (int[] Dims, long[] Strides) Rank4Walk()
    {
        int rank = Input.Rank;
        if (rank > 4)
            throw Error($"rank {rank} has no rank-4 walk");
        var inStrides = new long[rank];
        long st = 1;
        for (int a = rank - 1; a >= 0; a--)
        {
            inStrides[a] = st;
            st *= Input.Shape[a];
        }
        var dims = new int[4];
        var strides = new long[4];
        for (int j = 0; j < 4; j++)
        {
            int src = j - (4 - rank);
            dims[j] = src < 0 ? 1 : Output.Shape[src];
            strides[j] = src < 0 ? 0 : inStrides[Perm[src]];
        }
        return (dims, strides);
    }
}
