namespace MobileNetAccel;

/// <summary>Options of an <see cref="InferenceSession"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>Intra-op threads of CPU backends. 0 (the default) = the physical cores this process may use
    /// (<see cref="MobileNetAccel.Backends.CpuInfo.PhysicalCores"/>: distinct cores of /proc/cpuinfo on Linux, capped by
    /// <see cref="Environment.ProcessorCount"/>, which .NET derives from the process's CPU affinity mask and its cgroup
    /// CPU quota; <see cref="Environment.ProcessorCount"/> elsewhere).</summary>
    public int Threads { get; set; }

    /// <summary>Which backend runs the graph: "cpu" (native C kernels, the default), "managed" (C# reference), a backend
    /// registered through <see cref="Backends.BackendRegistry"/> ("ilgpu-cuda", "vulkan") or one of its device ids
    /// ("vulkan:1"); a comma-separated list in order of preference ("ilgpu-cuda,cpu"); or "auto": partition the graph
    /// by what each device supports and choose per partition from a short calibration (see
    /// <see cref="Execution.BackendSelector"/>). The default stays "cpu" so that a plain session never spends time
    /// calibrating and behaves the same on every machine; ask for "auto" to let the library choose.</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>Fail (NotSupportedException naming the node/backend) instead of falling back when a requested backend
    /// cannot run a node or has no device. Not strict (the default): the fallback is logged as a warning and written
    /// into <see cref="InferenceSession.Placement"/>.</summary>
    public bool Strict { get; set; }

    /// <summary>Timed runs per candidate when "auto" calibrates (after one warm-up run). Default 3.</summary>
    public int CalibrationRuns { get; set; } = 3;

    /// <summary>Keep "auto" calibration results on disk (per device and model shape). Default true; the environment
    /// variable MNA_CALIBRATION_CACHE=off also disables it.</summary>
    public bool CalibrationCache { get; set; } = true;

    /// <summary>Directory of the calibration cache; null = MNA_CALIBRATION_CACHE, else $XDG_CACHE_HOME/mobilenetaccel,
    /// else ~/.cache/mobilenetaccel.</summary>
    public string? CalibrationCacheDirectory { get; set; }

    /// <summary>Where selection decisions and fallbacks are logged (warnings for fallbacks); default none.</summary>
    public Microsoft.Extensions.Logging.ILoggerFactory? LoggerFactory { get; set; }

    /// <summary>The backends to choose among instead of <see cref="Backends.BackendRegistry.All"/> (embedding, tests).</summary>
    public IReadOnlyList<Backends.IBackend>? Backends { get; set; }

    /// <summary>Run the graph passes (batch-norm folding, activation and inverted-residual fusion, dead-node and
    /// identity-reshape removal) before planning. Default true.</summary>
    public bool Optimize { get; set; } = true;

    /// <summary>For a model whose float input is quantized on entry (see <see cref="TensorInfo.QuantizedOnEntry"/>):
    /// the session takes that quantized tensor instead (uint8/int8 bytes in the input's own layout, through
    /// <see cref="InferenceSession.RunRaw(ReadOnlySpan{byte}, Span{byte})"/>; <see cref="InferenceSession.Run(float[])"/> then quantizes with those
    /// parameters). Inputs not quantized on entry are unchanged.</summary>
    public bool QuantizedInput { get; set; }

    /// <summary>For quantized (uint8/int8) models: run on the float32 kernels instead of the integer path — weights
    /// are dequantized once when the session is created, the input is dequantized from its quantization parameters;
    /// <c>Run(float…)</c> returns the float output at full precision and <c>RunRaw</c> quantizes it back to the model's
    /// own type (see <see cref="Graph.QuantizedGraphConverter"/>).
    /// Default false: quantized models run with integer arithmetic. No effect on float models.</summary>
    public bool ForceFloat { get; set; }

    /// <summary>Most memory a session may plan: its activation arena plus the weights packed for the kernels. 0 (the
    /// default) = <see cref="Execution.MemoryBudget.DefaultLimitBytes"/> (75% of the physical memory or of the cgroup
    /// limit, whichever the process has); <see cref="long.MaxValue"/> = no limit. Checked when the session is created,
    /// before anything large is allocated: a model that does not fit raises <see cref="Execution.MemoryLimitException"/>
    /// naming the largest tensor, its shape and the bytes.</summary>
    public long MemoryLimitBytes { get; set; }

    /// <summary>Run the CPU kernels on the process-wide worker pool of <see cref="Threads"/> threads that every session
    /// with that thread count shares (default true): N sessions start <c>Threads - 1</c> workers in all, and a session
    /// whose parallel region finds the pool busy runs it on its calling thread instead of adding threads that would
    /// compete for the same cores. False: the session gets a pool of its own.</summary>
    public bool SharedThreadPool { get; set; } = true;

    /// <summary>The memory limit actually used.</summary>
    public long EffectiveMemoryLimitBytes => MemoryLimitBytes > 0 ? MemoryLimitBytes : Execution.MemoryBudget.DefaultLimitBytes;

    /// <summary>The thread count actually used.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : MobileNetAccel.Backends.CpuInfo.PhysicalCores;
}
