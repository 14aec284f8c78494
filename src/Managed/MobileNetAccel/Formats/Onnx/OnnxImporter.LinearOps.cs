using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        // ------------------------------------------------------------------ linear algebra and softmax

        private void ConvertGemm()
        {
            RequireInputs(2, 3);
            var a = In(0, "A");
            var b = In(1, "B");
            var c = OptIn(2);
            if (a.Rank != 2 || b.Rank != 2)
                throw Err($"A {Value.FormatShape(a.Shape)} and B {Value.FormatShape(b.Shape)} must be 2-D");
            bool transA = AttrInt("transA", 0) != 0, transB = AttrInt("transB", 0) != 0;
            float alpha = AttrFloat("alpha", 1f), beta = AttrFloat("beta", 1f);
            int m = transA ? a.Shape[1] : a.Shape[0], k = transA ? a.Shape[0] : a.Shape[1];
            int kb = transB ? b.Shape[1] : b.Shape[0], n = transB ? b.Shape[0] : b.Shape[1];
            if (k != kb)
                throw Err($"inner dimensions differ: A {Value.FormatShape(a.Shape)} (transA={transA}) and B {Value.FormatShape(b.Shape)} (transB={transB})");
            var av = Onnx(a);
            if (transA)
                av = Permute(av, new[] { 1, 0 });
            OnnxConstant? cc = null;
            if (c is not null)
            {
                cc = c.Const ?? throw Err("input C must be a constant");
                if (cc.Shape.Length > 2)
                    throw Err($"C {Value.FormatShape(cc.Shape)} must have rank ≤ 2");
                var cs = Pad2(cc.Shape);
                if ((cs[0] != 1 && cs[0] != m) || (cs[1] != 1 && cs[1] != n))
                    throw Err($"C {Value.FormatShape(cc.Shape)} does not broadcast to [{m},{n}]");
                var cf = cc.RequireFloats("Gemm C").Select(v => v * beta).ToArray();
                cc = new OnnxConstant(cs, cf);
            }
            Value product;
            Value? bias = null;
            bool biasDone = false;
            var output = OutValue();
            if (b.Const is not null)
            {
                var bf = b.Const.RequireFloats("Gemm B");
                var w = transB ? new OnnxConstant(b.Shape, bf) : new OnnxConstant(b.Shape, bf).Transpose(new[] { 1, 0 });
                if (alpha != 1f)
                    w = new OnnxConstant(w.Shape, w.Floats!.Select(v => v * alpha).ToArray());
                if (cc is not null && cc.Shape[0] == 1)
                {
                    var bv = cc.Shape[1] == n ? cc.Floats! : Enumerable.Repeat(cc.Floats![0], n).ToArray();
                    bias = ConstValue(new OnnxConstant(new[] { n }, bv), "bias");
                    biasDone = true;
                }
                product = biasDone || cc is null ? output : NewValue(AuxName("product"));
                AddNode(new FullyConnectedNode(biasDone || cc is null ? _nodeName : AuxName("fc"), av, ConstValue(w, "weights"), bias, product));
            }
            else
            {
                var bv = Onnx(b);
                if (transB)
                    bv = Permute(bv, new[] { 1, 0 });
                bool more = alpha != 1f || cc is not null;
                product = more ? NewValue(AuxName("product")) : output;
                AddNode(new MatMulNode(more ? AuxName("matmul") : _nodeName, av, bv, product));
                if (alpha != 1f)
                {
                    var scaled = cc is null ? output : NewValue(AuxName("scaled"));
                    AddNode(new MulNode(cc is null ? _nodeName : AuxName("alpha"), product, ConstValue(new OnnxConstant(Array.Empty<int>(), new[] { alpha }), "alpha"), scaled));
                    product = scaled;
                }
            }
            if (cc is not null && !biasDone)
                AddNode(new AddNode(_nodeName, product, ConstValue(cc, "c"), output));
            SetRuntime(output, nhwc: false);
        }

        private static int[] Pad2(int[] s) => s.Length switch
        {
            0 => new[] { 1, 1 },
            1 => new[] { 1, s[0] },
            _ => s,
        };

        private void ConvertMatMul()
        {
            RequireInputs(2, 2);
            var a = In(0, "A");
            var b = In(1, "B");
            if (a.Rank < 1 || b.Rank < 1)
                throw Err("operands must have rank 1 or more");
            var av = Onnx(a);
            var bv = Onnx(b);
            if (a.Rank == 1)
            {
                var r = NewValue(AuxName("a2d"));
                AddNode(new ReshapeNode(AuxName("a2d"), av, r, new[] { 1, a.Shape[0] }));
                av = r;
            }
            if (b.Rank == 1)
            {
                var r = NewValue(AuxName("b2d"));
                AddNode(new ReshapeNode(AuxName("b2d"), bv, r, new[] { b.Shape[0], 1 }));
                bv = r;
            }
            var output = OutValue();
            bool squeeze = a.Rank == 1 || b.Rank == 1;
            var product = squeeze ? NewValue(AuxName("product")) : output;
            if (b.Const is not null && b.Rank == 2 && a.Const is null)
            {
                // x @ W with constant W [K,N]: a fully connected layer over the rows of x.
                var w = b.Const.WithShape(b.Shape).Transpose(new[] { 1, 0 });
                w.RequireFloats("MatMul B");
                int rows = av.Shape.Take(av.Rank - 1).Aggregate(1, (p, d) => checked(p * d));
                if (av.Rank == 2)
                    AddNode(new FullyConnectedNode(squeeze ? AuxName("fc") : _nodeName, av, ConstValue(w, "weights"), null, product));
                else
                {
                    var flat = NewValue(AuxName("fc_out"));
                    AddNode(new FullyConnectedNode(AuxName("fc"), av, ConstValue(w, "weights"), null, flat));
                    var shape = av.Shape.Take(av.Rank - 1).Append(b.Shape[1]).ToArray();
                    AddNode(new ReshapeNode(squeeze ? AuxName("unflatten") : _nodeName, flat, product, shape));
                }
            }
            else
                AddNode(new MatMulNode(squeeze ? AuxName("matmul") : _nodeName, av, bv, product));
            if (squeeze)
            {
                var s = product.Shape.ToList();
                if (b.Rank == 1) s.RemoveAt(s.Count - 1);
                if (a.Rank == 1) s.RemoveAt(s.Count - (b.Rank == 1 ? 1 : 2));
                AddNode(new ReshapeNode(_nodeName, product, output, s.ToArray()));
            }
            SetRuntime(output, nhwc: false);
        }

        private void ConvertSoftmax()
        {
            RequireInputs(1, 1);
            var x = In(0, "input");
            if (x.Rank == 0)
                throw Err("input must have rank 1 or more");
            var xv = Onnx(x);
            var output = OutValue();
            if (_opset < 13)
            {
                // Softmax over the flattened trailing axes [axis, rank).
                int axis = NormalizeAxis(AttrInt("axis", 1), x.Rank);
                if (axis == x.Rank - 1)
                {
                    AddNode(new SoftmaxNode(_nodeName, xv, output));
                }
                else
                {
                    int outer = x.Shape.Take(axis).Aggregate(1, (p, d) => checked(p * d));
                    int inner = x.Shape.Skip(axis).Aggregate(1, (p, d) => checked(p * d));
                    var flat = NewValue(AuxName("flat"));
                    AddNode(new ReshapeNode(AuxName("flat"), xv, flat, new[] { outer, inner }));
                    var soft = NewValue(AuxName("softmax"));
                    AddNode(new SoftmaxNode(AuxName("softmax"), flat, soft));
                    AddNode(new ReshapeNode(_nodeName, soft, output, (int[])x.Shape.Clone()));
                }
            }
            else
            {
                int axis = NormalizeAxis(AttrInt("axis", -1), x.Rank);
                if (axis == x.Rank - 1)
                    AddNode(new SoftmaxNode(_nodeName, xv, output));
                else
                {
                    // Move the axis last, softmax, move it back.
                    var perm = Enumerable.Range(0, x.Rank).Where(i => i != axis).Append(axis).ToArray();
                    var inverse = new int[x.Rank];
                    for (int i = 0; i < perm.Length; i++)
                        inverse[perm[i]] = i;
                    var moved = Permute(xv, perm);
                    var soft = NewValue(AuxName("softmax"));
                    AddNode(new SoftmaxNode(AuxName("softmax"), moved, soft));
                    if (inverse.Select((p, i) => p == i).All(t => t))
                        throw Err("internal: identity permutation for a non-last axis");
                    AddNode(new TransposeNode(_nodeName, soft, output, inverse));
                }
            }
            SetRuntime(output, nhwc: false);
        }
    }
}
