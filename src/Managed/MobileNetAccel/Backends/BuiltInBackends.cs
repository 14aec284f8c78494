using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;

namespace MobileNetAccel.Backends;

/// <summary>The backends of the core assembly, registered in <see cref="BackendRegistry"/> like any other.</summary>
internal static class BuiltInBackends
{
    public static IEnumerable<IBackend> Create() => new IBackend[] { new NativeCpuBackend(), new ReferenceBackend() };
}
