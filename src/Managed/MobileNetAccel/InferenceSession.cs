using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;

namespace MobileNetAccel;

/// <summary>
/// Runs a <see cref="Model"/> on one backend. Creating the session copies the graph, optimises it (when
/// <see cref="SessionOptions.Optimize"/>), plans the activation arena and compiles the graph (weights are packed once).
/// <para>Thread safety: <see cref="Run(ReadOnlySpan{float}, Span{float})"/> may be called from several threads at once;
/// runs are serialised by a lock (one arena per session). For parallel throughput create one session per thread.</para>
/// <para>Spans passed to Run are only read/written during the call.</para>
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly object _gate = new();
    private readonly GraphExecutor _executor;
    private bool _disposed;

    public InferenceSession(Model model, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Options = options ?? new SessionOptions();
        if (Options.Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.Threads, "Threads must be 0 (default) or positive");
        var graph = model.GraphNoCopy.Clone();
        graph.Validate();
        if (Options.Optimize)
            PassLog = GraphOptimizer.Optimize(graph);
        else
            PassLog = Array.Empty<(string, int)>();
        Inputs = graph.Inputs.Select(TensorInfo.From).ToList();
        Outputs = graph.Outputs.Select(TensorInfo.From).ToList();
        foreach (var t in Inputs.Concat(Outputs))
            if (t.DataType != DataType.Float32)
                throw new NotSupportedException($"tensor '{t.Name}' is {t.DataType}; this session API runs float32 inputs and outputs");
        var backend = BackendCatalog.Get(Options.Backend);
        Threads = Options.EffectiveThreads;
        _executor = new GraphExecutor(graph, backend, new CompileOptions { Threads = Threads });
    }

    public SessionOptions Options { get; }
    /// <summary>Threads used by CPU backends.</summary>
    public int Threads { get; }
    public IReadOnlyList<TensorInfo> Inputs { get; }
    public IReadOnlyList<TensorInfo> Outputs { get; }
    /// <summary>Which backend and device runs each node of the (optimised) graph.</summary>
    public IReadOnlyList<NodePlacement> Placement => _executor.Placement;
    /// <summary>The graph as it runs (after the passes). Do not modify it.</summary>
    public ModelGraph Graph => _executor.Graph;
    /// <summary>Rewrites made by each pass.</summary>
    public IReadOnlyList<(string Pass, int Rewrites)> PassLog { get; }
    /// <summary>Size of the activation arena in bytes (the planner's peak).</summary>
    public long ArenaBytes => _executor.ArenaBytes;
    /// <summary>The arena plan (offsets and lifetimes).</summary>
    public MemoryPlan MemoryPlan => _executor.Plan;

    /// <summary>Runs one inference: <paramref name="input"/> must hold exactly Inputs[0]'s elements and
    /// <paramref name="output"/> exactly Outputs[0]'s. Allocates nothing.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            _executor.Run(input, output);
        }
    }

    /// <summary>Convenience overload: returns a new array with the output.</summary>
    public float[] Run(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        var output = new float[Outputs[0].ElementCount];
        Run(input, output);
        return output;
    }

    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            _executor.Dispose();
        }
    }
}
