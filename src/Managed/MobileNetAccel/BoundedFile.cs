namespace MobileNetAccel;

/// <summary>
/// Reads a whole file whose length is checked first. A path that does not name a regular file of known, non-zero
/// length — a FIFO, a character or block device (<c>/dev/zero</c>), a <c>/proc</c> file, an empty file, or a link to
/// one of these — is refused without being opened (opening a FIFO would block, reading a device would never end), and
/// a file larger than the caller's limit is refused before anything is allocated. A file that changes length while it
/// is read is an error too. The problem is reported through exceptions made by the caller's <c>fail</c> function, naming the path.
/// </summary>
internal static class BoundedFile
{
    public static byte[] ReadAll(string path, long maxBytes, string what, Func<string, Exception?, Exception> fail)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileInfo info;
        long length;
        try
        {
            info = new FileInfo(path);
            if (Directory.Exists(path))
                throw fail($"is a directory, not a {what} file", null);
            if (!info.Exists)
                throw fail("no such file", null);
            if (info.LinkTarget is not null && info.ResolveLinkTarget(returnFinalTarget: true) is FileInfo target)
                info = target;
            length = info.Exists ? info.Length : 0;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw fail($"cannot read the file: {e.Message}", e);
        }
        if (length == 0)
            throw fail($"has no length: an empty file, or not a regular file (a FIFO, a device or a /proc file); a {what} must be a regular file", null);
        if (length > maxBytes)
            throw fail($"is {length} bytes, larger than the {maxBytes}-byte limit for a {what} file", null);
        try
        {
            using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1, FileOptions.SequentialScan);
            var data = new byte[length];
            int read = 0;
            while (read < data.Length)
            {
                int n = stream.Read(data, read, data.Length - read);
                if (n == 0)
                    throw fail($"ended after {read} of its {length} bytes (it changed while being read)", null);
                read += n;
            }
            Span<byte> probe = stackalloc byte[1];
            if (stream.Read(probe) != 0)
                throw fail($"grew past its {length} bytes while being read", null);
            return data;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw fail($"cannot read the file: {e.Message}", e);
        }
    }
}
