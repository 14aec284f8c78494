using System.Runtime.InteropServices;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>The torchvision preset of <c>mobilenet classify</c>: shorter side to 256, centre crop 224, ImageNet mean/std, NCHW.</summary>
[TestFixture]
public class TorchvisionPresetTests
{
    private static RgbImage Pattern(int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++)
            {
                px[(y * w + x) * 3] = (byte)x;
                px[(y * w + x) * 3 + 1] = (byte)y;
                px[(y * w + x) * 3 + 2] = (byte)(x ^ y);
            }
        return new RgbImage(w, h, px);
    }

    [Test]
    public void CropOffsetsFollowTorchvision()
    {
        Assert.That(TorchvisionTransform.ResizeFor(224), Is.EqualTo(256));
        // Shorter side already 256: no resampling, so the crop is an exact window at round((300-224)/2)=38, round((256-224)/2)=16.
        var src = Pattern(300, 256);
        var crop = TorchvisionTransform.ResizeAndCenterCrop(src, 256, 224, 224);
        Assert.That((crop.Width, crop.Height), Is.EqualTo((224, 224)));
        for (int y = 0; y < 224; y += 37)
            for (int x = 0; x < 224; x += 41)
                for (int c = 0; c < 3; c++)
                    Assert.That(crop.Pixels[(y * 224 + x) * 3 + c], Is.EqualTo(src.Pixels[((y + 16) * 300 + x + 38) * 3 + c]));
        // A portrait image: the width becomes 256, the height int(256·640/480) = 341.
        var tall = TorchvisionTransform.ResizeAndCenterCrop(Pattern(480, 640), 256, 224, 224);
        Assert.That((tall.Width, tall.Height), Is.EqualTo((224, 224)));
    }

    [Test]
    public void NormalisesWithImageNetMeanAndStdIntoNchw()
    {
        var px = new byte[500 * 400 * 3];
        for (int i = 0; i < px.Length; i += 3)
            (px[i], px[i + 1], px[i + 2]) = (200, 100, 50);
        var image = TorchvisionTransform.ResizeAndCenterCrop(new RgbImage(500, 400, px), 256, 224, 224);
        var bytes = ImagePreprocessor.ToTensor(image, new[] { 1, 3, 224, 224 }, DataType.Float32, null,
            new PreprocessOptions { Normalization = NormalizationPreset.Torchvision });
        var t = MemoryMarshal.Cast<byte, float>(bytes);
        float[] expect = { (200 / 255f - 0.485f) / 0.229f, (100 / 255f - 0.456f) / 0.224f, (50 / 255f - 0.406f) / 0.225f };
        for (int c = 0; c < 3; c++)
        {
            Assert.That(t[c * 224 * 224], Is.EqualTo(expect[c]).Within(1e-6), $"channel {c} plane start");
            Assert.That(t[c * 224 * 224 + 224 * 224 - 1], Is.EqualTo(expect[c]).Within(1e-6), $"channel {c} plane end");
        }
    }
}
