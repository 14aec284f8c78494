using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;

namespace MobileNetAccel.Execution;

/// <summary>
/// The backends known by name: the built-in ones ("cpu" = native C kernels, "managed" = the C# reference) and any
/// registered through <see cref="BackendRegistry"/>. This is the one place a backend name is resolved.
/// </summary>
public static class BackendCatalog
{
    /// <summary>Names of the built-in backends.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = new[] { NativeCpuBackend.BackendName, ReferenceBackend.BackendName };

    /// <summary>All available backends: built-in first, then registered ones.</summary>
    public static IReadOnlyList<IBackend> All()
    {
        var list = new List<IBackend> { new NativeCpuBackend(), new ReferenceBackend() };
        list.AddRange(BackendRegistry.Registered());
        return list;
    }

    /// <summary>The backend named <paramref name="name"/> (case-insensitive); an <see cref="ArgumentException"/>
    /// listing the available names when there is none.</summary>
    public static IBackend Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        if (string.Equals(name, NativeCpuBackend.BackendName, StringComparison.OrdinalIgnoreCase))
            return new NativeCpuBackend();
        if (string.Equals(name, ReferenceBackend.BackendName, StringComparison.OrdinalIgnoreCase))
            return new ReferenceBackend();
        var registered = BackendRegistry.Registered();
        foreach (var b in registered)
            if (string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
                return b;
        var names = BuiltIn.Concat(registered.Select(b => b.Name)).Distinct();
        throw new ArgumentException($"unknown backend '{name}'; available: {string.Join(", ", names)}", nameof(name));
    }
}
