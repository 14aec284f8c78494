using System.Reflection;
using System.Runtime.InteropServices;

namespace MobileNetAccel.Interop;

/// <summary>
/// Loads the native kernel library (libmna.so) once, checks its ABI version (<c>mna_abi_version</c> in mna.h), and
/// turns every way that can fail (missing, another architecture, another ABI version) into one
/// <see cref="NativeLibraryException"/> naming the library, the RID, each path tried and the loader's message.
/// Registered as this assembly's <see cref="NativeLibrary.SetDllImportResolver"/> by <see cref="NativeMethods"/>'s
/// static constructor, and called by <see cref="InferenceSession"/>'s constructor so that the error comes from there.
/// </summary>
internal static class NativeLibraryLoader
{
    /// <summary>MNA_ABI_VERSION in native/include/mna.h: the C interface these bindings were written against.</summary>
    internal const int ExpectedAbiVersion = 3;

    private static readonly object Gate = new();
    private static nint _handle;
    private static NativeLibraryException? _failure;

    /// <summary>The file name of the library on this OS.</summary>
    internal static string FileName =>
        OperatingSystem.IsWindows() ? "mna.dll" : OperatingSystem.IsMacOS() ? "libmna.dylib" : "libmna.so";

    /// <summary>The portable RID of this process (linux-x64, linux-arm64, ...): the runtimes/RID/native folder a
    /// package puts the library in.</summary>
    internal static string RuntimeIdentifier
    {
        get
        {
            string os = OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux";
            string arch = RuntimeInformation.ProcessArchitecture switch
            {
                Architecture.X64 => "x64",
                Architecture.Arm64 => "arm64",
                Architecture.X86 => "x86",
                Architecture.Arm => "arm",
                var a => a.ToString().ToLowerInvariant(),
            };
            return $"{os}-{arch}";
        }
    }

    internal static void RegisterResolver()
    {
        try
        {
            NativeLibrary.SetDllImportResolver(typeof(NativeLibraryLoader).Assembly, Resolve);
        }
        catch (InvalidOperationException)
        {
            // A resolver was already set for this assembly (by the application): leave it in charge.
        }
    }

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath) =>
        libraryName == NativeMethods.Library ? EnsureLoaded() : 0;

    /// <summary>The loaded library's handle; throws <see cref="NativeLibraryException"/> (the same one every time)
    /// when it cannot be loaded or has another ABI version.</summary>
    internal static nint EnsureLoaded()
    {
        lock (Gate)
        {
            if (_handle != 0)
                return _handle;
            if (_failure is not null)
                throw _failure;
            try
            {
                _handle = Load();
                return _handle;
            }
            catch (NativeLibraryException e)
            {
                _failure = e;
                throw;
            }
        }
    }

    private static unsafe nint Load()
    {
        var tried = new List<string>();
        string rid = RuntimeIdentifier;
        nint handle = 0;
        string? loadedFrom = null;
        Exception? inner = null;

        // 1. The runtime's own probing: the app's deps.json native asset (runtimes/RID/native from the package), the
        //    application folder, then the system's search path.
        try
        {
            handle = NativeLibrary.Load(NativeMethods.Library, typeof(NativeLibraryLoader).Assembly, DllImportSearchPath.AssemblyDirectory | DllImportSearchPath.SafeDirectories);
            loadedFrom = "the runtime's probing paths";
        }
        catch (DllNotFoundException e)
        {
            inner = e;
            tried.Add($"the runtime's probing paths (deps.json native assets, the application folder, the system search path): {OneLine(e.Message)}");
        }
        catch (BadImageFormatException e)
        {
            inner = e;
            tried.Add($"the runtime's probing paths: {OneLine(e.Message)}");
        }

        // 2. runtimes/RID/native/ and the application folder, by full path (a tool or an app that carries every RID's
        //    library, e.g. a framework-dependent publish without a RID).
        if (handle == 0)
        {
            foreach (string path in new[]
                     {
                         Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", FileName),
                         Path.Combine(AppContext.BaseDirectory, FileName),
                     })
            {
                if (!File.Exists(path))
                {
                    tried.Add($"{path}: no such file");
                    continue;
                }
                try
                {
                    handle = NativeLibrary.Load(path);
                    loadedFrom = path;
                    break;
                }
                catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
                {
                    inner = e;
                    string machine = ElfMachine(path) is { } m && m != ExpectedElfMachine() ? $" (the file is built for {m}; this process is {RuntimeInformation.ProcessArchitecture})" : "";
                    tried.Add($"{path}: {OneLine(e.Message)}{machine}");
                }
            }
        }

        if (handle == 0)
            throw new NativeLibraryException(
                $"MobileNetAccel cannot load its native kernel library {FileName} for {rid}. Tried: {string.Join("; ", tried)}. " +
                $"It ships in the MobileNetAccel package as runtimes/{rid}/native/{FileName} (linux-x64 and linux-arm64); " +
                "in a source build it is native/build/RID/ (CMake, built by the managed build).", FileName, rid, tried, inner);

        if (!NativeLibrary.TryGetExport(handle, "mna_abi_version", out nint fn))
        {
            NativeLibrary.Free(handle);
            throw new NativeLibraryException(
                $"{FileName} loaded from {loadedFrom} ({rid}) has no mna_abi_version export: it is older than this MobileNetAccel " +
                $"(which needs ABI version {ExpectedAbiVersion}); rebuild or reinstall the native library.", FileName, rid, tried, null);
        }
        int version = ((delegate* unmanaged<int>)fn)();
        if (version != ExpectedAbiVersion)
        {
            NativeLibrary.Free(handle);
            throw new NativeLibraryException(
                $"{FileName} loaded from {loadedFrom} ({rid}) has ABI version {version}; this MobileNetAccel needs {ExpectedAbiVersion}: " +
                "the managed assembly and the native library come from different builds.", FileName, rid, tried, null);
        }
        return handle;
    }

    private static string OneLine(string s) => s.ReplaceLineEndings(" ").Trim();

    private static string? ExpectedElfMachine() => RuntimeInformation.ProcessArchitecture switch
    {
        Architecture.X64 => "x86-64",
        Architecture.Arm64 => "aarch64",
        Architecture.X86 => "x86",
        Architecture.Arm => "arm",
        _ => null,
    };

    /// <summary>The architecture an ELF file is built for (e_machine), or null when it is not an ELF file.</summary>
    internal static string? ElfMachine(string path)
    {
        try
        {
            Span<byte> header = stackalloc byte[20];
            using var f = File.OpenRead(path);
            if (f.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length
                || header[0] != 0x7f || header[1] != (byte)'E' || header[2] != (byte)'L' || header[3] != (byte)'F')
                return null;
            int machine = header[5] == 2 ? (header[18] << 8) | header[19] : header[18] | (header[19] << 8);
            return machine switch
            {
                3 => "x86",
                40 => "arm",
                62 => "x86-64",
                183 => "aarch64",
                243 => "riscv",
                _ => $"ELF machine {machine}",
            };
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }
}

/// <summary>The register that makes every P/Invoke of this assembly go through <see cref="NativeLibraryLoader"/>.</summary>
internal static unsafe partial class NativeMethods
{
    static NativeMethods() => NativeLibraryLoader.RegisterResolver();
}
