using System.CommandLine;
using MobileNetAccel.Cli.Commands;

namespace MobileNetAccel.Cli;

internal static class CliMain
{
    /// <summary>The commands of the tool: one line per command (each lives in Commands/).</summary>
    private static Command[] Commands() =>
    [
        InfoCommand.Create(),
        BenchCommand.Create(),
        ClassifyCommand.Create(),
        RunCommand.Create(),
        DevicesCommand.Create(),
        CompareCommand.Create(),
    ];

    public static int Run(string[] args)
    {
        MobileNetAccel.Vulkan.VulkanBackend.Register();
        GpuBackends.Register();
        if (GpuBackends.CheckArguments(args) is { } unavailable)
        {
            Console.Error.WriteLine($"mobilenet: {unavailable}");
            return 2;
        }
        var root = new RootCommand("mobilenet: MobileNet V1/V2 inference on native CPU kernels (MobileNetAccel)");
        foreach (var command in Commands())
            root.Subcommands.Add(command);
        return root.Parse(args).Invoke();
    }
}
