using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;
using MobileNetAccel.Conformance;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Conformance;

/// <summary>The native CPU backend ("cpu", C kernels of the auto-selected ISA table) on the conformance tables.</summary>
[TestFixture]
public sealed class NativeCpuConformance : BackendConformance
{
    private static readonly IBackend Native = new NativeCpuBackend();
    protected override IBackend Backend => Native;
}

/// <summary>The managed reference backend ("managed") against the independent naive oracle.</summary>
[TestFixture]
public sealed class ManagedReferenceConformance : BackendConformance
{
    private static readonly IBackend Managed = new ReferenceBackend();
    protected override IBackend Backend => Managed;
}
