using MobileNetAccel.Graph;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
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

        /// <summary>ArgMax / ArgMin (opsets 1–21): int64 indices along <c>axis</c> (default 0), the first index on ties
        /// (<c>select_last_index</c> = 1 is refused), <c>keepdims</c> (default 1) as a reshape that puts the size-1 axis
        /// back. A 4-D NHWC-held input reduced over its channel axis is read as it is held (the result's order is ONNX's);
        /// other axes see the ONNX layout. NaN follows the one rule every backend keeps (TFLite's: a NaN never replaces
        /// the best so far; a NaN first element is the answer).</summary>
        private void ConvertArgMax(bool min)
        {
            RequireInputs(1, 1);
            var x = In(0, "data");
            if (x.Const is not null)
                throw Err("the input is a constant; ArgMax/ArgMin of a constant is not supported");
            if (x.Rank == 0)
                throw Err("input must have rank 1 or more");
            int axis = NormalizeAxis(AttrInt("axis", 0), x.Rank);
            long keepdims = AttrInt("keepdims", 1);
            if (keepdims is not (0 or 1))
                throw Err($"keepdims {keepdims} is not 0 or 1");
            long last = AttrInt("select_last_index", 0);
            if (last != 0)
                throw Err($"select_last_index {last} is not supported (the first index is taken on ties)");
            if (x.Shape[axis] < 1)
                throw Err($"axis {axis} of {Value.FormatShape(x.Shape)} is empty");
            bool held = x.Nhwc && axis == 1; // NHWC minus C = ONNX's N,H,W order
            var xv = held ? x.Value! : Onnx(x);
            var reduced = keepdims == 1 ? NewValue(AuxName(min ? "argmin" : "argmax")) : OutValue();
            AddNode(new ArgMaxNode(keepdims == 1 ? reduced.Name : _nodeName, xv, reduced, held ? NchwAxisInNhwc[axis] : axis, DataType.Int64, min));
            if (keepdims == 0)
            {
                SetRuntime(reduced, nhwc: false);
                return;
            }
            var kept = (int[])x.Shape.Clone();
            kept[axis] = 1;
            var output = OutValue();
            AddNode(new ReshapeNode(_nodeName, reduced, output, kept));
            SetRuntime(output, nhwc: false);
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
    }
}
