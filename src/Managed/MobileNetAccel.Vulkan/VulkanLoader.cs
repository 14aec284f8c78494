using System.Runtime.InteropServices;
using Silk.NET.Core.Contexts;

namespace MobileNetAccel.Vulkan;

/// <summary>
/// Loads the system Vulkan loader (libvulkan.so.1 / vulkan-1.dll / libvulkan.1.dylib) with <see cref="NativeLibrary"/> and
/// resolves every entry point from its exports. Used instead of <c>Vk.GetApi()</c>, whose default path resolver
/// depends on Microsoft.Extensions.DependencyModel and assembly locations (single-file/AOT warnings).
/// </summary>
internal sealed class VulkanLoader : INativeContext
{
    private static readonly string[] Candidates = OperatingSystem.IsWindows()
        ? new[] { "vulkan-1.dll" }
        : OperatingSystem.IsMacOS() || OperatingSystem.IsIOS()
            ? new[] { "libvulkan.1.dylib", "libvulkan.dylib", "libMoltenVK.dylib" }
            : new[] { "libvulkan.so.1", "libvulkan.so" };

    private nint _library;

    private VulkanLoader(nint library) => _library = library;

    /// <summary>Loads the Vulkan loader, or returns null with the reason.</summary>
    public static VulkanLoader? TryLoad(out string reason, IReadOnlyList<string>? names = null)
    {
        var candidates = names ?? Candidates;
        // The system's loader first; then one shipped beside the application (the GPU bundle carries Debian's
        // libvulkan.so.1 for machines that have a driver with a Vulkan ICD but no loader package).
        var paths = candidates.Concat(candidates.Select(n => Path.Combine(AppContext.BaseDirectory, n)));
        var tried = new List<string>();
        foreach (var name in paths)
        {
            try
            {
                var handle = NativeLibrary.Load(name);
                reason = "";
                return new VulkanLoader(handle);
            }
            catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
            {
                // The loader's own message (dlerror: no such file, wrong ELF class, a missing dependency).
                tried.Add($"{name}: {e.Message.ReplaceLineEndings(" ").Trim()}");
            }
        }
        reason = $"no Vulkan device: the Vulkan loader ({string.Join(" / ", candidates)}) cannot be loaded for " +
                 $"{RuntimeInformation.RuntimeIdentifier} ({RuntimeInformation.ProcessArchitecture}); tried {string.Join("; ", tried)} " +
                 "(Debian/Ubuntu: apt-get install libvulkan1 and a driver, e.g. mesa-vulkan-drivers)";
        return null;
    }

    public nint GetProcAddress(string proc, int? slot = null) => TryGetProcAddress(proc, out var address, slot)
        ? address
        : throw new VulkanException($"Vulkan: the loader does not export {proc}");

    public bool TryGetProcAddress(string proc, out nint addr, int? slot = null)
    {
        addr = 0;
        return _library != 0 && NativeLibrary.TryGetExport(_library, proc, out addr);
    }

    public void Dispose()
    {
        // The loader stays mapped for the process: function pointers captured by Silk.NET's Vk may outlive us.
        _library = 0;
    }
}
