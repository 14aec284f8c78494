using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;
using static MobileNetAccel.Vulkan.Tests.Vulkan;

namespace MobileNetAccel.Vulkan.Tests;

/// <summary>
/// The shared pretrained quantized TFLite MobileNets (../shared/models/tflite) run in float (ForceFloat: dequantized
/// weights, the uint8 input dequantized on the device) on Vulkan against the native CPU backend's float path, same
/// bytes in. Outputs are compared as the model's uint8 output: equal within one quantization step (the float paths sum
/// in different orders, so a value near a rounding boundary may land one step away). A missing file fails under
/// CI=true and is ignored otherwise.
/// </summary>
[TestFixture]
public class TfliteModelTests
{
    private static string Require(string relative)
    {
        string? root = Environment.GetEnvironmentVariable("MNA_SHARED");
        if (string.IsNullOrEmpty(root))
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null && root is null; dir = dir.Parent)
                if (Directory.Exists(Path.Combine(dir.FullName, "shared", "models")))
                    root = Path.Combine(dir.FullName, "shared");
        string? path = root is null ? null : Path.Combine(root, relative);
        if (path is not null && File.Exists(path))
            return path;
        string message = $"shared test data not found: {relative} (set MNA_SHARED)";
        if (IsCi)
            Assert.Fail(message);
        Assert.Ignore(message);
        return "";
    }

    [TestCase("models/tflite/mobilenet_v1_0.25_128_quant.tflite")]
    [TestCase("models/tflite/mobilenet_v2_1.0_224_quant.tflite")]
    public void QuantizedModelInFloatMatchesCpu(string file)
    {
        _ = Backend;
        VulkanBackend.Register();
        var model = new Model(TfliteReader.Load(Require(file)));
        using var vulkan = new InferenceSession(model, new SessionOptions { Backend = "vulkan", ForceFloat = true });
        using var cpu = new InferenceSession(model, new SessionOptions { Backend = "cpu", ForceFloat = true, Threads = 1 });
        Assert.That(vulkan.Placement.All(p => p.Backend == "vulkan"), "every node runs on Vulkan");
        var input = new byte[vulkan.Inputs[0].ElementCount * vulkan.Inputs[0].DataType.SizeInBytes()];
        new Random(3).NextBytes(input);
        var got = new byte[vulkan.Outputs[0].ElementCount * vulkan.Outputs[0].DataType.SizeInBytes()];
        var want = new byte[got.Length];
        vulkan.RunRaw(input, got);
        cpu.RunRaw(input, want);
        int worst = got.Select((g, i) => Math.Abs(g - want[i])).Max();
        TestContext.Out.WriteLine($"{Path.GetFileName(file)}: worst output difference {worst} quantization steps over {got.Length}");
        Assert.That(worst, Is.LessThanOrEqualTo(1));
        Assert.That(Array.IndexOf(got, got.Max()), Is.EqualTo(Array.IndexOf(want, want.Max())), "top-1");
    }
}
