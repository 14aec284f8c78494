using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>Runs a graph as it was read (no passes) on the native CPU backend only (strict: a node it cannot run is an
/// error), raw bytes in the model's own dtype in and out — the integer path without the session's optimisations.</summary>
internal static class IntegerRunner
{
    public static GraphExecutor Create(ModelGraph graph) => new(graph, new NativeCpuBackend(), new CompileOptions());

    public static byte[] Run(ModelGraph graph, ReadOnlySpan<byte> input)
    {
        using var executor = Create(graph);
        var output = new byte[graph.Outputs[0].SizeInBytes];
        executor.RunRaw(input, output);
        return output;
    }
}
