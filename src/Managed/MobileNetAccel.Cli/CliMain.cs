namespace MobileNetAccel.Cli;

internal static class CliMain
{
    public static int Run(string[] args)
    {
        MobileNetAccel.Vulkan.VulkanBackend.Register();
        Console.WriteLine($"mobilenet: native {MobileNetAccel.Interop.NativeKernels.Version}, cpu {MobileNetAccel.Interop.NativeKernels.CpuFeatures}");
        return 0;
    }
}
