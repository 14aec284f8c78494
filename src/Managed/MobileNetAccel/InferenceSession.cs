using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Graph.Passes;

namespace MobileNetAccel;

/// <summary>
/// Runs a <see cref="Model"/> on the backends <see cref="SessionOptions.Backend"/> asks for (see <see cref="Placement"/>). Creating the session copies the graph, optimises it (when
/// <see cref="SessionOptions.Optimize"/>), plans the activation arena and compiles the graph (weights are packed once).
/// <para>Thread safety: <see cref="Run(ReadOnlySpan{float}, Span{float})"/>, <see cref="Run(float[])"/> and
/// the <c>RunRaw</c> overloads may be called from several threads at once, as on an ONNX Runtime session. The weights are
/// compiled once and shared; each call in flight uses an activation arena of its own, taken from a small pool that
/// grows on demand up to <see cref="MaxConcurrentRuns"/> arenas (the processors of the machine, fewer when the memory
/// limit allows fewer; further callers wait for a free arena). Outputs are bit-identical to those of a single caller.
/// The CPU kernels of concurrent calls share the session's worker pool: one call's parallel region runs on the pool,
/// the others run theirs on their own threads. A backend that cannot run concurrently (GPU partitions) runs one call at
/// a time. <see cref="Dispose"/> waits for the calls in flight; a call after it raises
/// <see cref="ObjectDisposedException"/>. The properties are immutable after construction.</para>
/// <para>Spans passed to Run are only read/written during the call.</para>
/// <para>Several inputs or outputs (e.g. an SSD detector's boxes, classes, scores and count): use
/// <see cref="RunRaw(IReadOnlyList{ReadOnlyMemory{byte}}, IReadOnlyList{Memory{byte}})"/> with one buffer per tensor in
/// the order of <see cref="Inputs"/> and <see cref="Outputs"/> (<see cref="InputIndex"/>/<see cref="OutputIndex"/> find
/// a tensor by name). The single-tensor methods (<see cref="Run(ReadOnlySpan{float}, Span{float})"/>,
/// <see cref="Run(float[])"/>, <see cref="RunRaw(ReadOnlySpan{byte}, Span{byte})"/>) require a model with exactly one
/// input and one output and raise <see cref="InvalidOperationException"/> otherwise: taking tensor 0 of several would
/// leave the other inputs unset.</para>
/// </summary>
public sealed class InferenceSession : IDisposable
{
    private readonly object _gate = new();
    private int _inFlight;
    private readonly GraphExecutor _executor;
    /// <summary>The outputs as the running graph produces them: the model's own, or float32 under ForceFloat.</summary>
    private readonly TensorInfo[] _graphOutputs;
    /// <summary>The only output of a single-output model (<see cref="_graphOutputs"/>[0]; used by the single-tensor calls).</summary>
    private readonly TensorInfo _graphOutput;
    private volatile bool _disposed;

    public InferenceSession(Model model, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(model);
        Interop.NativeLibraryLoader.EnsureLoaded(); // libmna.so missing / other arch / other ABI: NativeLibraryException here
        Options = options ?? new SessionOptions();
        if (Options.Threads < 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.Threads, "Threads must be 0 (default) or positive");
        if (Options.MemoryLimitBytes < 0)
            throw new ArgumentOutOfRangeException(nameof(options), Options.MemoryLimitBytes, "MemoryLimitBytes must be 0 (default) or positive");
        var graph = model.GraphNoCopy.Clone();
        graph.Validate();
        var modelOutputs = graph.Outputs.Select(TensorInfo.From).ToList();
        if (Options.QuantizedInput)
        {
            QuantizedEntry.Apply(graph);
            graph.Validate();
        }
        if (Options.ForceFloat && QuantizedGraphConverter.IsQuantized(graph))
        {
            graph = QuantizedGraphConverter.ToFloat(graph);
            graph.Validate();
        }
        if (Options.Optimize)
            PassLog = GraphOptimizer.Optimize(graph);
        else
            PassLog = Array.Empty<(string, int)>();
        // Every planned allocation is checked before it is made (the graph as it will run, after the passes).
        MemoryBudget.CheckShapes(graph);
        long memoryLimit = Options.EffectiveMemoryLimitBytes;
        var memoryPlan = MemoryPlanner.Plan(graph);
        PlannedMemoryBytes = memoryPlan.PeakBytes + MemoryBudget.PackedWeightBytes(graph);
        MemoryBudget.Check(memoryPlan, MemoryBudget.PackedWeightBytes(graph), memoryLimit,
            Options.MemoryLimitBytes > 0 ? "SessionOptions.MemoryLimitBytes" : $"the default memory limit (SessionOptions.MemoryLimitBytes: {MemoryBudget.DefaultShare * 100:F0}% of the {MemoryBudget.AvailableBytes} bytes available)");
        Inputs = graph.Inputs.Select(v => TensorInfo.From(v) with
        {
            QuantizedOnEntry = QuantizedEntry.Of(graph, v) is { } q ? new TensorInfo(v.Name, (int[])v.Shape.Clone(), q.Type, q.Parameters) : null,
        }).ToList();
        Outputs = modelOutputs;
        _graphOutputs = graph.Outputs.Select(TensorInfo.From).ToArray();
        _graphOutput = _graphOutputs[0];
        foreach (var (t, isOutput) in Inputs.Select(t => (t, false)).Concat(Outputs.Concat(_graphOutputs).Select(t => (t, true))))
        {
            // An int32/int64 output holds indices (ARG_MAX: a segmentation mask); it has no quantization parameters.
            if (isOutput && t.DataType is DataType.Int32 or DataType.Int64)
                continue;
            if (t.DataType is not (DataType.Float32 or DataType.UInt8 or DataType.Int8)
                || (t.DataType != DataType.Float32 && (t.Quantization is null || t.Quantization.IsPerChannel)))
                throw new NotSupportedException($"tensor '{t.Name}' is {t.DataType}; sessions run float32 or per-tensor quantized uint8/int8 inputs and outputs, and int32/int64 index outputs");
        }
        Threads = Options.EffectiveThreads;
        string? cacheDir = null;
        if (Options.CalibrationCache)
            cacheDir = Options.CalibrationCacheDirectory ?? CalibrationCache.DefaultDirectory();
        var plan = BackendSelector.Select(graph, new SelectionOptions
        {
            Backend = Options.Backend,
            Strict = Options.Strict,
            Threads = Threads,
            CalibrationRuns = Options.CalibrationRuns,
            CacheDirectory = cacheDir,
            Backends = Options.Backends,
            Logger = Options.LoggerFactory?.CreateLogger("MobileNetAccel.Selection"),
        });
        _executor = new GraphExecutor(graph, plan, new CompileOptions { Threads = Threads, MemoryLimitBytes = memoryLimit, SharedThreadPool = Options.SharedThreadPool });
    }

    public SessionOptions Options { get; }
    /// <summary>Threads used by CPU backends.</summary>
    public int Threads { get; }
    public IReadOnlyList<TensorInfo> Inputs { get; }
    public IReadOnlyList<TensorInfo> Outputs { get; }
    /// <summary>Which backend and device runs each node of the (optimised) graph, the partitions with their measured
    /// cost, the host↔device transfers and why (<c>ToString()</c> prints it all).</summary>
    public PlacementReport Placement => _executor.Placement;
    /// <summary>The graph as it runs (after the passes). Do not modify it.</summary>
    public ModelGraph Graph => _executor.Graph;
    /// <summary>Rewrites made by each pass.</summary>
    public IReadOnlyList<(string Pass, int Rewrites)> PassLog { get; }
    /// <summary>Size of the activation arena in bytes (the planner's peak).</summary>
    public long ArenaBytes => _executor.ArenaBytes;
    /// <summary>What <see cref="SessionOptions.MemoryLimitBytes"/> is checked against: the activation arena plus the
    /// constant data of the optimised graph, which the backends pack once.</summary>
    public long PlannedMemoryBytes { get; }
    /// <summary>The arena plan (offsets and lifetimes).</summary>
    public MemoryPlan MemoryPlan => _executor.Plan;

    /// <summary>Most calls that run at once (one activation arena each); further concurrent callers wait.</summary>
    public int MaxConcurrentRuns => _executor.MaxArenas;

    private void Enter()
    {
        Interlocked.Increment(ref _inFlight);
        if (_disposed)
        {
            Exit();
            throw new ObjectDisposedException(nameof(InferenceSession));
        }
    }

    private void Exit()
    {
        if (Interlocked.Decrement(ref _inFlight) == 0 && _disposed)
            lock (_gate)
                Monitor.PulseAll(_gate);
    }

    /// <summary>Runs one inference: <paramref name="input"/> must hold exactly Inputs[0]'s elements and
    /// <paramref name="output"/> exactly Outputs[0]'s (an int32/int64 index output, e.g. ARG_MAX's mask, is given as
    /// floats; <see cref="RunRaw(ReadOnlySpan{byte}, Span{byte})"/> gives its own bytes). Allocates nothing for float models. Thread-safe.</summary>
    public void Run(ReadOnlySpan<float> input, Span<float> output)
    {
        RequireSingle();
        Enter();
        try
        {
            if (Inputs[0].DataType == DataType.Float32 && _graphOutput.DataType == DataType.Float32)
            {
                _executor.Run(input, output);
                return;
            }
            // Quantized inputs/outputs: real values are quantized in and dequantized out with the tensors' parameters.
            if (input.Length != Inputs[0].ElementCount)
                throw new ArgumentException($"input '{Inputs[0].Name}' needs {Inputs[0].ElementCount} values; got {input.Length}", nameof(input));
            if (output.Length != Outputs[0].ElementCount)
                throw new ArgumentException($"output '{Outputs[0].Name}' needs {Outputs[0].ElementCount} values; got {output.Length}", nameof(output));
            // buffers of this call only (pooled: no allocation once warm; a concurrent caller rents its own)
            int inCount = checked((int)(Inputs[0].ElementCount * Inputs[0].DataType.SizeInBytes()));
            int outCount = checked((int)(_graphOutput.ElementCount * _graphOutput.DataType.SizeInBytes()));
            byte[] inRented = System.Buffers.ArrayPool<byte>.Shared.Rent(inCount);
            byte[] outRented = System.Buffers.ArrayPool<byte>.Shared.Rent(outCount);
            try
            {
                RunQuantized(input, output, inRented.AsSpan(0, inCount), outRented.AsSpan(0, outCount));
            }
            finally
            {
                System.Buffers.ArrayPool<byte>.Shared.Return(inRented);
                System.Buffers.ArrayPool<byte>.Shared.Return(outRented);
            }
        }
        finally
        {
            Exit();
        }
    }

    private void RunQuantized(ReadOnlySpan<float> input, Span<float> output, Span<byte> inBytes, Span<byte> outBytes)
    {
        if (Inputs[0].DataType == DataType.Float32)
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(input).CopyTo(inBytes);
        else
            Interop.NativeQuantKernels.Quantize(QType(Inputs[0].DataType), Inputs[0].Quantization!.Scale, (int)Inputs[0].Quantization!.ZeroPoint, input, inBytes);
        _executor.RunRaw(inBytes, outBytes);
        if (_graphOutput.DataType == DataType.Float32)
            System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(outBytes).CopyTo(output);
        else if (_graphOutput.DataType == DataType.Int64)
        {
            var ids = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, long>(outBytes);
            for (int i = 0; i < ids.Length; i++)
                output[i] = ids[i];
        }
        else if (_graphOutput.DataType == DataType.Int32)
        {
            var ids = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, int>(outBytes);
            for (int i = 0; i < ids.Length; i++)
                output[i] = ids[i];
        }
        else
            Interop.NativeQuantKernels.Dequantize(QType(Outputs[0].DataType), Outputs[0].Quantization!.Scale, (int)Outputs[0].Quantization!.ZeroPoint, outBytes, output);
    }

    private static Interop.QuantizedType QType(DataType t) => t == DataType.Int8 ? Interop.QuantizedType.Int8 : Interop.QuantizedType.UInt8;

    /// <summary>Times every node (or, for a backend that cannot time its nodes one by one, every partition) over
    /// <paramref name="warmup"/> untimed and <paramref name="runs"/> timed runs on <paramref name="input"/> (raw bytes
    /// in the graph input's dtype, as <see cref="RunRaw(ReadOnlySpan{byte}, Span{byte})"/> takes; null = zeros; the model must have one input). For `mobilenet bench --profile`.</summary>
    public ProfileReport Profile(int runs = 20, int warmup = 3, byte[]? input = null)
    {
        Enter();
        try
        {
            var x = input ?? new byte[_executor.Graph.Inputs[0].SizeInBytes];
            return _executor.Profile(x, runs, warmup);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Runs one inference on raw little-endian bytes in the model's own input/output types and layouts
    /// (e.g. uint8 NHWC in, uint8 [1,1001] out for a quantized TFLite MobileNet). Under
    /// <see cref="SessionOptions.ForceFloat"/> the float output is quantized back to the model's output type here.
    /// The model must have exactly one input and one output.</summary>
    public void RunRaw(ReadOnlySpan<byte> input, Span<byte> output)
    {
        RequireSingle();
        Enter();
        try
        {
            var own = Outputs[0];
            if (_graphOutput.DataType == own.DataType)
            {
                _executor.RunRaw(input, output);
                return;
            }
            long need = own.ElementCount * own.DataType.SizeInBytes();
            if (output.Length != need)
                throw new ArgumentException($"output '{own.Name}' {Value.FormatShape(own.Shape)} {own.DataType} needs {need} bytes; got {output.Length}", nameof(output));
            var floatOutput = new float[_graphOutput.ElementCount]; // per call: calls may overlap
            _executor.RunRaw(input, System.Runtime.InteropServices.MemoryMarshal.AsBytes(floatOutput.AsSpan()));
            Interop.NativeQuantKernels.Quantize(QType(own.DataType), own.Quantization!.Scale, (int)own.Quantization!.ZeroPoint, floatOutput, output);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Runs one inference of a model with any number of inputs and outputs, on raw little-endian bytes in the
    /// model's own types: <paramref name="inputs"/> in the order of <see cref="Inputs"/>, <paramref name="outputs"/> in
    /// the order of <see cref="Outputs"/>, each exactly its tensor's bytes (<see cref="TensorInfo.ElementCount"/> ×
    /// the dtype's size). Under <see cref="SessionOptions.ForceFloat"/> a float output of the running graph is
    /// quantized back to the model's type here. Thread-safe, like the single-tensor calls.</summary>
    public void RunRaw(IReadOnlyList<ReadOnlyMemory<byte>> inputs, IReadOnlyList<Memory<byte>> outputs)
    {
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(outputs);
        if (outputs.Count != Outputs.Count)
            throw new ArgumentException($"the model has {Outputs.Count} outputs; got {outputs.Count} buffers", nameof(outputs));
        Enter();
        try
        {
            bool same = true;
            for (int i = 0; i < Outputs.Count; i++)
                same &= _graphOutputs[i].DataType == Outputs[i].DataType;
            if (same)
            {
                _executor.RunRaw(inputs, outputs);
                return;
            }
            var graphOut = new Memory<byte>[Outputs.Count];
            for (int i = 0; i < Outputs.Count; i++)
            {
                if (_graphOutputs[i].DataType == Outputs[i].DataType)
                {
                    graphOut[i] = outputs[i];
                    continue;
                }
                var own = Outputs[i];
                long need = own.ElementCount * own.DataType.SizeInBytes();
                if (outputs[i].Length != need)
                    throw new ArgumentException($"output {i} '{own.Name}' {Value.FormatShape(own.Shape)} {own.DataType} needs {need} bytes; got {outputs[i].Length}", nameof(outputs));
                graphOut[i] = new byte[_graphOutputs[i].ElementCount * _graphOutputs[i].DataType.SizeInBytes()]; // per call: calls may overlap
            }
            _executor.RunRaw(inputs, graphOut);
            for (int i = 0; i < Outputs.Count; i++)
                if (_graphOutputs[i].DataType != Outputs[i].DataType)
                {
                    var own = Outputs[i];
                    Interop.NativeQuantKernels.Quantize(QType(own.DataType), own.Quantization!.Scale, (int)own.Quantization!.ZeroPoint,
                        System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(graphOut[i].Span), outputs[i].Span);
                }
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Position of the input named <paramref name="name"/> in <see cref="Inputs"/> (the order
    /// <see cref="RunRaw(IReadOnlyList{ReadOnlyMemory{byte}}, IReadOnlyList{Memory{byte}})"/> takes);
    /// <see cref="ArgumentException"/> listing the names when there is none.</summary>
    public int InputIndex(string name) => IndexOf(Inputs, name, "input");

    /// <summary>Position of the output named <paramref name="name"/> in <see cref="Outputs"/>;
    /// <see cref="ArgumentException"/> listing the names when there is none.</summary>
    public int OutputIndex(string name) => IndexOf(Outputs, name, "output");

    private static int IndexOf(IReadOnlyList<TensorInfo> tensors, string name, string role)
    {
        ArgumentNullException.ThrowIfNull(name);
        for (int i = 0; i < tensors.Count; i++)
            if (string.Equals(tensors[i].Name, name, StringComparison.Ordinal))
                return i;
        throw new ArgumentException($"the model has no {role} named '{name}' (its {role}s: {string.Join(", ", tensors.Select(t => $"'{t.Name}'"))})", nameof(name));
    }

    /// <summary>The single-tensor calls need a model with one input and one output.</summary>
    private void RequireSingle()
    {
        if (Inputs.Count != 1 || Outputs.Count != 1)
            throw new InvalidOperationException($"the model has {Inputs.Count} inputs and {Outputs.Count} outputs; the single-tensor Run/RunRaw need one of each: use RunRaw(IReadOnlyList<ReadOnlyMemory<byte>>, IReadOnlyList<Memory<byte>>)");
    }

    /// <summary>Convenience overload: returns a new array with the output.</summary>
    public float[] Run(float[] input)
    {
        ArgumentNullException.ThrowIfNull(input);
        RequireSingle();
        var output = new float[Outputs[0].ElementCount];
        Run(input, output);
        return output;
    }

    /// <summary>Frees the session's native memory after the calls in flight have finished. Idempotent.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
                return;
            _disposed = true;
            // Dekker handshake with Enter (increment _inFlight, then read _disposed): without a full fence here the
            // store of _disposed can pass the load of _inFlight (x86 store buffer), so both sides would see the
            // other's old value and a call would run on the disposed executor (seen: a test-host crash).
            Interlocked.MemoryBarrier();
            while (Volatile.Read(ref _inFlight) > 0)
                Monitor.Wait(_gate, 10);
            _executor.Dispose();
        }
    }
}
