namespace MobileNetAccel.Graph;

/// <summary>
/// Index of the largest element along <see cref="Axis"/> (non-negative), which is removed from the shape; the first
/// maximum wins on ties (TFLite's ARG_MAX). The output is <see cref="OutputType"/>: Int64 (TFLite's default) or Int32.
/// A quantized input is compared as its integers (a positive scale keeps the order). With <see cref="Min"/> it is
/// TFLite's ARG_MIN: the index of the smallest element, the first minimum on ties (one node, one entry per backend).
/// </summary>
public sealed class ArgMaxNode : Node
{
    public ArgMaxNode(string name, Value input, Value output, int axis, DataType outputType = DataType.Int64, bool min = false) : base(name, new[] { input }, new[] { output })
    {
        Axis = axis;
        OutputType = outputType;
        Min = min;
    }

    public override OpType Op => OpType.ArgMax;
    public int Axis { get; set; }
    public DataType OutputType { get; set; }

    /// <summary>True: ARG_MIN (the first minimum); false: ARG_MAX (the first maximum).</summary>
    public bool Min { get; set; }

    /// <summary>"argmin" or "argmax", for messages.</summary>
    public string OpName => Min ? "argmin" : "argmax";

    public override void InferShapes()
    {
        var x = Input.Shape;
        if (x.Length == 0)
            throw Error($"{OpName} of a scalar");
        if (Axis < 0 || Axis >= x.Length)
            throw Error($"axis {Axis} is out of range for rank {x.Length}");
        if (x[Axis] < 1)
            throw Error($"axis {Axis} of {Value.FormatShape(x)} is empty");
        if (OutputType is not (DataType.Int32 or DataType.Int64))
            throw Error($"output type {OutputType} is not Int32 or Int64");
        if (Input.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
            throw Error($"input '{Input.Name}' is {Input.DataType}; Float32, UInt8 or Int8 expected");
        Output.Shape = x.Where((_, i) => i != Axis).ToArray();
        Output.DataType = OutputType;
        Output.Quantization = null;
    }

    /// <summary>The input viewed as [Outer, Length, Inner] around the reduced axis (Outer: the product of the dims
    /// before it, Length: the axis, Inner: after it); output element o · Inner + i is the index over Length at (o, i).
    /// What every backend's ArgMax walks.</summary>
    internal (long Outer, int Length, long Inner) Blocks()
    {
        var s = Input.Shape;
        long outer = 1, inner = 1;
        for (int d = 0; d < Axis; d++)
            outer *= s[d];
        for (int d = Axis + 1; d < s.Length; d++)
            inner *= s[d];
        return (outer, s[Axis], inner);
    }
}
