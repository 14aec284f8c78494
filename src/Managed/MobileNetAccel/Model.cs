using MobileNetAccel.Graph;
using MobileNetAccel.Models;

namespace MobileNetAccel;

/// <summary>
/// A model: a validated <see cref="ModelGraph"/> that sessions are created from. A model is immutable from the
/// outside: sessions work on their own copy of the graph (optimised and planned there), so one model can feed many
/// sessions with different options.
/// </summary>
public sealed class Model
{
    private readonly ModelGraph _graph;

    /// <summary>Wraps <paramref name="graph"/> (validated now; shape errors name the node; a tensor with more than
    /// <see cref="int.MaxValue"/> elements is an <see cref="Execution.MemoryLimitException"/>). The model takes a copy.</summary>
    public Model(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        _graph = graph.Clone();
        _graph.Validate();
        // Shapes are checked now, before a session allocates anything: no tensor may overflow or exceed one buffer.
        Execution.MemoryBudget.CheckShapes(_graph);
    }

    /// <summary>Model name (the graph's name).</summary>
    public string Name => _graph.Name;

    /// <summary>A copy of the model's graph (as built or loaded, not optimised).</summary>
    public ModelGraph Graph => _graph.Clone();

    /// <summary>Batch size of the first input (dimension 0).</summary>
    public int Batch => _graph.Inputs.Count > 0 && _graph.Inputs[0].Rank > 0 ? _graph.Inputs[0].Shape[0] : 1;

    /// <summary>Parameters per TF-slim's rule (see <see cref="Node.Parameters"/>).</summary>
    public long Parameters => _graph.TotalParameters;

    /// <summary>Multiply-accumulates of one image (batch 1).</summary>
    public long MacsPerImage => _graph.TotalMacs;

    /// <summary>Bytes of constant data (weights, biases, batch-norm statistics).</summary>
    public long ConstantBytes => _graph.Values().Where(v => v.IsConstant).Sum(v => v.SizeInBytes);

    /// <summary>The same model with every graph input's batch dimension set to <paramref name="batch"/>; shapes are
    /// inferred again (a <see cref="GraphException"/> names the node whose shapes no longer fit).</summary>
    public Model WithBatch(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var g = _graph.Clone();
        foreach (var input in g.Inputs)
        {
            if (input.Rank == 0)
                throw new GraphException($"graph input '{input.Name}' is a scalar; it has no batch dimension");
            var s = (int[])input.Shape.Clone();
            s[0] = batch;
            input.Shape = s;
        }
        return new Model(g);
    }

    /// <summary>Loads a model file, choosing the reader by extension: <c>.onnx</c> (ONNX, see
    /// <see cref="Formats.Onnx.OnnxImporter"/>) or <c>.tflite</c> (<see cref="Formats.TFLite.TfliteReader"/>). A file that is malformed or uses something unsupported raises
    /// <see cref="Formats.ModelFormatException"/> naming the file and where in it the problem is.</summary>
    public static Model Load(string path)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        string extension = Path.GetExtension(path).ToLowerInvariant();
        return extension switch
        {
            ".onnx" => new Model(Formats.Onnx.OnnxImporter.Load(path)),
            ".tflite" => new Model(Formats.TFLite.TfliteReader.Load(path)),
            _ => throw new Formats.ModelFormatException(path, "", $"unknown model file extension '{extension}' (supported: .onnx, .tflite)"),
        };
    }

    /// <summary>Internal access without a copy (sessions clone it themselves).</summary>
    internal ModelGraph GraphNoCopy => _graph;

    /// <summary>The built-in architectures with seeded random weights (for benchmarks and tests).</summary>
    public static class Zoo
    {
        /// <summary>TF-slim MobileNetV1 at width <paramref name="alpha"/> and <paramref name="resolution"/>² input.</summary>
        public static Model MobileNetV1(double alpha = 1.0, int resolution = 224, ulong seed = 1) =>
            new(Models.MobileNetV1.Build(alpha, resolution, seed));

        /// <summary>TF-slim MobileNetV2 at width <paramref name="alpha"/> and <paramref name="resolution"/>² input.</summary>
        public static Model MobileNetV2(double alpha = 1.0, int resolution = 224, ulong seed = 1) =>
            new(Models.MobileNetV2.Build(alpha, resolution, seed));

        /// <summary>Either architecture by enum.</summary>
        public static Model Build(Architecture architecture, double alpha, int resolution, ulong seed = 1) =>
            new(ModelZoo.Build(architecture, alpha, resolution, seed));
    }

    public override string ToString() => $"model '{Name}' ({_graph.Nodes.Count} nodes, {Parameters} parameters)";
}
