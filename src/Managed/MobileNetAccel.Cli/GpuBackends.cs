namespace MobileNetAccel.Cli;

/// <summary>
/// Registers the GPU backends that this build of the CLI contains. The ILGPU backend is compiled in only when
/// MNA_ILGPU is defined (every build but the native-AOT publish: ILGPU generates code at run time, which native AOT
/// cannot do).
/// </summary>
internal static class GpuBackends
{
#if MNA_ILGPU
    public const bool IlgpuIncluded = true;
#else
    public const bool IlgpuIncluded = false;
#endif

    /// <summary>Call once at start-up.</summary>
    public static void Register()
    {
#if MNA_ILGPU
        MobileNetAccel.Ilgpu.IlgpuBackend.Register();
#endif
    }

    /// <summary>Why <paramref name="backend"/> cannot be used in this build, or null when nothing stands in the way.</summary>
    public static string? Unavailable(string backend) =>
        !IlgpuIncluded && backend.StartsWith("ilgpu", StringComparison.OrdinalIgnoreCase)
            ? $"backend '{backend}': the ILGPU GPU backends (ilgpu, ilgpu-cuda, ilgpu-opencl, ilgpu-cpu) are unavailable in this build " +
              "(native AOT: ILGPU compiles kernels at run time); use the JIT build of mobilenet (dotnet run, or the GpuBundle archive)"
            : null;

    /// <summary>The message for a <c>--backend</c> argument that names a backend this build lacks, or null.</summary>
    public static string? CheckArguments(string[] args)
    {
        for (int i = 0; i < args.Length; i++)
        {
            string? value = args[i] == "--backend" && i + 1 < args.Length ? args[i + 1]
                : args[i].StartsWith("--backend=", StringComparison.Ordinal) ? args[i]["--backend=".Length..] : null;
            if (value is not null && Unavailable(value) is { } why)
                return why;
        }
        return null;
    }

    /// <summary>One line for `mobilenet` banners and help.</summary>
    public static string Summary => IlgpuIncluded
        ? "GPU backends via ILGPU: ilgpu, ilgpu-cuda, ilgpu-opencl, ilgpu-cpu"
        : "GPU backends via ILGPU: unavailable in this (native-AOT) build";
}
