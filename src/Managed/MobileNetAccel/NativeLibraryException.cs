namespace MobileNetAccel;

/// <summary>
/// The native kernel library (libmna.so) cannot be used: it is missing, built for another architecture, or of another
/// ABI version than this assembly. Thrown by <see cref="InferenceSession"/>'s constructor (and by any native call);
/// the message names the library, the runtime identifier, every path tried and the loader's own message.
/// </summary>
public sealed class NativeLibraryException : Exception
{
    public NativeLibraryException(string message, string libraryName, string runtimeIdentifier, IReadOnlyList<string> pathsTried, Exception? innerException)
        : base(message, innerException)
    {
        LibraryName = libraryName;
        RuntimeIdentifier = runtimeIdentifier;
        PathsTried = pathsTried;
    }

    /// <summary>The library's file name, e.g. <c>libmna.so</c>.</summary>
    public string LibraryName { get; }

    /// <summary>The process's runtime identifier, e.g. <c>linux-arm64</c>.</summary>
    public string RuntimeIdentifier { get; }

    /// <summary>Each place tried, with the loader's message for it.</summary>
    public IReadOnlyList<string> PathsTried { get; }
}
