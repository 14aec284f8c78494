namespace MobileNetAccel.Formats;

/// <summary>
/// Raised when a model file (TFLite, ONNX) is truncated, corrupted, inconsistent or uses something this library does
/// not support. The message names the file, where in the model the problem is (subgraph/operator/tensor index or
/// node name) and what is wrong. Readers never let another exception type escape for bad input.
/// </summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string file, string location, string problem)
        : base(Format(file, location, problem))
    {
        File = file;
        Location = location;
        Problem = problem;
    }

    public ModelFormatException(string file, string location, string problem, Exception inner)
        : base(Format(file, location, problem), inner)
    {
        File = file;
        Location = location;
        Problem = problem;
    }

    /// <summary>Largest model file the readers accept (2,000,000,000 bytes; ONNX external data files are checked against
    /// the tensors they hold). A larger file, a FIFO, a device or an empty file is refused before it is read.</summary>
    public const long MaxFileBytes = 2_000_000_000;

    /// <summary>The model file (path or name as given to the reader).</summary>
    public string File { get; }

    /// <summary>Where in the model: e.g. "subgraph 0, operator 12 (CONV_2D)", or "" for the file as a whole.</summary>
    public string Location { get; }

    /// <summary>What is wrong.</summary>
    public string Problem { get; }

    private static string Format(string file, string location, string problem) =>
        string.IsNullOrEmpty(location) ? $"{file}: {problem}" : $"{file}: {location}: {problem}";
}
