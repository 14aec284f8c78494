using NUnit.Framework;

namespace MobileNetAccel.Tests;

/// <summary>
/// Locates the shared test data (../shared beside the checkout: models/, images/). Set MNA_SHARED to override.
/// A missing file fails the test when CI=true and is reported as ignored otherwise.
/// </summary>
public static class TestData
{
    private static readonly Lazy<string?> RootLazy = new(FindRoot);

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The shared folder, or null when it cannot be found.</summary>
    public static string? Root => RootLazy.Value;

    private static string? FindRoot()
    {
        string? env = Environment.GetEnvironmentVariable("MNA_SHARED");
        if (!string.IsNullOrEmpty(env))
            return Directory.Exists(env) ? Path.GetFullPath(env) : null;
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "shared");
            if (Directory.Exists(Path.Combine(candidate, "models")))
                return candidate;
        }
        return null;
    }

    /// <summary>Full path of a file under the shared folder (e.g. "models/onnx/x.onnx"); fails (CI) or ignores the test when absent.</summary>
    public static string Require(string relative)
    {
        string? root = Root;
        string? path = root is null ? null : Path.Combine(root, relative);
        if (path is not null && (File.Exists(path) || Directory.Exists(path)))
            return path;
        string message = root is null
            ? $"shared test data not found (looked for a 'shared' folder beside an ancestor of {AppContext.BaseDirectory}; set MNA_SHARED)"
            : $"shared test data file missing: {path}";
        if (IsCi)
            Assert.Fail(message);
        else
            Assert.Ignore(message);
        throw new InvalidOperationException(message); // unreachable: Assert.Fail/Ignore throw
    }
}
