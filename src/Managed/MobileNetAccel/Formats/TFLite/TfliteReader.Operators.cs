using MobileNetAccel.Graph;
using static MobileNetAccel.Formats.TFLite.TfliteSchema;

namespace MobileNetAccel.Formats.TFLite;

internal static partial class TfliteReader
{
    private sealed partial class Reader
    {
        // ---------------------------------------------------------------- operators

        private Node Convert(FbTable op, int code, string? custom, string where)
        {
            int[] ins = op.Int32s(OperatorInputs, "inputs") ?? Array.Empty<int>();
            int[] outs = op.Int32s(OperatorOutputs, "outputs") ?? Array.Empty<int>();
            int optType = op.U8(OperatorOptionsType, "builtin_options_type");
            FbTable? opt = op.Table(OperatorOptions, "builtin_options", where + " options");

            Value In(int i, string role)
            {
                if (i >= ins.Length || ins[i] < 0)
                    throw Fail(where, $"input {i} ({role}) is missing");
                return TensorRef(ins[i], where, $"input {i} ({role})");
            }
            Value? Optional(int i, string role) => i < ins.Length && ins[i] >= 0 ? TensorRef(ins[i], where, $"input {i} ({role})") : null;
            Value Constant(int i, string role)
            {
                var v = In(i, role);
                if (!v.IsConstant)
                    throw Fail(where, $"input {i} ({role}) '{v.Name}' must be a constant tensor");
                return v;
            }
            FbTable Options(int expected, string typeName)
            {
                if (optType != expected || opt is null)
                    throw Fail(where, $"builtin options are {(opt is null ? "absent" : $"of union type {optType}")}; expected {typeName}");
                return opt.Value;
            }
            if (code == Custom)
                return ConvertCustom(op, custom ?? "", ins, outs, where);
            if (outs.Length != 1 || outs[0] < 0)
                throw Fail(where, $"has {outs.Length} outputs; expected 1");
            var output = TensorRef(outs[0], where, "output 0");
            if (output.IsConstant)
                throw Fail(where, $"output tensor '{output.Name}' has constant data");
            int expectedInputs = code switch
            {
                Conv2D or DepthwiseConv2D or FullyConnected => 3,
                Add or Mean or Pad or Reshape or ResizeBilinear or ArgMax or ArgMin => 2,
                Concatenation => Math.Max(ins.Length, 1),
                _ => 1,
            };
            if (ins.Length < (code is Reshape ? 1 : code is Conv2D or DepthwiseConv2D or FullyConnected ? 2 : expectedInputs) || ins.Length > expectedInputs)
                throw Fail(where, $"has {ins.Length} inputs");

            switch (code)
            {
                case Conv2D:
                {
                    var o = Options(OptConv2D, "Conv2DOptions");
                    var x = In(0, "input");
                    var w = Constant(1, "filter");
                    var b = Optional(2, "bias");
                    CheckRank(x, 4, where, "input");
                    CheckRank(w, 4, where, "filter");
                    if (o.I32(ConvDilationW, "dilation_w_factor", 1) != 1 || o.I32(ConvDilationH, "dilation_h_factor", 1) != 1)
                        throw Fail(where, "dilated convolution is not supported");
                    var n = new Conv2DNode(output.Name, x, w, b, output);
                    SetWindow(n, where, x, w.Shape[1], w.Shape[2], o.U8(ConvPadding, "padding"), o.I32(ConvStrideH, "stride_h"),
                        o.I32(ConvStrideW, "stride_w"), o.U8(ConvActivation, "fused_activation_function"));
                    return n;
                }
                case DepthwiseConv2D:
                {
                    var o = Options(OptDepthwiseConv2D, "DepthwiseConv2DOptions");
                    var x = In(0, "input");
                    var w = Constant(1, "filter");
                    var b = Optional(2, "bias");
                    CheckRank(x, 4, where, "input");
                    CheckRank(w, 4, where, "filter");
                    int dm = o.I32(DwMultiplier, "depth_multiplier", 1);
                    if (w.Shape[3] != x.Shape[3] || (dm != 1 && dm != 0))
                        throw Fail(where, $"depth multiplier {dm} (filter {Value.FormatShape(w.Shape)} on {x.Shape[3]} channels) is not supported; only 1");
                    int dh = o.I32(DwDilationH, "dilation_h_factor", 1), dw = o.I32(DwDilationW, "dilation_w_factor", 1);
                    if (dh < 1 || dw < 1 || dh > 1024 || dw > 1024)
                        throw Fail(where, $"dilation {dh}x{dw} is invalid");
                    var n = new DepthwiseConv2DNode(output.Name, x, w, b, output) { DilationH = dh, DilationW = dw };
                    // SAME padding covers the dilated window, (K - 1) * d + 1 taps wide.
                    SetWindow(n, where, x, (w.Shape[1] - 1) * dh + 1, (w.Shape[2] - 1) * dw + 1, o.U8(DwPadding, "padding"),
                        o.I32(DwStrideH, "stride_h"), o.I32(DwStrideW, "stride_w"), o.U8(DwActivation, "fused_activation_function"));
                    return n;
                }
                case FullyConnected:
                {
                    var o = Options(OptFullyConnected, "FullyConnectedOptions");
                    if (o.U8(FcWeightsFormat, "weights_format") != 0)
                        throw Fail(where, "shuffled weights format is not supported");
                    var w = Constant(1, "weights");
                    CheckRank(w, 2, where, "weights");
                    var n = new FullyConnectedNode(output.Name, In(0, "input"), w, Optional(2, "bias"), output)
                    {
                        Activation = MapActivation(o.U8(FcActivation, "fused_activation_function"), where),
                    };
                    return n;
                }
                case Add:
                {
                    var o = Options(OptAdd, "AddOptions");
                    var a = In(0, "a");
                    var b = In(1, "b");
                    if (!a.Shape.AsSpan().SequenceEqual(b.Shape))
                        throw Fail(where, $"broadcasting ADD ({Value.FormatShape(a.Shape)} + {Value.FormatShape(b.Shape)}) is not supported");
                    return new AddNode(output.Name, a, b, output) { Activation = MapActivation(o.U8(AddActivation, "fused_activation_function"), where) };
                }
                case AveragePool2D:
                {
                    var o = Options(OptPool2D, "Pool2DOptions");
                    var x = In(0, "input");
                    CheckRank(x, 4, where, "input");
                    int kh = o.I32(PoolFilterH, "filter_height"), kw = o.I32(PoolFilterW, "filter_width");
                    if (kh < 1 || kw < 1 || kh > 4096 || kw > 4096)
                        throw Fail(where, $"filter {kh}x{kw} is invalid");
                    var n = new AveragePool2DNode(output.Name, x, output, kh, kw);
                    SetWindow(n, where, x, kh, kw, o.U8(PoolPadding, "padding"), o.I32(PoolStrideH, "stride_h"),
                        o.I32(PoolStrideW, "stride_w"), o.U8(PoolActivation, "fused_activation_function"));
                    return n;
                }
                case Mean:
                {
                    var x = In(0, "input");
                    CheckRank(x, 4, where, "input");
                    var axes = Constant(1, "axes");
                    if (axes.DataType != DataType.Int32)
                        throw Fail(where, "axes must be INT32");
                    var ax = axes.AsInt32s().ToArray().Select(a => a < 0 ? a + 4 : a).OrderBy(a => a).ToArray();
                    if (!ax.SequenceEqual(new[] { 1, 2 }))
                        throw Fail(where, $"MEAN over axes [{string.Join(",", ax)}] is not supported; only the spatial axes [1,2] (global pooling)");
                    bool keep = optType == OptReducer && opt is { } ro && ro.Bool(ReducerKeepDims, "keep_dims");
                    if (keep)
                        return new GlobalAveragePoolNode(output.Name, x, output);
                    // Global pooling to [N,1,1,C], then a reshape to the declared [N,C].
                    var pooled = new Value(output.Name + "/pooled", new[] { x.Shape[0], 1, 1, x.Shape[3] }, output.DataType, output.Quantization);
                    _pendingPre = new GlobalAveragePoolNode(output.Name + "/pool", x, pooled);
                    return new ReshapeNode(output.Name, pooled, output, new[] { -1, x.Shape[3] }); // batch free (Model.WithBatch)
                }
                case Reshape:
                case Squeeze:
                {
                    var x = In(0, "input");
                    return new ReshapeNode(output.Name, x, output, BatchFree(x.Shape, output.Shape));
                }
                case Softmax:
                {
                    var o = Options(OptSoftmax, "SoftmaxOptions");
                    float beta = o.F32(SoftmaxBeta, "beta");
                    if (!float.IsFinite(beta) || beta <= 0)
                        throw Fail(where, $"beta {beta} must be positive and finite");
                    return new SoftmaxNode(output.Name, In(0, "input"), output, beta);
                }
                case Pad:
                {
                    var x = In(0, "input");
                    var p = Constant(1, "paddings");
                    int r = x.Rank;
                    if (p.Rank != 2 || p.Shape[0] != r || p.Shape[1] != 2 || p.DataType is not (DataType.Int32 or DataType.Int64))
                        throw Fail(where, $"paddings {Value.FormatShape(p.Shape)} {p.DataType} must be [{r},2] INT32/INT64");
                    var before = new int[r];
                    var after = new int[r];
                    for (int i = 0; i < r; i++)
                    {
                        long b = PadAt(p, 2 * i), a = PadAt(p, 2 * i + 1);
                        if (b < 0 || a < 0 || b > 1 << 16 || a > 1 << 16)
                            throw Fail(where, $"padding {b}/{a} on axis {i} is invalid");
                        before[i] = (int)b;
                        after[i] = (int)a;
                    }
                    return new PadNode(output.Name, x, output, before, after);
                }
                case Concatenation:
                {
                    var o = Options(OptConcatenation, "ConcatenationOptions");
                    var xs = Enumerable.Range(0, ins.Length).Select(i => In(i, "input")).ToList();
                    int rank = xs[0].Rank;
                    int axis = o.I32(ConcatAxis, "axis");
                    if (axis < -rank || axis >= rank)
                        throw Fail(where, $"axis {axis} is out of range for rank {rank}");
                    if (o.U8(ConcatActivation, "fused_activation_function") != ActNone)
                        throw Fail(where, "a fused activation on CONCATENATION is not supported");
                    return new ConcatNode(output.Name, xs, output, axis < 0 ? axis + rank : axis);
                }
                case ResizeBilinear:
                {
                    var o = Options(OptResizeBilinear, "ResizeBilinearOptions");
                    var x = In(0, "input");
                    CheckRank(x, 4, where, "input");
                    var size = Constant(1, "size");
                    if (size.DataType != DataType.Int32 || size.ElementCount != 2)
                        throw Fail(where, $"size {Value.FormatShape(size.Shape)} {size.DataType} must be 2 INT32 values");
                    var hw = size.AsInt32s();
                    if (hw[0] < 1 || hw[1] < 1 || hw[0] > 1 << 16 || hw[1] > 1 << 16)
                        throw Fail(where, $"size {hw[0]}x{hw[1]} is invalid");
                    bool align = o.Bool(ResizeAlignCorners, "align_corners"), half = o.Bool(ResizeHalfPixelCenters, "half_pixel_centers");
                    if (align && half)
                        throw Fail(where, "align_corners and half_pixel_centers are both set");
                    return new ResizeBilinearNode(output.Name, x, output, hw[0], hw[1]) { AlignCorners = align, HalfPixelCenters = half };
                }
                case ArgMax or ArgMin:
                {
                    var x = In(0, "input");
                    var axes = Constant(1, "axis");
                    if (axes.ElementCount != 1 || axes.DataType is not (DataType.Int32 or DataType.Int64))
                        throw Fail(where, $"axis {Value.FormatShape(axes.Shape)} {axes.DataType} must be one INT32/INT64 value");
                    long axis = axes.DataType == DataType.Int32 ? axes.AsInt32s()[0] : BitConverter.ToInt64(axes.Data!, 0);
                    if (axis < -x.Rank || axis >= x.Rank)
                        throw Fail(where, $"axis {axis} is out of range for rank {x.Rank}");
                    if (output.DataType is not (DataType.Int32 or DataType.Int64))
                        throw Fail(where, $"output '{output.Name}' is {output.DataType}; INT32 or INT64 expected");
                    // output_type absent (0, the schema default) leaves the output tensor's type in charge, as in TFLite's kernel.
                    int declared = optType == (code == ArgMin ? OptArgMin : OptArgMax) && opt is { } ao ? ao.U8(ArgMaxOutputType, "output_type") : 0;
                    if (declared != 0 && declared != (output.DataType == DataType.Int32 ? TypeInt32 : TypeInt64))
                        throw Fail(where, $"output_type {TypeName(declared)} differs from the output tensor's {output.DataType.ToString().ToUpperInvariant()}");
                    return new ArgMaxNode(output.Name, x, output, (int)(axis < 0 ? axis + x.Rank : axis), output.DataType, min: code == ArgMin);
                }
                case Logistic:
                    return new LogisticNode(output.Name, In(0, "input"), output);
                case Relu:
                    return new ActivationNode(output.Name, In(0, "input"), output, Activation.Relu);
                case Relu6:
                    return new ActivationNode(output.Name, In(0, "input"), output, Activation.Relu6);
                case Quantize:
                    return new QuantizeNode(output.Name, In(0, "input"), output);
                case Dequantize:
                    return new DequantizeNode(output.Name, In(0, "input"), output);
                default:
                    throw Fail(where, $"operator {OperatorName(code)} is not supported");
            }
        }

        private Node? _pendingPre;

        /// <summary>A CUSTOM operator: only <c>TFLite_Detection_PostProcess</c> (3 inputs, the anchors a constant; 4
        /// outputs, whose shapes files often declare as <c>[]</c>: they are inferred from the options); any other custom
        /// code is an error naming it.</summary>
        private Node ConvertCustom(FbTable op, string custom, int[] ins, int[] outs, string where)
        {
            if (custom != TfliteCustomOperators.DetectionPostProcessCode)
                throw Fail(where, $"custom operator '{custom}' is not supported (only {TfliteCustomOperators.DetectionPostProcessCode})");
            if (ins.Length != 3 || outs.Length != 4)
                throw Fail(where, $"has {ins.Length} inputs and {outs.Length} outputs; expected 3 and 4");
            int format = op.U8(OperatorCustomOptionsFormat, "custom_options_format");
            if (format != CustomOptionsFlexBuffers)
                throw Fail(where, $"custom_options_format {format} is not FLEXBUFFERS (0)");
            byte[] bytes = op.Bytes(OperatorCustomOptions, "custom_options")?.ToArray() ?? Array.Empty<byte>();
            var options = TfliteCustomOperators.ParseDetectionPostProcessOptions(bytes, _v.File, where + " custom options");
            var v = new Value[7];
            string[] roles = { "box encodings", "class scores", "anchors", "boxes", "classes", "scores", "count" };
            for (int i = 0; i < 7; i++)
            {
                int t = i < 3 ? ins[i] : outs[i - 3];
                string role = i < 3 ? $"input {i} ({roles[i]})" : $"output {i - 3} ({roles[i]})";
                if (t < 0)
                    throw Fail(where, $"{role} is missing");
                v[i] = TensorRef(t, where, role);
                if (i >= 3 && v[i].IsConstant)
                    throw Fail(where, $"output tensor '{v[i].Name}' has constant data");
            }
            if (!v[2].IsConstant)
                throw Fail(where, $"input 2 (anchors) '{v[2].Name}' must be a constant tensor");
            for (int i = 3; i < 7; i++)
                for (int j = 0; j < i; j++)
                    if (ReferenceEquals(v[i], v[j]))
                        throw Fail(where, $"tensor '{v[i].Name}' is used twice");
            string name = v[3].Name;
            return new DetectionPostProcessNode(name, v[0], v[1], v[2], v[3], v[4], v[5], v[6], options);
        }

        private static long PadAt(Value p, int i) => p.DataType == DataType.Int32
            ? p.AsInt32s()[i]
            : BitConverter.ToInt64(p.Data!, 8 * i);

        /// <summary>A RESHAPE/SQUEEZE's declared shape with its leading axis left free (-1) when it keeps the input's
        /// leading (batch) axis, so that <see cref="Model.WithBatch"/> can change it; at the file's own batch the
        /// inferred shape is the declared one.</summary>
        private static int[] BatchFree(int[] input, int[] declared)
        {
            var s = (int[])declared.Clone();
            if (s.Length > 1 && input.Length > 0 && s[0] == input[0] && s.Skip(1).All(d => d > 0))
                s[0] = -1;
            return s;
        }

        private void CheckRank(Value v, int rank, string where, string role)
        {
            if (v.Rank != rank)
                throw Fail(where, $"{role} '{v.Name}' has shape {Value.FormatShape(v.Shape)}; expected rank {rank}");
        }

        private Activation MapActivation(int act, string where) => act switch
        {
            ActNone => Activation.None,
            ActRelu => Activation.Relu,
            ActRelu6 => Activation.Relu6,
            _ => throw Fail(where, $"fused activation {act} is not supported (NONE, RELU, RELU6)"),
        };

        private void SetWindow(WindowNode n, string where, Value x, int kh, int kw, int padding, int strideH, int strideW, int act)
        {
            if (strideH < 1 || strideW < 1 || strideH > 1024 || strideW > 1024)
                throw Fail(where, $"stride {strideH}x{strideW} is invalid");
            n.StrideH = strideH;
            n.StrideW = strideW;
            n.Activation = MapActivation(act, where);
            n.Padding = padding switch
            {
                PaddingSame => Padding.Same(x.Shape[1], x.Shape[2], kh, kw, strideH, strideW),
                PaddingValid => Padding.Zero,
                _ => throw Fail(where, $"padding {padding} is not SAME (0) or VALID (1)"),
            };
        }

        /// <summary>TF-slim's parameter rule counts the bias of the classifier convolution only (the other biases come
        /// from folded batch norms): the Conv2D reached from the graph output through reshapes/squeezes/softmax.</summary>
        private static void MarkClassifierBias(ModelGraph graph)
        {
            var v = graph.Outputs[0];
            for (int guard = 0; guard < graph.Nodes.Count && v.Producer is { } p; guard++)
            {
                if (p is Conv2DNode conv)
                {
                    conv.BiasIsParameter = true;
                    return;
                }
                if (p is not (ReshapeNode or SoftmaxNode or QuantizeNode or DequantizeNode))
                    return;
                v = p.Input;
            }
        }
    }
}
