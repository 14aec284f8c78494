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
        SegmentCommand.Create(),
        DetectCommand.Create(),
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
        // No exception reaches the user as a stack trace: a command's own handler reports what it expects (exit 2);
        // anything else is one line naming the problem here (exit 1 for a bad input or limit, 3 for an internal error).
        try
        {
            return root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e)
        {
            return Report(e);
        }
    }

    internal static int Report(Exception e)
    {
        switch (e)
        {
            case MobileNetAccel.Execution.MemoryLimitException or MobileNetAccel.Formats.ModelFormatException
                or MobileNetAccel.Imaging.ImageFormatException or MobileNetAccel.Graph.GraphException
                or IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or InvalidDataException:
                Console.Error.WriteLine($"mobilenet: {e.Message}");
                return 2;
            case OutOfMemoryException:
                Console.Error.WriteLine($"mobilenet: out of memory ({e.Message}); use a smaller batch or input size");
                return 2;
            default:
                Console.Error.WriteLine($"mobilenet: internal error ({e.GetType().Name}): {e.Message}");
                // MNA_TRACE=1: the whole exception with its stack, for a bug report
                if (Environment.GetEnvironmentVariable("MNA_TRACE") == "1")
                    Console.Error.WriteLine(e.ToString());
                return 3;
        }
    }
}
