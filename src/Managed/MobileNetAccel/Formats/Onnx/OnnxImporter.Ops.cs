using MobileNetAccel.Graph;
using MobileNetAccel.Interop;

namespace MobileNetAccel.Formats.Onnx;

public static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        private void Convert(OnnxNode node)
        {
            switch (node.OpType)
            {
                case "Conv": ConvertConv(); break;
                case "BatchNormalization": ConvertBatchNorm(); break;
                case "Relu": ConvertUnary(() => Activation.Relu); break;
                case "Clip": ConvertClip(); break;
                case "Add": ConvertBinary(isAdd: true); break;
                case "Mul": ConvertBinary(isAdd: false); break;
                case "GlobalAveragePool": ConvertGlobalAveragePool(); break;
                case "AveragePool": ConvertAveragePool(); break;
                case "Flatten": ConvertFlatten(); break;
                case "Reshape": ConvertReshape(); break;
                case "Gemm": ConvertGemm(); break;
                case "MatMul": ConvertMatMul(); break;
                case "Softmax": ConvertSoftmax(); break;
                case "Constant": ConvertConstant(); break;
                case "Identity": RequireInputs(1, 1); SetOutput(In(0, "input")); break;
                case "Transpose": ConvertTranspose(); break;
                case "Pad": ConvertPad(); break;
                case "Squeeze": ConvertSqueeze(); break;
                case "Unsqueeze": ConvertUnsqueeze(); break;
                case "Concat": ConvertConcat(); break;
                default:
                    throw Err($"operator {node.OpType} is not supported (supported: {string.Join(", ", SupportedOperators)})");
            }
        }

        // ------------------------------------------------------------------ spatial ops

        private (int StrideH, int StrideW) Strides()
        {
            var s = AttrInts("strides") ?? new long[] { 1, 1 };
            if (s.Length != 2 || s[0] <= 0 || s[1] <= 0 || s[0] > 65536 || s[1] > 65536)
                throw Err($"strides [{string.Join(",", s)}] must be two positive values");
            return ((int)s[0], (int)s[1]);
        }

        private void RequireUnitDilations()
        {
            var d = AttrInts("dilations");
            if (d is not null && d.Any(x => x != 1))
                throw Err($"dilations [{string.Join(",", d)}] are not supported (only 1)");
        }

        /// <summary>Explicit padding from pads / auto_pad for a 2-D window.</summary>
        private Padding WindowPadding(int inH, int inW, int kh, int kw, int sh, int sw)
        {
            string autoPad = AttrString("auto_pad", "NOTSET");
            var pads = AttrInts("pads");
            switch (autoPad)
            {
                case "NOTSET" or "":
                    if (pads is null)
                        return Padding.Zero;
                    if (pads.Length != 4 || pads.Any(p => p < 0 || p > 65536))
                        throw Err($"pads [{string.Join(",", pads)}] must be four non-negative values [top,left,bottom,right]");
                    return new Padding((int)pads[0], (int)pads[1], (int)pads[2], (int)pads[3]);
                case "VALID":
                    return Padding.Zero;
                case "SAME_UPPER" or "SAME_LOWER":
                    var (t, b) = Padding.Same(inH, kh, sh);
                    var (l, r) = Padding.Same(inW, kw, sw);
                    return autoPad == "SAME_UPPER" ? new Padding(t, l, b, r) : new Padding(b, r, t, l);
                default:
                    throw Err($"auto_pad '{autoPad}' is not valid");
            }
        }

        private void ConvertConv()
        {
            RequireInputs(2, 3);
            var x = In(0, "X");
            var w = ConstIn(1, "W");
            var bias = OptIn(2) is null ? null : ConstIn(2, "B");
            if (x.Rank != 4)
                throw Err($"input {Value.FormatShape(x.Shape)} is not 4-D; only 2-D convolution is supported");
            if (w.Shape.Length != 4)
                throw Err($"weights {Value.FormatShape(w.Shape)} are not 4-D [M,C/group,KH,KW]");
            var wf = w.RequireFloats("Conv weights");
            RequireUnitDilations();
            var ks = AttrInts("kernel_shape");
            if (ks is not null && (ks.Length != 2 || ks[0] != w.Shape[2] || ks[1] != w.Shape[3]))
                throw Err($"kernel_shape [{string.Join(",", ks)}] does not match weights {Value.FormatShape(w.Shape)}");
            long group = AttrInt("group", 1);
            int m = w.Shape[0], cPerGroup = w.Shape[1], kh = w.Shape[2], kw = w.Shape[3], c = x.Shape[1];
            var (sh, sw) = Strides();
            if (bias is not null && (bias.Shape.Length != 1 || bias.Shape[0] != m))
                throw Err($"bias {Value.FormatShape(bias.Shape)} does not match {m} output channels");
            var pad = WindowPadding(x.Shape[2], x.Shape[3], kh, kw, sh, sw);
            var input = Nhwc(x, "X");
            var output = OutValue();
            WindowNode conv;
            if (group == 1)
            {
                if (cPerGroup != c)
                    throw Err($"weights {Value.FormatShape(w.Shape)} expect {cPerGroup} input channels; X {Value.FormatShape(x.Shape)} has {c}");
                var ohwi = new OnnxConstant(w.Shape, wf).Transpose(new[] { 0, 2, 3, 1 });
                conv = new Conv2DNode(_nodeName, input, ConstValue(ohwi, "weights_ohwi"), bias is null ? null : ConstValue(bias, "bias"), output);
            }
            else if (group == c && cPerGroup == 1 && m == c)
            {
                var dw = new OnnxConstant(w.Shape, wf).Transpose(new[] { 1, 2, 3, 0 });
                conv = new DepthwiseConv2DNode(_nodeName, input, ConstValue(dw, "weights_1hwc"), bias is null ? null : ConstValue(bias, "bias"), output);
            }
            else
                throw Err(group == c
                    ? $"depthwise convolution with channel multiplier {m / Math.Max(c, 1)} is not supported (only 1)"
                    : $"grouped convolution with group={group} is not supported (only group=1 or group=channels)");
            conv.StrideH = sh;
            conv.StrideW = sw;
            conv.Padding = pad;
            AddNode(conv);
            SetRuntime(output, nhwc: true);
        }

        private void ConvertBatchNorm()
        {
            RequireInputs(5, 5);
            if (AttrInt("training_mode", 0) != 0 || _node.Outputs.Count(o => o.Length > 0) > 1)
                throw Err("training mode (running statistics outputs) is not supported; only inference");
            if (_opset < 9 && AttrInt("spatial", 1) != 1)
                throw Err("spatial=0 is not supported");
            float eps = AttrFloat("epsilon", 1e-5f);
            var x = In(0, "X");
            var p = new OnnxConstant[4];
            string[] roles = { "scale", "B", "mean", "var" };
            if (x.Rank < 2)
                throw Err($"input {Value.FormatShape(x.Shape)} must have rank 2 or more");
            int c = x.Shape[1];
            for (int i = 0; i < 4; i++)
            {
                p[i] = ConstIn(i + 1, roles[i]);
                if (p[i].Count != c)
                    throw Err($"{roles[i]} {Value.FormatShape(p[i].Shape)} does not match {c} channels");
                p[i].RequireFloats($"BatchNormalization {roles[i]}");
            }
            if (x.Rank == 4 || x.Rank == 2)
            {
                var input = x.Rank == 4 ? Nhwc(x, "X") : Onnx(x);
                var output = OutValue();
                AddNode(new BatchNormNode(_nodeName, input,
                    ConstValue(p[0].WithShape(new[] { c }), "scale"), ConstValue(p[1].WithShape(new[] { c }), "offset"),
                    ConstValue(p[2].WithShape(new[] { c }), "mean"), ConstValue(p[3].WithShape(new[] { c }), "variance"), output, eps));
                SetRuntime(output, nhwc: x.Rank == 4);
                return;
            }
            // Other ranks: y = x * s + t with s, t broadcast over axis 1 (shape [C,1,...,1]).
            var (s, t) = BatchNormAffine.Compute(p[0].Floats.AsSpan(0, c), p[1].Floats.AsSpan(0, c), p[2].Floats.AsSpan(0, c), p[3].Floats.AsSpan(0, c), eps);
            var bshape = new int[x.Rank - 1];
            Array.Fill(bshape, 1);
            bshape[0] = c;
            var xv = Onnx(x);
            var scaled = NewValue(AuxName("scaled"));
            AddNode(new MulNode(AuxName("scale"), xv, ConstValue(new OnnxConstant(bshape, s), "s"), scaled));
            var outv = OutValue();
            AddNode(new AddNode(_nodeName, scaled, ConstValue(new OnnxConstant((int[])bshape.Clone(), t), "t"), outv));
            SetRuntime(outv, nhwc: false);
        }

        private void ConvertUnary(Func<Activation> kind)
        {
            RequireInputs(1, 1);
            var x = In(0, "X");
            if (x.Const is not null)
            {
                SetConst(new OnnxConstant(x.Shape, x.Const.RequireFloats("Relu input").Select(v => v > 0 ? v : v < 0 ? 0f : v).ToArray()));
                return;
            }
            var input = x.Value!;
            var output = OutValue();
            AddNode(new ActivationNode(_nodeName, input, output, kind()));
            SetRuntime(output, x.Nhwc);
        }

        private void ConvertClip()
        {
            float min, max;
            if (_opset < 11)
            {
                RequireInputs(1, 1);
                min = AttrFloat("min", float.MinValue);
                max = AttrFloat("max", float.MaxValue);
            }
            else
            {
                RequireInputs(1, 3);
                min = ScalarIn(1, "min", float.NegativeInfinity);
                max = ScalarIn(2, "max", float.PositiveInfinity);
            }
            var x = In(0, "input");
            if (x.Const is not null)
            {
                SetConst(new OnnxConstant(x.Shape, x.Const.RequireFloats("Clip input").Select(v => v < min ? min : v > max ? max : v).ToArray()));
                return;
            }
            var input = x.Value!;
            var output = OutValue();
            AddNode(new ClipNode(_nodeName, input, output, min, max));
            SetRuntime(output, x.Nhwc && x.Const is null);
        }

        private float ScalarIn(int index, string role, float fallback)
        {
            if (OptIn(index) is null)
                return fallback;
            var c = ConstIn(index, role);
            if (c.Count != 1)
                throw Err($"{role} must be a scalar; it has shape {Value.FormatShape(c.Shape)}");
            return c.RequireFloats($"Clip {role}")[0];
        }

        private void ConvertBinary(bool isAdd)
        {
            RequireInputs(2, 2);
            if (_opset < 7 && (AttrInt("broadcast", 0) != 0 || _node.Attribute("axis") is not null))
                throw Err("the legacy (opset < 7) broadcast/axis attributes are not supported");
            var a = In(0, "A");
            var b = In(1, "B");
            if (a.Const is not null && b.Const is not null)
            {
                SetConst(Broadcast(a.Const, b.Const, isAdd));
                return;
            }
            int rank = Math.Max(a.Rank, b.Rank);
            bool nhwc = rank == 4 && (a.Nhwc || b.Nhwc);
            Value Operand(Sym s, string role)
            {
                if (!nhwc)
                    return Onnx(s);
                if (s.Const is not null)
                    return ConstValue(Pad4(s.Const).Transpose(ToNhwcPerm), role);
                if (s.Nhwc)
                    return s.Value!;
                if (s.Rank == 4)
                    return Nhwc(s, role);
                var r = NewValue(AuxName("rank4"));
                AddNode(new ReshapeNode(AuxName("rank4"), s.Value!, r, Pad4Shape(s.Shape)));
                return Permute(r, ToNhwcPerm);
            }
            var av = Operand(a, "A");
            var bv = Operand(b, "B");
            var output = OutValue();
            AddNode<Node>(isAdd ? new AddNode(_nodeName, av, bv, output) : new MulNode(_nodeName, av, bv, output));
            SetRuntime(output, nhwc);
        }

        private static int[] Pad4Shape(int[] shape) => Enumerable.Repeat(1, 4 - shape.Length).Concat(shape).ToArray();

        private static OnnxConstant Pad4(OnnxConstant c) => c.WithShape(Pad4Shape(c.Shape));

        private OnnxConstant Broadcast(OnnxConstant a, OnnxConstant b, bool isAdd)
        {
            int rank = Math.Max(a.Shape.Length, b.Shape.Length);
            var sa = Enumerable.Repeat(1, rank - a.Shape.Length).Concat(a.Shape).ToArray();
            var sb = Enumerable.Repeat(1, rank - b.Shape.Length).Concat(b.Shape).ToArray();
            var so = new int[rank];
            for (int i = 0; i < rank; i++)
            {
                if (sa[i] != sb[i] && sa[i] != 1 && sb[i] != 1)
                    throw Err($"shapes {Value.FormatShape(a.Shape)} and {Value.FormatShape(b.Shape)} do not broadcast");
                so[i] = sa[i] == 1 ? sb[i] : sa[i];
            }
            int n = so.Aggregate(1, (x, y) => checked(x * y));
            var ta = OnnxConstant.Strides(sa);
            var tb = OnnxConstant.Strides(sb);
            var ia = new int[n];
            var ib = new int[n];
            var idx = new int[rank];
            for (int o = 0; o < n; o++)
            {
                int pa = 0, pb = 0;
                for (int d = 0; d < rank; d++)
                {
                    pa += sa[d] == 1 ? 0 : idx[d] * ta[d];
                    pb += sb[d] == 1 ? 0 : idx[d] * tb[d];
                }
                ia[o] = pa;
                ib[o] = pb;
                for (int d = rank - 1; d >= 0; d--)
                {
                    if (++idx[d] < so[d]) break;
                    idx[d] = 0;
                }
            }
            if (a.IsFloat != b.IsFloat)
                throw Err("operands have different element types");
            if (a.IsFloat)
                return new OnnxConstant(so, Enumerable.Range(0, n).Select(i => isAdd ? a.Floats![ia[i]] + b.Floats![ib[i]] : a.Floats![ia[i]] * b.Floats![ib[i]]).ToArray());
            return new OnnxConstant(so, Enumerable.Range(0, n).Select(i => isAdd ? a.Ints![ia[i]] + b.Ints![ib[i]] : a.Ints![ia[i]] * b.Ints![ib[i]]).ToArray());
        }

        private void ConvertGlobalAveragePool()
        {
            RequireInputs(1, 1);
            var x = In(0, "X");
            if (x.Rank != 4)
                throw Err($"input {Value.FormatShape(x.Shape)} is not 4-D; only 2-D pooling is supported");
            var output = OutValue();
            AddNode(new GlobalAveragePoolNode(_nodeName, Nhwc(x, "X"), output));
            SetRuntime(output, nhwc: true);
        }

        private void ConvertAveragePool()
        {
            RequireInputs(1, 1);
            var x = In(0, "X");
            if (x.Rank != 4)
                throw Err($"input {Value.FormatShape(x.Shape)} is not 4-D; only 2-D pooling is supported");
            var ks = AttrInts("kernel_shape") ?? throw Err("attribute 'kernel_shape' is required");
            if (ks.Length != 2 || ks.Any(k => k <= 0 || k > 65536))
                throw Err($"kernel_shape [{string.Join(",", ks)}] must be two positive values");
            RequireUnitDilations();
            int kh = (int)ks[0], kw = (int)ks[1];
            var (sh, sw) = Strides();
            int inH = x.Shape[2], inW = x.Shape[3];
            var pad = WindowPadding(inH, inW, kh, kw, sh, sw);
            bool includePad = AttrInt("count_include_pad", 0) != 0;
            bool ceil = _opset >= 10 && AttrInt("ceil_mode", 0) != 0;
            int extraH = 0, extraW = 0;
            if (ceil)
            {
                extraH = CeilExtra(inH, pad.Top, pad.Bottom, kh, sh);
                extraW = CeilExtra(inW, pad.Left, pad.Right, kw, sw);
                if (includePad && (extraH > 0 || extraW > 0))
                    throw Err("ceil_mode with count_include_pad=1 is not supported when the last window runs past the padding");
            }
            var input = Nhwc(x, "X");
            if (includePad && !pad.IsZero)
            {
                // Padded zeros count in the average: pad explicitly, then pool without padding.
                var padded = NewValue(AuxName("padded"));
                AddNode(new PadNode(AuxName("pad"), input, padded, new[] { 0, pad.Top, pad.Left, 0 }, new[] { 0, pad.Bottom, pad.Right, 0 }));
                input = padded;
                pad = Padding.Zero;
            }
            var output = OutValue();
            var node = new AveragePool2DNode(_nodeName, input, output, kh, kw)
            {
                StrideH = sh,
                StrideW = sw,
                Padding = new Padding(pad.Top, pad.Left, pad.Bottom + extraH, pad.Right + extraW),
            };
            AddNode(node);
            SetRuntime(output, nhwc: true);
        }

        /// <summary>ceil_mode: extra end padding that yields ceil((in+pads-k)/s)+1 outputs (a window starting past the
        /// input and its leading padding is dropped, as ONNX Runtime and PyTorch do). Padded cells are not counted.</summary>
        private int CeilExtra(int input, int before, int after, int k, int s)
        {
            long span = (long)input + before + after - k;
            if (span < 0)
                throw Err($"the {k}-wide window does not fit the padded input of {input + before + after}");
            long outFloor = span / s + 1;
            long outCeil = (span + s - 1) / s + 1;
            if (outCeil > outFloor && (outCeil - 1) * s >= input + before)
                outCeil--;
            return (int)Math.Max(0, (outCeil - 1) * s + k - (input + before + after));
        }

        // ------------------------------------------------------------------ shape ops

        private void SetReshaped(Sym x, int[] shape)
        {
            if (x.Const is not null)
            {
                SetConst(x.Const.WithShape(shape));
                return;
            }
            var output = OutValue();
            AddNode(new ReshapeNode(_nodeName, Onnx(x), output, shape));
            SetRuntime(output, nhwc: false);
        }

        private void ConvertFlatten()
        {
            RequireInputs(1, 1);
            var x = In(0, "input");
            long axisAttr = AttrInt("axis", 1);
            long axis = axisAttr < 0 ? axisAttr + x.Rank : axisAttr;
            if (axis < 0 || axis > x.Rank)
                throw Err($"axis {axisAttr} is out of range for rank {x.Rank}");
            long outer = 1, inner = 1;
            for (int i = 0; i < x.Rank; i++)
                if (i < axis) outer *= x.Shape[i];
                else inner *= x.Shape[i];
            // Flatten keeps the batch axis free (-1) when it is the leading factor, so Model.WithBatch can change it.
            SetReshaped(x, new[] { axis >= 1 && x.Const is null && inner > 0 ? -1 : checked((int)outer), checked((int)inner) });
        }

        private void ConvertReshape()
        {
            long[] target;
            if (_opset < 5)
            {
                RequireInputs(1, 1);
                target = AttrInts("shape") ?? throw Err("attribute 'shape' is required");
            }
            else
            {
                RequireInputs(2, 2);
                target = ConstIn(1, "shape").RequireInts("Reshape shape");
            }
            var x = In(0, "data");
            bool allowZero = AttrInt("allowzero", 0) != 0;
            var shape = new int[target.Length];
            int unknown = -1;
            long known = 1;
            for (int i = 0; i < target.Length; i++)
            {
                long d = target[i];
                if (d == 0 && !allowZero)
                {
                    if (i >= x.Rank)
                        throw Err($"shape [{string.Join(",", target)}] copies dimension {i}, which the rank-{x.Rank} input does not have");
                    d = x.Shape[i];
                }
                if (d == -1)
                {
                    if (unknown >= 0)
                        throw Err($"shape [{string.Join(",", target)}] has more than one -1");
                    unknown = i;
                    continue;
                }
                if (d <= 0 || d > int.MaxValue)
                    throw Err($"shape [{string.Join(",", target)}] has dimension {d}; zero-size and negative dimensions are not supported");
                shape[i] = (int)d;
                known *= d;
                if (known > int.MaxValue)
                    throw Err($"shape [{string.Join(",", target)}] is too large");
            }
            long n = x.Shape.Aggregate(1L, (p, d) => p * d);
            if (unknown >= 0)
            {
                if (n % known != 0)
                    throw Err($"cannot reshape {Value.FormatShape(x.Shape)} to [{string.Join(",", target)}]");
                shape[unknown] = (int)(n / known);
            }
            else if (known != n)
                throw Err($"cannot reshape {Value.FormatShape(x.Shape)} ({n} elements) to [{string.Join(",", target)}]");
            SetReshaped(x, shape);
        }

        private void ConvertSqueeze()
        {
            RequireInputs(1, 2);
            var x = In(0, "data");
            long[]? axes = _opset < 13 ? AttrInts("axes") : OptIn(1) is null ? null : ConstIn(1, "axes").RequireInts("Squeeze axes");
            var drop = new bool[x.Rank];
            if (axes is null)
                for (int i = 0; i < x.Rank; i++)
                    drop[i] = x.Shape[i] == 1;
            else
                foreach (long a in axes)
                {
                    int ax = NormalizeAxis(a, x.Rank);
                    if (x.Shape[ax] != 1)
                        throw Err($"cannot squeeze axis {a} of {Value.FormatShape(x.Shape)}: its size is not 1");
                    drop[ax] = true;
                }
            SetReshaped(x, x.Shape.Where((_, i) => !drop[i]).ToArray());
        }

        private void ConvertUnsqueeze()
        {
            RequireInputs(1, 2);
            var x = In(0, "data");
            long[] axes = (_opset < 13 ? AttrInts("axes") : ConstIn(1, "axes").RequireInts("Unsqueeze axes"))
                ?? throw Err("axes are required");
            int outRank = x.Rank + axes.Length;
            var insert = new bool[outRank];
            foreach (long a in axes)
            {
                int ax = NormalizeAxis(a, outRank);
                if (insert[ax])
                    throw Err($"axis {a} is repeated");
                insert[ax] = true;
            }
            var shape = new int[outRank];
            int j = 0;
            for (int i = 0; i < outRank; i++)
                shape[i] = insert[i] ? 1 : x.Shape[j++];
            SetReshaped(x, shape);
        }

        private void ConvertTranspose()
        {
            RequireInputs(1, 1);
            var x = In(0, "data");
            var permAttr = AttrInts("perm");
            var perm = permAttr is null ? Enumerable.Range(0, x.Rank).Reverse().ToArray() : permAttr.Select(p => ToInt(p, "perm entry")).ToArray();
            if (perm.Length != x.Rank || perm.Distinct().Count() != perm.Length || perm.Any(p => p < 0 || p >= x.Rank))
                throw Err($"perm [{string.Join(",", perm)}] is not a permutation of rank {x.Rank}");
            if (x.Const is not null)
            {
                SetConst(x.Const.Transpose(perm));
                return;
            }
            // On an NHWC value the ONNX permutation becomes perm' [i] = position of ONNX axis perm[i] in NHWC.
            var internalPerm = x.Nhwc ? perm.Select(p => NchwAxisInNhwc[p]).ToArray() : perm;
            SetRuntime(Permute(x.Value!, internalPerm), nhwc: false);
        }

        private void ConvertPad()
        {
            long[] pads;
            float value = 0f;
            string mode = AttrString("mode", "constant");
            if (mode != "constant")
                throw Err($"mode '{mode}' is not supported (only constant)");
            int[]? axes = null;
            var x = In(0, "data");
            if (_opset < 11)
            {
                RequireInputs(1, 1);
                pads = AttrInts("pads") ?? AttrInts("paddings") ?? throw Err("attribute 'pads' is required");
                value = AttrFloat("value", 0f);
            }
            else
            {
                RequireInputs(2, 4);
                pads = ConstIn(1, "pads").RequireInts("Pad pads");
                if (OptIn(2) is not null)
                {
                    var cv = ConstIn(2, "constant_value");
                    if (cv.Count != 1)
                        throw Err("constant_value must be a scalar");
                    value = cv.RequireFloats("Pad constant_value")[0];
                }
                if (OptIn(3) is not null)
                    axes = ConstIn(3, "axes").RequireInts("Pad axes").Select(a => NormalizeAxis(a, x.Rank)).ToArray();
            }
            axes ??= Enumerable.Range(0, x.Rank).ToArray();
            if (pads.Length != 2 * axes.Length)
                throw Err($"{pads.Length} pads for {axes.Length} axes");
            var before = new int[x.Rank];
            var after = new int[x.Rank];
            for (int i = 0; i < axes.Length; i++)
            {
                long b = pads[i], a = pads[i + axes.Length];
                if (b < 0 || a < 0)
                    throw Err($"negative pads [{string.Join(",", pads)}] (cropping) are not supported");
                if (b > 1 << 20 || a > 1 << 20)
                    throw Err($"pads [{string.Join(",", pads)}] are too large");
                before[axes[i]] = (int)b;
                after[axes[i]] = (int)a;
            }
            Value input;
            bool nhwc = x.Nhwc && x.Const is null;
            if (nhwc)
            {
                input = x.Value!;
                before = ToNhwcPerm.Select(p => before[p]).ToArray();
                after = ToNhwcPerm.Select(p => after[p]).ToArray();
            }
            else
                input = Onnx(x);
            var output = OutValue();
            AddNode(new PadNode(_nodeName, input, output, before, after, value));
            SetRuntime(output, nhwc);
        }

        private void ConvertConcat()
        {
            if (_node.Inputs.Count == 0 || _node.Inputs.Any(i => i.Length == 0))
                throw Err("needs one or more inputs, none empty");
            var inputs = _node.Inputs.Select((_, i) => In(i, $"input {i}")).ToList();
            int rank = inputs[0].Rank;
            if (inputs.Any(s => s.Rank != rank))
                throw Err("inputs have different ranks");
            var axisAttr = Attr("axis", OnnxAttributeType.Int) ?? (_opset < 4 ? null : throw Err("attribute 'axis' is required"));
            int axis = NormalizeAxis(axisAttr?.I ?? 1, rank);
            for (int i = 1; i < inputs.Count; i++)
                for (int d = 0; d < rank; d++)
                    if (d != axis && inputs[i].Shape[d] != inputs[0].Shape[d])
                        throw Err($"input {i} {Value.FormatShape(inputs[i].Shape)} does not match {Value.FormatShape(inputs[0].Shape)} outside axis {axis}");
            if (inputs.All(s => s.Const is not null))
            {
                if (inputs.Any(s => s.Const!.IsFloat != inputs[0].Const!.IsFloat))
                    throw Err("inputs have different element types");
                SetConst(ConcatConstants(inputs.Select(s => s.Const!).ToList(), axis));
                return;
            }
            bool nhwc = rank == 4 && inputs.All(s => s.Nhwc || s.Const is not null) && inputs.Any(s => s.Nhwc);
            var values = inputs.Select((s, i) => nhwc ? Nhwc(s, $"input {i}") : Onnx(s)).ToList();
            var output = OutValue();
            AddNode(new ConcatNode(_nodeName, values, output, nhwc ? NchwAxisInNhwc[axis] : axis));
            SetRuntime(output, nhwc);
        }

        private static OnnxConstant ConcatConstants(List<OnnxConstant> parts, int axis)
        {
            var shape = (int[])parts[0].Shape.Clone();
            shape[axis] = parts.Sum(p => p.Shape[axis]);
            int outer = shape.Take(axis).Aggregate(1, (a, b) => a * b);
            int innerOut = shape.Skip(axis).Aggregate(1, (a, b) => a * b);
            bool f = parts[0].IsFloat;
            var fo = f ? new float[outer * innerOut] : null;
            var io = f ? null : new long[outer * innerOut];
            int offset = 0;
            foreach (var p in parts)
            {
                int inner = p.Shape.Skip(axis).Aggregate(1, (a, b) => a * b);
                for (int o = 0; o < outer; o++)
                {
                    if (f) Array.Copy(p.Floats!, o * inner, fo!, o * innerOut + offset, inner);
                    else Array.Copy(p.Ints!, o * inner, io!, o * innerOut + offset, inner);
                }
                offset += inner;
            }
            return f ? new OnnxConstant(shape, fo!) : new OnnxConstant(shape, io!);
        }

        private void ConvertConstant()
        {
            RequireInputs(0, 0);
            if (_node.Attributes.Count != 1)
                throw Err($"needs exactly one value attribute; it has {_node.Attributes.Count}");
            var a = _node.Attributes[0];
            OnnxConstant c = a.Name switch
            {
                "value" when a.Type == OnnxAttributeType.Tensor && a.T is not null => OnnxConstant.From(a.T, "value"),
                "value_float" when a.Type == OnnxAttributeType.Float => new OnnxConstant(Array.Empty<int>(), new[] { a.F }),
                "value_floats" when a.Type == OnnxAttributeType.Floats => new OnnxConstant(new[] { a.Floats.Count }, a.Floats.ToArray()),
                "value_int" when a.Type == OnnxAttributeType.Int => new OnnxConstant(Array.Empty<int>(), new[] { a.I }),
                "value_ints" when a.Type == OnnxAttributeType.Ints => new OnnxConstant(new[] { a.Ints.Count }, a.Ints.ToArray()),
                _ => throw Err($"attribute '{a.Name}' of type {a.Type} is not supported (value, value_float(s), value_int(s) are)"),
            };
            SetConst(c);
        }

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
