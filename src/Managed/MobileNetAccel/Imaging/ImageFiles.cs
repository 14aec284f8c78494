namespace MobileNetAccel.Imaging;

/// <summary>Files and folders of photographs: what <c>mobilenet classify</c> and <c>mobilenet segment</c> take.</summary>
public static class ImageFiles
{
    /// <summary>The extensions a folder is searched for (case-insensitive).</summary>
    public static IReadOnlyList<string> Extensions { get; } = new[] { ".jpg", ".jpeg", ".png", ".bmp" };

    /// <summary>Whether <paramref name="path"/> ends in one of <see cref="Extensions"/>.</summary>
    public static bool HasImageExtension(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        string ext = Path.GetExtension(path);
        return Extensions.Any(e => string.Equals(e, ext, StringComparison.OrdinalIgnoreCase));
    }

    /// <summary>The files named by <paramref name="paths"/>, in order: a file as it is (whatever its extension); a
    /// folder's files with an image extension, recursively, sorted by path (ordinal); a path that is neither as it is,
    /// so that processing it reports it. Lazy: each folder is listed when it is reached.</summary>
    public static IEnumerable<string> Expand(IEnumerable<string> paths)
    {
        ArgumentNullException.ThrowIfNull(paths);
        foreach (var path in paths)
        {
            if (!Directory.Exists(path))
            {
                yield return path;
                continue;
            }
            var files = Directory.EnumerateFiles(path, "*", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true })
                .Where(HasImageExtension).ToList();
            files.Sort(StringComparer.Ordinal);
            foreach (var f in files)
                yield return f;
        }
    }

    /// <summary>Whether <paramref name="e"/> is a problem of one image file (it cannot be read or decoded) rather than
    /// of the model or the run: <see cref="ImageFormatException"/>, <see cref="IOException"/>,
    /// <see cref="UnauthorizedAccessException"/>.</summary>
    public static bool IsFileProblem(Exception e) => e is ImageFormatException or IOException or UnauthorizedAccessException;

    /// <summary>Runs <paramref name="process"/> on every file of <see cref="Expand"/>(<paramref name="paths"/>), one at
    /// a time, as they are listed. A file that cannot be read or decoded (<see cref="IsFileProblem"/>) goes to
    /// <paramref name="onFailure"/> and is skipped; any other exception ends the run. Returns how many succeeded and failed.</summary>
    public static (int Succeeded, int Failed) ForEach(IEnumerable<string> paths, Action<string> process, Action<string, Exception> onFailure)
    {
        ArgumentNullException.ThrowIfNull(process);
        ArgumentNullException.ThrowIfNull(onFailure);
        int ok = 0, failed = 0;
        foreach (var file in Expand(paths))
        {
            try
            {
                process(file);
                ok++;
            }
            catch (Exception e) when (IsFileProblem(e))
            {
                failed++;
                onFailure(file, e);
            }
        }
        return (ok, failed);
    }
}
