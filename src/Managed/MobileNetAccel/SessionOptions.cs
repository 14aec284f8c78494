namespace MobileNetAccel;

/// <summary>Options of an <see cref="InferenceSession"/>.</summary>
public sealed class SessionOptions
{
    /// <summary>Intra-op threads of CPU backends. 0 (the default) = the machine's physical cores
    /// (<see cref="Execution.CpuInfo.PhysicalCores"/>: distinct cores of /proc/cpuinfo on Linux,
    /// <see cref="Environment.ProcessorCount"/> elsewhere).</summary>
    public int Threads { get; set; }

    /// <summary>Backend name: "cpu" (native C kernels, the default), "managed" (C# reference), or one registered
    /// through <see cref="Execution.BackendRegistry"/>.</summary>
    public string Backend { get; set; } = "cpu";

    /// <summary>Run the graph passes (batch-norm folding, activation and inverted-residual fusion, dead-node and
    /// identity-reshape removal) before planning. Default true.</summary>
    public bool Optimize { get; set; } = true;

    /// <summary>For quantized (uint8/int8) models: run on the float32 kernels instead of the integer path — weights
    /// are dequantized once when the session is created, the input is dequantized from its quantization parameters;
    /// <c>Run(float…)</c> returns the float output at full precision and <c>RunRaw</c> quantizes it back to the model's
    /// own type (see <see cref="Graph.QuantizedGraphConverter"/>).
    /// Default false: quantized models run with integer arithmetic. No effect on float models.</summary>
    public bool ForceFloat { get; set; }

    /// <summary>The thread count actually used.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Execution.CpuInfo.PhysicalCores;
}
