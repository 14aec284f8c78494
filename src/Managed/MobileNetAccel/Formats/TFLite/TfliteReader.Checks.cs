using MobileNetAccel.Graph;
using static MobileNetAccel.Formats.TFLite.TfliteSchema;

namespace MobileNetAccel.Formats.TFLite;

internal static partial class TfliteReader
{
    private sealed partial class Reader
    {
        // ------------------------------------------------------ checks after inference

        private void CheckInferred(ModelGraph graph)
        {
            for (int i = 0; i < _values.Length; i++)
            {
                var v = _values[i]!;
                // TFLite_Detection_PostProcess sets its outputs' shapes at Prepare time; files declare them [] (or the real shape).
                bool undeclared = _declaredShapes[i].Length == 0 && v.Producer is DetectionPostProcessNode;
                if (!undeclared && !v.Shape.AsSpan().SequenceEqual(_declaredShapes[i]) && v.Producer is { } p && _nodeOps.TryGetValue(p, out var op))
                    throw Fail($"subgraph 0, operator {op.Index} ({op.Op})",
                        $"output tensor {i} '{v.Name}' is declared {Value.FormatShape(_declaredShapes[i])} but the operator produces {Value.FormatShape(v.Shape)}");
                // Shape inference sets an output's type from its inputs; a tensor declared otherwise (a FLOAT32 or INT32
                // output of a uint8 operator) would otherwise be filled with bytes of another type.
                if (v.DataType != _declaredTypes[i] && v.Producer is { } q && _nodeOps.TryGetValue(q, out var qop))
                    throw Fail($"subgraph 0, operator {qop.Index} ({qop.Op})",
                        $"output tensor {i} '{v.Name}' is declared {_declaredTypes[i].ToString().ToUpperInvariant()} but the operator produces {v.DataType.ToString().ToUpperInvariant()}");
            }
            foreach (var n in graph.Nodes)
            {
                string where = _nodeOps.TryGetValue(n, out var op) ? $"subgraph 0, operator {op.Index} ({op.Op})" : $"subgraph 0, node '{n.Name}'";
                CheckTypes(n, where);
            }
        }

        private void CheckTypes(Node n, string where)
        {
            var x = n.Input;
            var y = n.Output;
            bool quantized = x.DataType is DataType.UInt8 or DataType.Int8;
            switch (n)
            {
                case QuantizeNode:
                    if (y.DataType is not (DataType.UInt8 or DataType.Int8) || y.Quantization is null || y.Quantization.IsPerChannel)
                        throw Fail(where, $"output '{y.Name}' must be per-tensor quantized UINT8/INT8");
                    if (x.DataType != DataType.Float32 && (!quantized || x.Quantization is null))
                        throw Fail(where, $"input '{x.Name}' must be FLOAT32 or quantized");
                    return;
                case DequantizeNode:
                    if (!quantized || x.Quantization is null || x.Quantization.IsPerChannel || y.DataType != DataType.Float32)
                        throw Fail(where, $"needs a per-tensor quantized UINT8/INT8 input and a FLOAT32 output (got {x.DataType} -> {y.DataType})");
                    return;
                case DetectionPostProcessNode dpp:
                    foreach (var (input, role) in new[] { (dpp.BoxEncodings, "box encodings"), (dpp.ClassScores, "class scores"), (dpp.Anchors, "anchors") })
                    {
                        if (input.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
                            throw Fail(where, $"{role} '{input.Name}' has type {input.DataType}; FLOAT32, UINT8 or INT8 expected");
                        if (input.DataType != DataType.Float32)
                            RequirePerTensor(input, where);
                    }
                    return;
                case LogisticNode when quantized && y.DataType == x.DataType:
                    RequirePerTensor(x, where);
                    RequirePerTensor(y, where);
                    long zp = x.DataType == DataType.UInt8 ? 0 : -128;
                    if (y.Quantization!.Scale != 1f / 256 || y.Quantization.ZeroPoint != zp)
                        throw Fail(where, $"output '{y.Name}' has scale {y.Quantization.Scale} and zero point {y.Quantization.ZeroPoint}; a quantized LOGISTIC's output must have scale 1/256 and zero point {zp}");
                    return;
                case ArgMaxNode:
                    if (x.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
                        throw Fail(where, $"input '{x.Name}' has type {x.DataType}; FLOAT32, UINT8 or INT8 expected");
                    if (quantized)
                        RequirePerTensor(x, where);
                    return;
            }
            if (x.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8))
                throw Fail(where, $"input '{x.Name}' has type {x.DataType}; FLOAT32, UINT8 or INT8 expected");
            if (y.DataType != x.DataType)
                throw Fail(where, $"output '{y.Name}' is {y.DataType} but input '{x.Name}' is {x.DataType} (mixed/hybrid types are not supported)");
            if (quantized)
            {
                RequirePerTensor(x, where);
                RequirePerTensor(y, where);
            }
            switch (n)
            {
                case AddNode add:
                    var b = add.Inputs[1]!;
                    if (b.DataType != x.DataType)
                        throw Fail(where, $"inputs are {x.DataType} and {b.DataType}");
                    if (quantized)
                        RequirePerTensor(b, where);
                    break;
                case Conv2DNode or DepthwiseConv2DNode or FullyConnectedNode:
                    var w = n.Inputs[1]!;
                    var bias = n.Inputs.Count > 2 ? n.Inputs[2] : null;
                    int axis = n is DepthwiseConv2DNode ? 3 : 0;
                    if (!quantized)
                    {
                        if (w.DataType != DataType.Float32 || (bias is not null && bias.DataType != DataType.Float32))
                            throw Fail(where, $"a FLOAT32 operator needs FLOAT32 weights and bias (got {w.DataType}/{bias?.DataType})");
                        break;
                    }
                    if (w.DataType != x.DataType || w.Quantization is null)
                        throw Fail(where, $"weights '{w.Name}' must be quantized {x.DataType} (got {w.DataType})");
                    if (w.Quantization.IsPerChannel && (w.Quantization.Axis != axis || x.DataType != DataType.Int8))
                        throw Fail(where, $"per-channel weights '{w.Name}' must be INT8 along axis {axis} (got {w.DataType} axis {w.Quantization.Axis})");
                    if (bias is not null && (bias.DataType != DataType.Int32 || !bias.IsConstant))
                        throw Fail(where, $"bias '{bias.Name}' must be a constant INT32 tensor (got {bias.DataType})");
                    break;
                case ConcatNode:
                    foreach (var c in n.Inputs)
                    {
                        if (c!.DataType != x.DataType)
                            throw Fail(where, $"inputs are {x.DataType} and {c.DataType}");
                        if (quantized)
                            RequirePerTensor(c, where);
                    }
                    break;
                case SoftmaxNode when quantized:
                    if (x.Rank < 1)
                        throw Fail(where, "softmax of a scalar");
                    break;
            }
        }

        private void RequirePerTensor(Value v, string where)
        {
            if (v.Quantization is null || v.Quantization.IsPerChannel)
                throw Fail(where, $"quantized tensor '{v.Name}' needs per-tensor quantization parameters");
        }
    }
}
