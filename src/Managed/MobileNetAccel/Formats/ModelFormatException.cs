namespace MobileNetAccel.Formats;

/// <summary>Raised when a model file is malformed or uses something this library does not support. The message names the file, tensor or operator.</summary>
public sealed class ModelFormatException : Exception
{
    public ModelFormatException(string message) : base(message) { }
    public ModelFormatException(string message, Exception inner) : base(message, inner) { }
}
