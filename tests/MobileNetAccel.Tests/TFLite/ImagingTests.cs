using MobileNetAccel.Backends.Native.Quantized;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>Decoding and resizing photographs against the reference input tensors (PIL decode + NEAREST resize).</summary>
[TestFixture]
public class ImagingTests
{
    public static IEnumerable<ReferenceCase> Cases() => ReferenceCase.All();

    [TestCaseSource(nameof(Cases))]
    public void NearestResizeOfDecodedImageMatchesReferenceInput(ReferenceCase c)
    {
        var graph = ReferenceCase.Graph(c.Model);
        var input = graph.Inputs[0];
        var image = RgbImage.Load(TestData.Require($"images/{c.Image}"));
        var tensor = ImagePreprocessor.ToTensor(image, input.Shape, input.DataType, input.Quantization,
            new PreprocessOptions { Resize = ResizeMode.Nearest });
        var expected = c.Input;
        int differing = 0, maxDiff = 0;
        for (int i = 0; i < expected.Length; i++)
            if (tensor[i] != expected[i])
            {
                differing++;
                maxDiff = Math.Max(maxDiff, Math.Abs(tensor[i] - expected[i]));
            }
        TestContext.Out.WriteLine($"{c}: {image.Width}x{image.Height}, {differing}/{expected.Length} bytes differ (max {maxDiff})");
        if (c.Image.EndsWith(".bmp", StringComparison.Ordinal))
            Assert.That(differing, Is.Zero, "BMP decode + PIL-nearest resize must reproduce the reference input exactly");

        // From the image file to the label: top-1 equals the references' wherever they agree (JPEG included).
        var output = IntegerRunner.Run(graph, tensor);
        if (c.Top1Agree)
            Assert.That(ReferenceCase.ArgMax(output), Is.EqualTo(ReferenceCase.ArgMax(c.Armnn)));
    }

    [Test]
    public void NearestIndicesFollowPilPixelCentres()
    {
        // 10 -> 4: centres (0.5, 1.5, 2.5, 3.5) * 2.5 = 1.25, 3.75, 6.25, 8.75
        Assert.That(ImageOps.NearestIndices(10, 4), Is.EqualTo(new[] { 1, 3, 6, 8 }));
        // 3 -> 6 (upsampling): (i + 0.5) * 0.5 = 0.25, 0.75, 1.25, 1.75, 2.25, 2.75
        Assert.That(ImageOps.NearestIndices(3, 6), Is.EqualTo(new[] { 0, 0, 1, 1, 2, 2 }));
    }

    [Test]
    public void BilinearAndCropOnHandComputedImage()
    {
        // 2x1 image: black, white. Upsampled to 4x1 with half-pixel centres: src x = (i+0.5)/2-0.5 = -0.25(->0), 0.25, 0.75, 1.25(->1 clamp)
        var img = new RgbImage(2, 1, new byte[] { 0, 0, 0, 200, 200, 200 });
        var r = ImageOps.Resize(img, 4, 1);
        Assert.That(r.Pixels.Where((_, i) => i % 3 == 0), Is.EqualTo(new byte[] { 0, 50, 150, 200 }));
        var big = new RgbImage(4, 4, Enumerable.Range(0, 48).Select(i => (byte)i).ToArray());
        var crop = ImageOps.CenterCrop(big, 0.5);
        Assert.That(crop.Width, Is.EqualTo(2));
        Assert.That(crop.Pixels.Take(3), Is.EqualTo(new byte[] { 15, 16, 17 })); // pixel (1,1)
    }

    [Test]
    public void NormalisationPresets()
    {
        var img = new RgbImage(1, 1, new byte[] { 0, 255, 128 });
        var f = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            ImagePreprocessor.ToTensor(img, new[] { 1, 1, 1, 3 }, DataType.Float32, null)).ToArray();
        Assert.That(f, Is.EqualTo(new[] { -1f, 1f, 0.5f / 127.5f }).Within(1e-6f));
        var t = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(
            ImagePreprocessor.ToTensor(img, new[] { 1, 3, 1, 1 }, DataType.Float32, null,
                new PreprocessOptions { Normalization = NormalizationPreset.Torchvision })).ToArray();
        Assert.That(t[0], Is.EqualTo((0f - 0.485f) / 0.229f).Within(1e-5f));
        Assert.That(t[1], Is.EqualTo((1f - 0.456f) / 0.224f).Within(1e-5f));
        var u = ImagePreprocessor.ToTensor(img, new[] { 1, 1, 1, 3 }, DataType.UInt8, null);
        Assert.That(u, Is.EqualTo(new byte[] { 0, 255, 128 }));
        Assert.Throws<ImageFormatException>(() => RgbImage.Decode(new byte[] { 1, 2, 3, 4 }, "junk.png"));
    }
}
