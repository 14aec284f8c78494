using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxImporter
{
    private sealed partial class Builder
    {
        // ------------------------------------------------------------------ graph building helpers

        private T AddNode<T>(T node) where T : Node
        {
            if (node.Inputs.All(i => i is null || i.IsConstant) && _node.OpType != "graph output")
                throw Err($"every input is a constant; folding {_node.OpType} at import is not supported");
            _graph.Add(node);
            node.InferShapes();
            return node;
        }

        private string AuxName(string what) => $"{_nodeName}/{what}{(_aux++ == 0 ? "" : _aux.ToString(System.Globalization.CultureInfo.InvariantCulture))}";

        private Value NewValue(string name) => new(name, Array.Empty<int>());

        private Value ConstValue(Sym s) => s.Value ?? (s.Value = s.Const!.ToValue(_nodeName + "/" + "const" + (_aux++)));

        private Value ConstValue(OnnxConstant c, string what) => c.ToValue($"{_nodeName}/{what}");

        /// <summary>Permutes a run-time value: output dim i = input dim perm[i]. Cancels against a previous permutation,
        /// and becomes a reshape when only size-1 axes move.</summary>
        private Value Permute(Value v, int[] perm)
        {
            if (perm.Select((p, i) => p == i).All(b => b))
                return v;
            string key = string.Join(",", perm);
            if (_permuteCache.TryGetValue((v, key), out var cached))
                return cached;
            Value result;
            if (_transposedFrom.TryGetValue(v, out var from))
            {
                var composed = perm.Select(p => from.Perm[p]).ToArray();
                result = Permute(from.Source, composed);
            }
            else
            {
                var shape = v.Shape;
                var outShape = perm.Select(p => shape[p]).ToArray();
                var moved = perm.Where(p => shape[p] != 1).ToArray();
                bool trivial = moved.Zip(moved.Skip(1)).All(t => t.First < t.Second);
                var o = NewValue($"{v.Name}/perm{key.Replace(",", "")}");
                if (trivial)
                {
                    // Keep the batch axis free (-1) so Model.WithBatch can change it.
                    var newShape = (int[])outShape.Clone();
                    if (perm[0] == 0 && newShape.Length > 0 && newShape.Skip(1).All(d => d > 0))
                        newShape[0] = -1;
                    AddNode(new ReshapeNode(AuxName("layout"), v, o, newShape));
                }
                else
                    AddNode(new TransposeNode(AuxName("layout"), v, o, (int[])perm.Clone()));
                _transposedFrom[o] = (v, perm);
                result = o;
            }
            _permuteCache[(v, key)] = result;
            return result;
        }

        /// <summary>The run-time value in ONNX layout.</summary>
        private Value Onnx(Sym s)
        {
            if (s.Const is not null)
                return ConstValue(s);
            if (!s.Nhwc)
                return s.Value!;
            if (!_onnxForm.TryGetValue(s, out var v))
                _onnxForm[s] = v = Permute(s.Value!, ToNchwPerm);
            return v;
        }

        /// <summary>The run-time 4-D value as NHWC.</summary>
        private Value Nhwc(Sym s, string role)
        {
            if (s.Rank != 4)
                throw Err($"{role} has shape {Value.FormatShape(s.Shape)}; this operator is supported for 4-D (NCHW) tensors only");
            if (s.Const is not null)
                return ConstValue(s.Const.Transpose(ToNhwcPerm), role);
            if (s.Nhwc)
                return s.Value!;
            if (!_nhwcForm.TryGetValue(s, out var v))
                _nhwcForm[s] = v = Permute(s.Value!, ToNhwcPerm);
            return v;
        }

        private void SetOutput(Sym s, int index = 0)
        {
            if (index == 0 && _islandOutput is not null)
            {
                _syms[_islandOutput] = s;
                return;
            }
            if (index >= _node.Outputs.Count || _node.Outputs[index].Length == 0)
                return;
            _syms[_node.Outputs[index]] = s;
        }

        /// <summary>Creates the ONNX output's IR value (named after it).</summary>
        private Value OutValue(int index = 0) => index == 0 && _islandOutput is not null
            ? new Value(_islandOutput, Array.Empty<int>(), _islandQuant.Type, _islandQuant.Q)
            : NewValue(index < _node.Outputs.Count && _node.Outputs[index].Length > 0 ? _node.Outputs[index] : AuxName("out"));

        private void SetRuntime(Value v, bool nhwc)
        {
            var shape = nhwc ? ToNchwPerm.Select(p => v.Shape[p]).ToArray() : (int[])v.Shape.Clone();
            SetOutput(new Sym { Value = v, Nhwc = nhwc, Shape = shape });
        }

        private void SetConst(OnnxConstant c) => SetOutput(new Sym { Const = c, Shape = c.Shape });

        private Sym In(int index, string role)
        {
            if (index == 0 && _inputOverride is not null)
                return _inputOverride;
            if (index >= _node.Inputs.Count || _node.Inputs[index].Length == 0)
                throw Err($"input {index} ({role}) is missing");
            return _syms[_node.Inputs[index]];
        }

        private Sym? OptIn(int index) => index == 0 && _inputOverride is not null ? _inputOverride : index < _node.Inputs.Count && _node.Inputs[index].Length > 0 ? _syms[_node.Inputs[index]] : null;

        private OnnxConstant ConstIn(int index, string role)
        {
            var s = In(index, role);
            return s.Const ?? throw Err($"input {index} ({role}) '{_node.Inputs[index]}' must be a constant (an initializer or Constant output)");
        }

        private void RequireInputs(int min, int max)
        {
            int n = _node.Inputs.Count;
            while (n > 0 && _node.Inputs[n - 1].Length == 0)
                n--;
            if (n < min || n > max)
                throw Err(min == max ? $"has {n} inputs; expected {min}" : $"has {n} inputs; expected {min} to {max}");
        }

        // ------------------------------------------------------------------ attributes

        private OnnxAttribute? Attr(string name, OnnxAttributeType type)
        {
            var a = _node.Attribute(name);
            if (a is not null && a.Type != type)
                throw Err($"attribute '{name}' has type {a.Type}; expected {type}");
            return a;
        }

        private long AttrInt(string name, long fallback) => Attr(name, OnnxAttributeType.Int)?.I ?? fallback;
        private float AttrFloat(string name, float fallback) => Attr(name, OnnxAttributeType.Float)?.F ?? fallback;
        private long[]? AttrInts(string name) => Attr(name, OnnxAttributeType.Ints)?.Ints.ToArray();
        private string AttrString(string name, string fallback) =>
            Attr(name, OnnxAttributeType.String) is { } a ? System.Text.Encoding.UTF8.GetString(a.S) : fallback;

        private int ToInt(long v, string what) => v is >= int.MinValue and <= int.MaxValue ? (int)v : throw Err($"{what} {v} is out of range");

        private int NormalizeAxis(long axis, int rank, string what = "axis")
        {
            long a = axis < 0 ? axis + rank : axis;
            if (a < 0 || a >= rank)
                throw Err($"{what} {axis} is out of range for rank {rank}");
            return (int)a;
        }
    }
}
