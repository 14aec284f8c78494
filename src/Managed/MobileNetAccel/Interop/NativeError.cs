using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>Raised when a native kernel reports a failure the managed checks did not anticipate.</summary>
public sealed class NativeKernelException : Exception
{
    public NativeKernelException(NativeStatus status, string function, string message)
        : base($"{function} failed ({status}): {message}")
    {
        Status = status;
        Function = function;
    }

    public NativeStatus Status { get; }
    public string Function { get; }
}

/// <summary>The one place where a native status becomes a managed exception.</summary>
internal static class NativeError
{
    internal static string LastMessage()
    {
        nint p = NativeMethods.mna_last_error();
        return p == 0 ? string.Empty : Marshal.PtrToStringUTF8(p) ?? string.Empty;
    }

    /// <summary>Throws for any status but Ok. Argument-type failures become <see cref="ArgumentException"/>s
    /// carrying the native message; the rest become <see cref="NativeKernelException"/>.</summary>
    internal static void Check(NativeStatus status, string function)
    {
        if (status == NativeStatus.Ok)
            return;
        string message = LastMessage();
        // Native messages already start with "function: "; do not repeat it.
        string text = message.StartsWith(function + ":", StringComparison.Ordinal) ? message : $"{function}: {message}";
        throw status switch
        {
            NativeStatus.NullPointer or NativeStatus.InvalidArgument or NativeStatus.BufferTooSmall
                => new ArgumentException(text, new NativeKernelException(status, function, message)),
            NativeStatus.Unsupported => new NotSupportedException(text, new NativeKernelException(status, function, message)),
            NativeStatus.OutOfMemory => new OutOfMemoryException(text),
            _ => new NativeKernelException(status, function, message),
        };
    }
}
