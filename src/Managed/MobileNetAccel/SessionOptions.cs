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

    /// <summary>The thread count actually used.</summary>
    public int EffectiveThreads => Threads > 0 ? Threads : Execution.CpuInfo.PhysicalCores;
}
