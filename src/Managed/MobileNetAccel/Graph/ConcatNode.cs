namespace MobileNetAccel.Graph;

/// <summary>Concatenation of its inputs along <see cref="Axis"/> (non-negative, any rank; 4-D activations are NHWC).</summary>
public sealed class ConcatNode : Node
{
    public ConcatNode(string name, IEnumerable<Value> inputs, Value output, int axis) : base(name, inputs, new[] { output }) => Axis = axis;

    public override OpType Op => OpType.Concat;
    public int Axis { get; set; }

    public override void InferShapes()
    {
        if (Inputs.Count == 0)
            throw Error("has no inputs");
        var first = Require(0, "input").Shape;
        if (Axis < 0 || Axis >= first.Length)
            throw Error($"axis {Axis} is out of range for rank {first.Length}");
        var o = (int[])first.Clone();
        long sum = 0;
        for (int i = 0; i < Inputs.Count; i++)
        {
            var s = Require(i, "input").Shape;
            if (s.Length != first.Length)
                throw Error($"input {i} {Value.FormatShape(s)} has a different rank than {Value.FormatShape(first)}");
            for (int d = 0; d < s.Length; d++)
                if (d != Axis && s[d] != first[d])
                    throw Error($"input {i} {Value.FormatShape(s)} differs from {Value.FormatShape(first)} outside axis {Axis}");
            sum += s[Axis];
        }
        if (sum > int.MaxValue)
            throw Error("concatenated axis is too large");
        o[Axis] = (int)sum;
        Output.Shape = o;
        Output.DataType = Inputs[0]!.DataType;
    }

    /// <summary>The output viewed as [Outer, Output.Shape[Axis] · Inner] (Outer: the product of the dims before the
    /// axis; Inner: after it); input i fills a block of Inputs[i].Shape[Axis] · Inner elements in every outer row, after
    /// the blocks of the inputs before it. What every backend's Concat walks.</summary>
    internal (long Outer, long Inner) Blocks()
    {
        var o = Output.Shape;
        long outer = 1, inner = 1;
        for (int d = 0; d < Axis; d++)
            outer *= o[d];
        for (int d = Axis + 1; d < o.Length; d++)
            inner *= o[d];
        return (outer, inner);
    }
}
