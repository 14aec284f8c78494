using Silk.NET.Vulkan;

namespace MobileNetAccel.Vulkan;

/// <summary>A Vulkan call failed. The message names the call and the <see cref="Silk.NET.Vulkan.Result"/>.</summary>
public class VulkanException : Exception
{
    public VulkanException(string message) : base(message) { }
    public VulkanException(string message, Exception inner) : base(message, inner) { }

    internal VulkanException(string call, Result result) : base($"Vulkan: {call} failed with {result} ({(int)result})") => Result = result;

    /// <summary>The failing result code, when the error came from a Vulkan call.</summary>
    public Result? Result { get; }
}

/// <summary>The device was lost (driver reset, GPU hang, device removed): every partition compiled on it is unusable.</summary>
public sealed class VulkanDeviceLostException : VulkanException
{
    internal VulkanDeviceLostException(string call, string device)
        : base($"Vulkan: device '{device}' was lost during {call} (VK_ERROR_DEVICE_LOST); the sessions using it must be recreated") { }
}

/// <summary>The one place a failed <see cref="Result"/> becomes an exception.</summary>
internal static class VkCheck
{
    public static void Check(this Result result, string call, string? device = null)
    {
        if (result == Result.Success)
            return;
        if (result == Result.ErrorDeviceLost)
            throw new VulkanDeviceLostException(call, device ?? "?");
        throw new VulkanException(call, result);
    }
}
