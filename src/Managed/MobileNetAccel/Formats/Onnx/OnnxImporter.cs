using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>Options for <see cref="OnnxImporter.Import"/>.</summary>
internal sealed class OnnxImportOptions
{
    /// <summary>Graph inputs to freeze to these values (they become constants). Used to give ops such as Conv or Reshape
    /// the constant weights/shapes they need when a model passes them as inputs (as ONNX's node tests do).</summary>
    public IReadOnlyDictionary<string, OnnxTensor>? FrozenInputs { get; init; }
}

/// <summary>
/// Converts an ONNX model to the IR.
/// <para>Layout: 4-D activations that feed spatial ops (Conv, pooling, BatchNormalization) are carried in NHWC
/// internally; convolution weights are transposed once, to OHWI (group 1) or [1,KH,KW,C] (depthwise). Element-wise ops,
/// Pad, Concat and Transpose work on the NHWC form directly (their constants/axes are permuted); ops whose meaning depends
/// on the memory order (Flatten, Reshape, Squeeze, Softmax, Gemm, MatMul …) get the tensor back in ONNX layout.
/// The conversions are explicit <see cref="TransposeNode"/>s (or <see cref="ReshapeNode"/>s when only size-1 axes move,
/// as for [N,C,1,1]); back-to-back conversions cancel. So the graph's inputs and outputs keep the layout and shape the
/// ONNX file declares (NCHW for the torchvision MobileNets): the conversion sits inside the graph, at its boundary,
/// and the session needs no layout logic.</para>
/// </summary>
internal static partial class OnnxImporter
{
    /// <summary>Lowest and highest default-domain opset accepted. The operators' forms of opsets 7–21 are supported;
    /// older models load when their nodes use no legacy-only form (such forms are rejected per node).</summary>
    public const int MinOpset = 1, MaxOpset = 21;

    /// <summary>Operators the importer converts.</summary>
    public static readonly IReadOnlyList<string> SupportedOperators = new[]
    {
        "Conv", "BatchNormalization", "Relu", "Clip", "Add", "Mul", "GlobalAveragePool", "AveragePool", "Flatten", "Reshape",
        "Gemm", "MatMul", "Softmax", "Constant", "Identity", "Transpose", "Pad", "Squeeze", "Unsqueeze", "Concat",
        "ArgMax", "ArgMin", "QuantizeLinear", "DequantizeLinear", "QLinearConv", "QLinearMatMul",
    };

    /// <summary>Whether input <paramref name="index"/> of <paramref name="opType"/> must be known at import time
    /// (weights, shapes, pads, axes, clip bounds, Gemm's B and C).</summary>
    public static bool RequiresConstantInput(string opType, int index) => opType switch
    {
        "Conv" or "Gemm" => index >= 1,
        "BatchNormalization" => index >= 1,
        "Clip" or "Pad" or "Reshape" or "Squeeze" or "Unsqueeze" => index >= 1,
        "QuantizeLinear" or "DequantizeLinear" => index >= 1,
        "QLinearConv" or "QLinearMatMul" => index >= 1,
        _ => false,
    };

    /// <summary>Reads and imports a .onnx file.</summary>
    public static ModelGraph Load(string path, OnnxImportOptions? options = null) => Import(OnnxReader.ReadFile(path), options);

    public static ModelGraph Import(OnnxModel model, OnnxImportOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        return new Builder(model, options ?? new OnnxImportOptions()).Build();
    }

    /// <summary>A tensor of the ONNX graph during import: a constant, or a run-time value (NHWC or in ONNX layout).</summary>
    private sealed class Sym
    {
        public OnnxConstant? Const;
        public Value? Value;
        /// <summary><see cref="Value"/> holds a 4-D ONNX (NCHW-ordered) tensor as NHWC.</summary>
        public bool Nhwc;
        /// <summary>Shape in ONNX layout.</summary>
        public int[] Shape = Array.Empty<int>();
        public int Rank => Shape.Length;
        /// <summary>For a quantized constant (<see cref="Const"/> holds its integers): its type and parameters, with
        /// the axis in ONNX layout.</summary>
        public QuantizationParameters? QParams;
        public DataType QType;
        /// <summary>The output of a DequantizeLinear: the quantized tensor it reads (a run-time uint8/int8 value, or a
        /// quantized constant). The QDQ fusion starts from here.</summary>
        public Sym? DequantizedFrom;
    }

    private sealed partial class Builder
    {
        private static readonly int[] ToNhwcPerm = { 0, 2, 3, 1 };
        private static readonly int[] ToNchwPerm = { 0, 3, 1, 2 };
        /// <summary>NCHW axis → its position in NHWC.</summary>
        private static readonly int[] NchwAxisInNhwc = { 0, 3, 1, 2 };

        private readonly OnnxModel _model;
        private readonly OnnxImportOptions _options;
        private readonly ModelGraph _graph;
        private readonly Dictionary<string, Sym> _syms = new();
        private readonly Dictionary<Value, (Value Source, int[] Perm)> _transposedFrom = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<(Value, string), Value> _permuteCache = new();
        private readonly Dictionary<Sym, Value> _onnxForm = new(ReferenceEqualityComparer.Instance);
        private readonly Dictionary<Sym, Value> _nhwcForm = new(ReferenceEqualityComparer.Instance);
        private OnnxNode _node = new();
        private string _nodeName = "";
        private int _opset;
        private int _aux;

        public Builder(OnnxModel model, OnnxImportOptions options)
        {
            _model = model;
            _options = options;
            _graph = new ModelGraph(string.IsNullOrEmpty(model.Graph.Name) ? model.Source : model.Graph.Name);
        }

        private string Source => _model.Source;

        private ModelFormatException Err(string problem) => new(Source, _node.Describe(), problem);

        public ModelGraph Build()
        {
            long opset = _model.DefaultOpset;
            if (opset < MinOpset || opset > MaxOpset)
                throw new ModelFormatException(Source, "", $"default-domain opset {opset} is outside the supported range {MinOpset}–{MaxOpset}");
            _opset = (int)opset;
            var g = _model.Graph;
            if (g.HasSparseInitializers)
                throw new ModelFormatException(Source, "", $"sparse initializers are not supported");

            foreach (var t in g.Initializers)
                DefineConstant(t, "initializer");
            if (_options.FrozenInputs is { } frozen)
                foreach (var (name, t) in frozen)
                {
                    if (!g.Inputs.Any(i => i.Name == name))
                        throw new ModelFormatException(Source, "", $"frozen input '{name}' is not a graph input");
                    t.Name = name;
                    _syms.Remove(name);
                    DefineConstant(t, "frozen input");
                }
            var inputNames = new HashSet<string>();
            foreach (var vi in g.Inputs)
            {
                if (vi.Name.Length == 0)
                    throw new ModelFormatException(Source, "", $"a graph input has no name");
                if (!inputNames.Add(vi.Name))
                    throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' is declared twice");
                if (_syms.ContainsKey(vi.Name))
                    continue; // has an initializer (or was frozen): a constant
                _syms[vi.Name] = DefineInput(vi);
            }
            if (g.Outputs.Count == 0)
                throw new ModelFormatException(Source, "", $"the graph has no outputs");

            var order = TopologicalOrder(g);
            IndexConsumers(g, order);
            foreach (var node in order)
            {
                _node = node;
                _nodeName = node.Name.Length > 0 ? node.Name : $"{node.OpType}_{node.Index}";
                _aux = 0;
                _islandOutput = null;
                _fusedHead = false;
                if (_fused.Contains(node))
                    continue; // folded into an integer node of a QDQ island
                if (node.Domain is not ("" or "ai.onnx") && !(node.Domain == MicrosoftDomain && MicrosoftOperators.Contains(node.OpType)))
                    throw Err($"operator {node.OpType} of domain '{node.Domain}' is not supported");
                foreach (var a in node.Attributes)
                    if (a.RefAttrName is not null)
                        throw Err($"attribute '{a.Name}' refers to a function attribute, which is only valid inside functions");
                try
                {
                    Convert(node);
                }
                catch (GraphException e)
                {
                    throw Err(e.Message);
                }
                catch (OnnxImportProblem e)
                {
                    throw Err(e.Message);
                }
                catch (OverflowException e)
                {
                    throw Err($"a size overflows: {e.Message}");
                }
                if (_fusedHead)
                    continue; // the node's float output was never materialised: its QuantizeLinear's output was
                foreach (var o in node.Outputs)
                    if (o.Length > 0 && !_syms.ContainsKey(o))
                        throw Err($"output '{o}' is not supported (only the first output of this operator is)");
            }

            var outputNames = new HashSet<string>();
            foreach (var vo in g.Outputs)
            {
                if (!outputNames.Add(vo.Name))
                    throw new ModelFormatException(Source, "", $"graph output '{vo.Name}' is declared twice");
                if (!_syms.TryGetValue(vo.Name, out var sym))
                    throw new ModelFormatException(Source, "", $"graph output '{vo.Name}' is not produced by any node");
                _node = new OnnxNode { Name = vo.Name, OpType = "graph output", Index = g.Nodes.Count };
                _nodeName = "output/" + vo.Name;
                Value v;
                if (sym.Const is not null)
                {
                    v = new Value(vo.Name, Array.Empty<int>());
                    AddNode(new ReshapeNode(_nodeName, ConstValue(sym), v, (int[])sym.Shape.Clone()));
                }
                else
                {
                    var internalValue = sym.Value!;
                    v = Onnx(sym);
                    if (!ReferenceEquals(v, internalValue))
                    {
                        internalValue.Name = vo.Name + "/nhwc";
                        v.Name = vo.Name;
                    }
                }
                if (vo.HasShape)
                {
                    if (vo.Dims.Count != v.Rank)
                        throw new ModelFormatException(Source, "", $"graph output '{vo.Name}' is declared with rank {vo.Dims.Count} but computes to {Value.FormatShape(v.Shape)}");
                    for (int i = 0; i < v.Rank; i++)
                        if (vo.Dims[i] is long d && d != v.Shape[i] && !(i == 0 && vo.DimParams[i] is not null))
                            throw new ModelFormatException(Source, "", $"graph output '{vo.Name}' is declared as [{string.Join(",", vo.Dims.Select(x => x?.ToString() ?? "?"))}] but computes to {Value.FormatShape(v.Shape)}");
                }
                if (vo.ElementType is not (OnnxDataType.Float or OnnxDataType.Undefined or OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Int64))
                    throw new ModelFormatException(Source, "", $"graph output '{vo.Name}' has element type {vo.ElementType}; only float32, uint8, int8 and int64 (ArgMax/ArgMin) outputs are supported");
                _graph.Outputs.Add(v);
            }
            try
            {
                // Drops nodes nothing reads, e.g. a file's NHWC→NCHW transpose that cancelled against the importer's
                // NCHW→NHWC conversion (the nodes are in file order, which is topological).
                new DeadNodeRemovalPass().Run(_graph);
                CheckQuantizedBoundaries();
                QuantizedTypeUnifier.Run(_graph);
                _graph.Validate();
            }
            catch (GraphException e)
            {
                throw new ModelFormatException(Source, "", $"{e.Message}", e);
            }
            CheckDeclaredTypes(g);
            return _graph;
        }

        /// <summary>A graph output or value_info entry whose declared element type is not what its operator produces
        /// (after shape and type inference) is an error naming the tensor, never a silent retyping.</summary>
        private void CheckDeclaredTypes(OnnxGraph g)
        {
            var live = new HashSet<Value>(_graph.Values(), ReferenceEqualityComparer.Instance);
            void Check(OnnxValueInfo vi, Value? v, string role)
            {
                if (v is null || !live.Contains(v) || vi.IsNonTensor)
                    return;
                DataType? declared = vi.ElementType switch
                {
                    OnnxDataType.Float => DataType.Float32,
                    OnnxDataType.UInt8 => DataType.UInt8,
                    OnnxDataType.Int8 => DataType.Int8,
                    OnnxDataType.Int32 => DataType.Int32,
                    OnnxDataType.Int64 => DataType.Int64,
                    OnnxDataType.Undefined => null,
                    _ => null,
                };
                if (declared is { } d && d != v.DataType)
                    throw new ModelFormatException(Source, "", $"{role} '{vi.Name}' is declared {vi.ElementType} but its operator produces {v.DataType}");
                if (declared is null && vi.ElementType != OnnxDataType.Undefined)
                    throw new ModelFormatException(Source, "", $"{role} '{vi.Name}' is declared {vi.ElementType}, which no supported operator produces (it computes to {v.DataType})");
            }
            foreach (var vo in g.Outputs)
                Check(vo, _graph.Outputs.FirstOrDefault(o => o.Name == vo.Name), "graph output");
            foreach (var vi in g.ValueInfo)
                if (_syms.TryGetValue(vi.Name, out var sym) && sym.Const is null)
                    Check(vi, sym.Value, "value_info");
        }

        private void DefineConstant(OnnxTensor t, string role)
        {
            if (t.Name.Length == 0)
                throw new ModelFormatException(Source, "", $"an {role} has no name");
            if (_syms.ContainsKey(t.Name))
                throw new ModelFormatException(Source, "", $"{role} '{t.Name}' is defined twice");
            OnnxConstant c;
            try
            {
                c = OnnxConstant.From(t, $"{role} '{t.Name}'");
            }
            catch (OnnxImportProblem e)
            {
                throw new ModelFormatException(Source, $"{role} '{t.Name}'", e.Message);
            }
            _syms[t.Name] = new Sym { Const = c, Shape = c.Shape };
        }

        private Sym DefineInput(OnnxValueInfo vi)
        {
            if (vi.IsNonTensor)
                throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' is not a tensor (sequence, map and optional types are not supported)");
            var type = vi.ElementType switch
            {
                OnnxDataType.Float => DataType.Float32,
                OnnxDataType.UInt8 => DataType.UInt8,
                OnnxDataType.Int8 => DataType.Int8,
                _ => throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' has element type {vi.ElementType}; only float32, uint8 and int8 inputs are supported"),
            };
            if (!vi.HasShape)
                throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' has no shape");
            var shape = new int[vi.Dims.Count];
            for (int i = 0; i < shape.Length; i++)
            {
                if (vi.Dims[i] is long d)
                {
                    if (d == 0)
                        throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' has size 0 at axis {i}; zero-size tensors are not supported");
                    if (d < 0 || d > int.MaxValue)
                        throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' has dimension {d} at axis {i}");
                    shape[i] = (int)d;
                }
                else if (i == 0)
                    shape[i] = 1; // symbolic batch: run with batch 1
                else
                    throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' has a symbolic dimension '{vi.DimParams[i]}' at axis {i}; only the batch axis may be symbolic");
            }
            long n = 1;
            foreach (int d in shape)
                if ((n *= d) > int.MaxValue / 4)
                    throw new ModelFormatException(Source, "", $"graph input '{vi.Name}' {Value.FormatShape(shape)} is too large");
            var v = new Value(vi.Name, shape, type); // a quantized input's parameters come from the first operator that reads it
            _graph.Inputs.Add(v);
            return new Sym { Value = v, Shape = shape };
        }

        /// <summary>ONNX requires nodes in topological order; this checks every input is defined and orders the nodes
        /// (Kahn's algorithm, stable), reporting a cycle by naming a node on it.</summary>
        private List<OnnxNode> TopologicalOrder(OnnxGraph g)
        {
            var producer = new Dictionary<string, OnnxNode>();
            foreach (var n in g.Nodes)
                foreach (var o in n.Outputs)
                {
                    if (o.Length == 0)
                        continue;
                    if (producer.TryGetValue(o, out var other))
                        throw new ModelFormatException(Source, n.Describe(), $"output '{o}' is also produced by {other.Describe()}");
                    if (_syms.ContainsKey(o))
                        throw new ModelFormatException(Source, n.Describe(), $"output '{o}' has the name of a graph input or initializer");
                    producer[o] = n;
                }
            var pending = new Dictionary<OnnxNode, int>(ReferenceEqualityComparer.Instance);
            var consumers = new Dictionary<string, List<OnnxNode>>();
            foreach (var n in g.Nodes)
            {
                int count = 0;
                foreach (var i in n.Inputs)
                {
                    if (i.Length == 0)
                        continue;
                    if (producer.ContainsKey(i))
                    {
                        count++;
                        if (!consumers.TryGetValue(i, out var list))
                            consumers[i] = list = new List<OnnxNode>();
                        list.Add(n);
                    }
                    else if (!_syms.ContainsKey(i))
                        throw new ModelFormatException(Source, n.Describe(), $"input '{i}' is neither a graph input, an initializer nor the output of a node");
                }
                pending[n] = count;
            }
            var ordered = new List<OnnxNode>(g.Nodes.Count);
            var ready = new Queue<OnnxNode>(g.Nodes.Where(n => pending[n] == 0));
            while (ready.Count > 0)
            {
                var n = ready.Dequeue();
                ordered.Add(n);
                foreach (var o in n.Outputs)
                    if (o.Length > 0 && consumers.TryGetValue(o, out var list))
                        foreach (var c in list)
                            if (--pending[c] == 0)
                                ready.Enqueue(c);
            }
            if (ordered.Count != g.Nodes.Count)
            {
                var stuck = g.Nodes.First(n => pending[n] > 0);
                throw new ModelFormatException(Source, stuck.Describe(), $"is part of a cycle");
            }
            return ordered;
        }
    }
}
