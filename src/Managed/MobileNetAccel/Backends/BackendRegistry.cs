namespace MobileNetAccel.Backends;

/// <summary>
/// Every backend the library can use. The built-in ones (native CPU, managed reference) are registered here by
/// <see cref="BuiltInBackends"/>; backends in other assemblies (ILGPU, Vulkan) register when the application calls
/// their <c>Register()</c> (no reflection-based discovery). This is the one place a backend name is resolved.
/// </summary>
public static class BackendRegistry
{
    private static readonly object Gate = new();
    private static readonly List<Func<IEnumerable<IBackend>>> Factories = new() { BuiltInBackends.Create };

    /// <summary>Registers a factory producing backends (called lazily, may return none when no device is present).</summary>
    public static void Register(Func<IEnumerable<IBackend>> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        lock (Gate)
            Factories.Add(factory);
    }

    /// <summary>All backends (fresh instances), by <see cref="IBackend.Priority"/>, higher first, then registration order.</summary>
    public static IReadOnlyList<IBackend> All()
    {
        List<Func<IEnumerable<IBackend>>> copy;
        lock (Gate)
            copy = Factories.ToList();
        return copy.SelectMany(f => f()).OrderByDescending(b => b.Priority).ToList();
    }

    /// <summary>The backend named <paramref name="name"/> (case-insensitive); an <see cref="ArgumentException"/>
    /// listing the available names when there is none.</summary>
    public static IBackend Get(string name)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        var all = All();
        return Find(all, name)
            ?? throw new ArgumentException($"unknown backend '{name}'; available: {string.Join(", ", all.Select(b => b.Name).Distinct())}", nameof(name));
    }

    /// <summary>The first of <paramref name="backends"/> named <paramref name="name"/> (case-insensitive), or null.</summary>
    public static IBackend? Find(IEnumerable<IBackend> backends, string name)
    {
        ArgumentNullException.ThrowIfNull(backends);
        foreach (var b in backends)
            if (string.Equals(b.Name, name, StringComparison.OrdinalIgnoreCase))
                return b;
        return null;
    }
}
