namespace MobileNetAccel.Cli;

internal static class CliMain
{
    public static int Run(string[] args)
    {
        GpuBackends.Register();
        Console.WriteLine($"mobilenet: native {MobileNetAccel.Interop.NativeKernels.Version}, cpu {MobileNetAccel.Interop.NativeKernels.CpuFeatures}");
        Console.WriteLine(GpuBackends.Summary);
        return 0;
    }
}
