using System.Runtime.InteropServices;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.NativeLoading;

/// <summary>The native library is found, has the ABI version the bindings expect, and the ELF check that explains a
/// wrong-architecture library reads the machine right. (Missing / wrong-architecture libraries are exercised end to
/// end by .ci/run on copies of the CLI: once loaded, a process keeps its library.)</summary>
public class NativeLibraryLoaderTests
{
    [Test]
    public void The_library_loads_and_reports_the_expected_ABI_version()
    {
        nint handle = NativeLibraryLoader.EnsureLoaded();
        Assert.That(handle, Is.Not.EqualTo(IntPtr.Zero));
        Assert.That(NativeLibrary.TryGetExport(handle, "mna_abi_version", out nint fn), Is.True);
        unsafe
        {
            Assert.That(((delegate* unmanaged<int>)fn)(), Is.EqualTo(NativeLibraryLoader.ExpectedAbiVersion));
        }
    }

    [Test]
    public void ElfMachine_reads_this_process_architecture_from_libmna()
    {
        string path = Path.Combine(AppContext.BaseDirectory, "libmna.so");
        Assume.That(File.Exists(path), $"{path} (the build copies libmna.so beside the tests)");
        string expected = RuntimeInformation.ProcessArchitecture == Architecture.Arm64 ? "aarch64" : "x86-64";
        Assert.That(NativeLibraryLoader.ElfMachine(path), Is.EqualTo(expected));
        Assert.That(NativeLibraryLoader.ElfMachine(typeof(NativeLibraryLoaderTests).Assembly.Location), Is.Null, "a .dll is no ELF file");
    }

    [Test]
    public void RuntimeIdentifier_is_the_portable_RID()
    {
        Assert.That(NativeLibraryLoader.RuntimeIdentifier, Is.AnyOf("linux-x64", "linux-arm64", "osx-arm64", "osx-x64", "win-x64", "win-arm64"));
        Assert.That(NativeLibraryLoader.FileName, Is.EqualTo(OperatingSystem.IsLinux() ? "libmna.so" : OperatingSystem.IsMacOS() ? "libmna.dylib" : "mna.dll"));
    }
}
