using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        private void Convert(OnnxNode node)
        {
            if (TryFuseIsland())
                return;
            if (node.Domain == MicrosoftDomain)
            {
                switch (node.OpType)
                {
                    case "QLinearConv": ConvertQLinearConv(); break;
                    case "QLinearAdd": ConvertQLinearAdd(); break;
                    case "QLinearGlobalAveragePool": ConvertQLinearGlobalAveragePool(); break;
                    case "QLinearAveragePool": ConvertQLinearAveragePool(); break;
                    case "QLinearSoftmax": ConvertQLinearSoftmax(); break;
                    case "QGemm": ConvertQGemm(); break;
                    default: throw Err($"operator {node.OpType} of domain '{node.Domain}' is not supported");
                }
                return;
            }
            if (node.OpType is not ("QuantizeLinear" or "DequantizeLinear" or "QLinearConv" or "QLinearMatMul" or "Identity"
                or "Reshape" or "Flatten" or "Squeeze" or "Unsqueeze" or "Transpose")
                && node.Inputs.FirstOrDefault(i => i.Length > 0 && _syms.TryGetValue(i, out var s) && s.Value is { DataType: DataType.UInt8 or DataType.Int8 }) is { } raw)
                throw Err($"{node.OpType} on the {_syms[raw].Value!.DataType} tensor '{raw}' is not supported (integer tensors are supported through QuantizeLinear / DequantizeLinear and the QLinear operators)");
            switch (node.OpType)
            {
                case "QuantizeLinear": ConvertQuantizeLinear(); break;
                case "DequantizeLinear": ConvertDequantizeLinear(); break;
                case "QLinearConv": ConvertQLinearConv(); break;
                case "QLinearMatMul": ConvertQLinearMatMul(); break;
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
                case "ArgMax": ConvertArgMax(min: false); break;
                case "ArgMin": ConvertArgMax(min: true); break;
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
            var w = In(1, "W");
            if (w.Const is null)
                throw Err($"input 1 (W) '{_node.Inputs[1]}' must be a constant (an initializer or Constant output)");
            var bias = OptIn(2) is null ? null : In(2, "B");
            if (bias is not null && bias.Const is null)
                throw Err($"input 2 (B) '{_node.Inputs[2]}' must be a constant (an initializer or Constant output)");
            EmitConv(x, w, bias, OutValue(), Activation.None);
        }

        /// <summary>A Conv (float: <paramref name="w"/>'s floats) or, when <paramref name="output"/> is quantized, an
        /// integer Conv (QLinearConv, or a DQ → Conv → Q island): <paramref name="x"/> is then the quantized input,
        /// <paramref name="w"/> a quantized constant and <paramref name="bias"/> int32.</summary>
        private void EmitConv(Sym x, Sym w, Sym? bias, Value output, Activation act)
        {
            bool quantized = output.DataType != DataType.Float32;
            var wc = w.Const!;
            if (x.Rank != 4)
                throw Err($"input {Value.FormatShape(x.Shape)} is not 4-D; only 2-D convolution is supported");
            if (wc.Shape.Length != 4)
                throw Err($"weights {Value.FormatShape(wc.Shape)} are not 4-D [M,C/group,KH,KW]");
            if (!quantized)
                wc.RequireFloats("Conv weights");
            RequireUnitDilations();
            var ks = AttrInts("kernel_shape");
            if (ks is not null && (ks.Length != 2 || ks[0] != wc.Shape[2] || ks[1] != wc.Shape[3]))
                throw Err($"kernel_shape [{string.Join(",", ks)}] does not match weights {Value.FormatShape(wc.Shape)}");
            long group = AttrInt("group", 1);
            int m = wc.Shape[0], cPerGroup = wc.Shape[1], kh = wc.Shape[2], kw = wc.Shape[3], c = x.Shape[1];
            var (sh, sw) = Strides();
            if (bias is not null && (bias.Shape.Length != 1 || bias.Shape[0] != m))
                throw Err($"bias {Value.FormatShape(bias.Shape)} does not match {m} output channels");
            var pad = WindowPadding(x.Shape[2], x.Shape[3], kh, kw, sh, sw);
            var input = Nhwc(x, "X");
            Value? biasValue = bias is null ? null : quantized ? QuantizedBias(bias, m) : ConstValue(bias.Const!, "bias");
            WindowNode conv;
            if (group == 1)
            {
                if (cPerGroup != c)
                    throw Err($"weights {Value.FormatShape(wc.Shape)} expect {cPerGroup} input channels; X {Value.FormatShape(x.Shape)} has {c}");
                var perm = new[] { 0, 2, 3, 1 };
                var weights = quantized ? QuantizedWeights(w, perm, 0, "weights_ohwi") : ConstValue(wc.Transpose(perm), "weights_ohwi");
                conv = new Conv2DNode(_nodeName, input, weights, biasValue, output);
            }
            else if (group == c && cPerGroup == 1 && m == c)
            {
                var perm = new[] { 1, 2, 3, 0 };
                var weights = quantized ? QuantizedWeights(w, perm, 3, "weights_1hwc") : ConstValue(wc.Transpose(perm), "weights_1hwc");
                conv = new DepthwiseConv2DNode(_nodeName, input, weights, biasValue, output);
            }
            else
                throw Err(group == c
                    ? $"depthwise convolution with channel multiplier {m / Math.Max(c, 1)} is not supported (only 1)"
                    : $"grouped convolution with group={group} is not supported (only group=1 or group=channels)");
            conv.StrideH = sh;
            conv.StrideW = sw;
            conv.Padding = pad;
            conv.Activation = act;
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
    }
}
