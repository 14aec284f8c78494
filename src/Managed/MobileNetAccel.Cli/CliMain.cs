namespace MobileNetAccel.Cli;

internal static class CliMain
{
    public static int Run(string[] args)
    {
        Console.WriteLine($"mobilenet: native {MobileNetAccel.Interop.NativeKernels.Version}, cpu {MobileNetAccel.Interop.NativeKernels.CpuFeatures}");
        return 0;
    }
}
