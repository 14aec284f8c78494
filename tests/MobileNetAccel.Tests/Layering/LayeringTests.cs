using System.Reflection;
using MobileNetAccel.Backends;
using NetArchTest.Rules;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Layering;

/// <summary>
/// The layering of docs/ARCHITECTURE.md, checked on the compiled assemblies (every type reference, including those in
/// method bodies, read by NetArchTest through Mono.Cecil). A failure names the offending types.
/// </summary>
[TestFixture]
public class LayeringTests
{
    private static readonly Assembly Core = typeof(IBackend).Assembly;
    private static readonly Assembly Vulkan = typeof(MobileNetAccel.Vulkan.VulkanBackend).Assembly;
    private static readonly Assembly Ilgpu = typeof(MobileNetAccel.Ilgpu.IlgpuBackend).Assembly;

    private const string Graph = "MobileNetAccel.Graph";
    private const string Models = "MobileNetAccel.Models";
    private const string Interop = "MobileNetAccel.Interop";
    private const string Backends = "MobileNetAccel.Backends";
    private const string Execution = "MobileNetAccel.Execution";
    private const string Formats = "MobileNetAccel.Formats";
    private static readonly string[] ConcreteBackends =
        { "MobileNetAccel.Backends.Native", "MobileNetAccel.Backends.Reference", "MobileNetAccel.Vulkan", "MobileNetAccel.Ilgpu" };

    private static void Check(TestResult result, string rule)
    {
        var failing = result.FailingTypeNames ?? Array.Empty<string>();
        Assert.That(result.IsSuccessful, Is.True, $"{rule}; offending types: {string.Join(", ", failing)}");
    }

    [Test]
    public void GraphKnowsNoHardwareNoBackendNoExecutorAndNoFileFormat() => Check(
        Types.InAssembly(Core).That().ResideInNamespace(Graph)
            .ShouldNot().HaveDependencyOnAny(Interop, Backends, Execution, Formats).GetResult(),
        "Graph must not reference Interop, Backends, Execution or Formats");

    [Test]
    public void ModelBuildersUseOnlyTheGraph() => Check(
        Types.InAssembly(Core).That().ResideInNamespace(Models)
            .ShouldNot().HaveDependencyOnAny(Interop, Backends, Execution, Formats).GetResult(),
        "Models must not reference Interop, Backends, Execution or Formats");

    [Test]
    public void BackendsDependOnTheContractNotOnTheExecutorOrFormats([Values("core", "vulkan", "ilgpu")] string assembly)
    {
        var types = assembly switch { "core" => Types.InAssembly(Core).That().ResideInNamespace(Backends), "vulkan" => Types.InAssembly(Vulkan).That().ResideInNamespace("MobileNetAccel"), _ => Types.InAssembly(Ilgpu).That().ResideInNamespace("MobileNetAccel") };
        Check(types.ShouldNot().HaveDependencyOnAny(Execution, Formats).GetResult(), $"backends ({assembly}) must not reference Execution or Formats");
    }

    [Test]
    public void TheBackendContractNamesNoConcreteBackendButTheBuiltInList()
    {
        // The contract (namespace MobileNetAccel.Backends itself) may name the built-ins only where it lists them.
        var result = Types.InAssembly(Core).That().ResideInNamespace(Backends)
            .And().DoNotResideInNamespace(Backends + ".Native").And().DoNotResideInNamespace(Backends + ".Reference")
            .And().DoNotHaveName("BuiltInBackends")
            .ShouldNot().HaveDependencyOnAny(ConcreteBackends).GetResult();
        Check(result, "the backend contract must not reference a concrete backend (only BuiltInBackends lists the built-ins)");
    }

    [Test]
    public void ExecutionUsesTheContractOnly() => Check(
        Types.InAssembly(Core).That().ResideInNamespace(Execution)
            .ShouldNot().HaveDependencyOnAny(ConcreteBackends.Append(Formats).ToArray()).GetResult(),
        "Execution must not reference a concrete backend or Formats");

    [Test]
    public void InteropIsTheBottomLayer() => Check(
        Types.InAssembly(Core).That().ResideInNamespace(Interop)
            .ShouldNot().HaveDependencyOnAny(Graph, Backends, Execution, Formats).GetResult(),
        "Interop (the P/Invoke layer) must not reference Graph, Backends, Execution or Formats");

    [Test]
    public void TheCoreAssemblyDoesNotReferenceIlgpuOrSilk()
    {
        var names = Core.GetReferencedAssemblies().Select(a => a.Name ?? "").ToList();
        Assert.That(names.Where(n => n.StartsWith("ILGPU", StringComparison.Ordinal) || n.StartsWith("Silk.NET", StringComparison.Ordinal)), Is.Empty,
            $"the AOT-clean core references {string.Join(", ", names)}");
        Check(Types.InAssembly(Core).ShouldNot().HaveDependencyOnAny("ILGPU", "Silk.NET").GetResult(), "the core must not reference ILGPU or Silk.NET types");
    }

    [Test]
    public void NoLibraryAssemblyReferencesTheCliOrTheConsole([Values("core", "vulkan", "ilgpu")] string assembly)
    {
        var a = assembly switch { "core" => Core, "vulkan" => Vulkan, _ => Ilgpu };
        var names = a.GetReferencedAssemblies().Select(r => r.Name ?? "").ToList();
        Assert.That(names, Has.None.StartsWith("MobileNetAccel.Cli"), $"{a.GetName().Name} references {string.Join(", ", names)}");
        Assert.That(names, Has.None.StartsWith("Spectre.Console").And.None.StartsWith("System.CommandLine"));
        Check(Types.InAssembly(a).ShouldNot().HaveDependencyOn("System.Console").GetResult(), $"{a.GetName().Name} must not write to the console");
    }

    [Test]
    public void TheRulesSeeViolations()
    {
        // The checker itself must see dependencies that do exist.
        var native = Types.InAssembly(Core).That().ResideInNamespace(Backends + ".Native").And().HaveName("Conv2DStep")
            .ShouldNot().HaveDependencyOn(Interop).GetResult();
        Assert.That(native.IsSuccessful, Is.False, "the dependency checker must see Conv2DStep's calls into Interop.NativeKernels (a method-body reference)");
        var executor = Types.InAssembly(Core).That().HaveName("GraphExecutor").ShouldNot().HaveDependencyOn(Backends).GetResult();
        Assert.That(executor.IsSuccessful, Is.False, "the dependency checker must see GraphExecutor's use of the backend contract");
    }
}
