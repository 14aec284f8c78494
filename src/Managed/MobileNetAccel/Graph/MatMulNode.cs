namespace MobileNetAccel.Graph;

/// <summary>
/// Batched matrix product with numpy semantics: a [..., M, K] x b [..., K, N] → [..., M, N], batch dimensions broadcast.
/// Both inputs have rank ≥ 2 (the ONNX importer reshapes 1-D operands). Either may be a run-time value.
/// </summary>
public sealed class MatMulNode : Node
{
    public MatMulNode(string name, Value a, Value b, Value output) : base(name, new[] { a, b }, new[] { output }) { }

    public override OpType Op => OpType.MatMul;
    public Value A => Require(0, "a");
    public Value B => Require(1, "b");

    public override void InferShapes()
    {
        var a = A.Shape;
        var b = B.Shape;
        if (a.Length < 2 || b.Length < 2)
            throw Error($"operands {Value.FormatShape(a)} and {Value.FormatShape(b)} must have rank 2 or more");
        if (a[^1] != b[^2])
            throw Error($"inner dimensions of {Value.FormatShape(a)} and {Value.FormatShape(b)} differ");
        int rank = Math.Max(a.Length, b.Length);
        var o = new int[rank];
        for (int i = 0; i < rank - 2; i++)
        {
            int ia = i - (rank - a.Length), ib = i - (rank - b.Length);
            int da = ia >= 0 ? a[ia] : 1, db = ib >= 0 ? b[ib] : 1;
            if (da != db && da != 1 && db != 1)
                throw Error($"batch dimensions of {Value.FormatShape(a)} and {Value.FormatShape(b)} do not broadcast");
            o[i] = da == 1 ? db : da;
        }
        o[rank - 2] = a[^2];
        o[rank - 1] = b[^1];
        Output.Shape = o;
        Output.DataType = A.DataType;
    }

    public override long Macs => Output.ElementCount * A.Shape[^1];
}
