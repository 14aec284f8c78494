using System.Diagnostics;
using MobileNetAccel.Imaging;
using MobileNetAccel.Tests.TFLite;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>The one-call <see cref="Segmenter"/> on DeepLabV3 (../shared/models/segmentation): Coral's own check on
/// bird_segmentation, the README's input rule and the mask at the image's size on a non-513 photograph, the labels
/// count, the colour map and the PNGs.</summary>
[TestFixture]
public class SegmenterTests
{
    private const string Dir = "models/segmentation";
    private const string Full = Dir + "/deeplabv3_mnv2_pascal_quant.tflite", Half = Dir + "/deeplabv3_mnv2_dm05_pascal_quant.tflite";
    private const string Labels = Dir + "/pascal_voc_segmentation_labels.txt";
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mna-seg-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static int Equal(byte[] a, byte[] b)
    {
        int n = 0;
        for (int i = 0; i < a.Length; i++)
            n += a[i] == b[i] ? 1 : 0;
        return n;
    }

    [Test]
    public void Bird_matches_Corals_mask_with_pixel_IoU_above_0_9()
    {
        var sw = Stopwatch.StartNew();
        using var segmenter = new Segmenter(TestData.Require(Full), TestData.Require(Labels));
        long loadMs = sw.ElapsedMilliseconds;
        var result = segmenter.Segment(TestData.Require($"{Dir}/images/bird_segmentation.bmp"));
        long runMs = sw.ElapsedMilliseconds - loadMs;
        var coral = SegmentationTests.ReadIndexedBmp(TestData.Require($"{Dir}/images/bird_segmentation_mask.bmp"));
        int eq = Equal(result.Mask, coral);
        double iou = eq / (2.0 * coral.Length - eq);
        var present = string.Join(", ", result.Present.Select(c => $"{c.Label} {c.Share:P2}"));
        TestContext.Out.WriteLine($"bird: pixel-IoU {iou:F4} against Coral's mask; {present}; load {loadMs} ms, segment {runMs} ms");
        Assert.That(segmenter.Classes, Is.EqualTo(21));
        Assert.That((segmenter.MaskWidth, segmenter.MaskHeight), Is.EqualTo((513, 513)));
        Assert.That((result.Width, result.Height), Is.EqualTo((513, 513)));
        Assert.That(iou, Is.GreaterThan(0.9));
        Assert.That(result.Present[0].Label, Is.EqualTo("background"));
        Assert.That(result.Present[1].Label, Is.EqualTo("bird"));
        Assert.That(result.Labels[3], Is.EqualTo("bird"));
        Assert.That(result.PixelCounts.Sum(), Is.EqualTo(513L * 513));
    }

    [Test]
    public void Grace_hopper_input_follows_the_README_rule_and_the_mask_has_the_images_size()
    {
        var image = RgbImage.Load(TestData.Require("images/grace_hopper.bmp"));
        Assert.That((image.Width, image.Height), Is.EqualTo((512, 600)));
        // The exact input tensor the two reference runtimes were fed (nearest, src = floor((2·dst+1)·in/(2·out))).
        var fed = File.ReadAllBytes(TestData.Require($"{Dir}/reference/inputs/513x513__grace_hopper.bmp.rgb.u8"));
        Assert.That(ImageOps.ResizeNearestExact(image, 513, 513).Pixels, Is.EqualTo(fed));

        var sw = Stopwatch.StartNew();
        using var segmenter = new Segmenter(TestData.Require(Half), TestData.Require(Labels));
        long loadMs = sw.ElapsedMilliseconds;
        var result = segmenter.Segment(image);
        long runMs = sw.ElapsedMilliseconds - loadMs;
        Assert.That((result.Width, result.Height), Is.EqualTo((512, 600)));
        Assert.That(result.Mask, Has.Length.EqualTo(512 * 600));
        Assert.That(result.PixelCounts.Sum(), Is.EqualTo(512L * 600));
        Assert.That(result.Present.Sum(c => c.Share), Is.EqualTo(1.0).Within(1e-9));
        Assert.That(result.Present.Take(2).Select(c => c.Label), Is.EquivalentTo(new[] { "background", "person" }));
        Assert.That(result.Present.Skip(2).Sum(c => c.Share), Is.LessThan(0.01), "any other class: stray pixels only");

        // Against the references' 513x513 masks, mapped back to 512x600 by the same rule.
        int[] xs = ImageOps.NearestIndicesExact(513, 512), ys = ImageOps.NearestIndicesExact(513, 600);
        double Agreement(string runtime)
        {
            var m = File.ReadAllBytes(TestData.Require($"{Dir}/reference/{runtime}/deeplabv3_mnv2_dm05_pascal_quant__grace_hopper.bmp.mask.u8"));
            var back = new byte[512 * 600];
            for (int y = 0; y < 600; y++)
                for (int x = 0; x < 512; x++)
                    back[y * 512 + x] = m[ys[y] * 513 + xs[x]];
            return 100.0 * Equal(result.Mask, back) / back.Length;
        }
        double litert = Agreement("litert"), armnn = Agreement("armnn");
        TestContext.Out.WriteLine($"grace_hopper (0.5 model): mask = LiteRT {litert:F2}%, = ArmNN {armnn:F2}% at 512x600; "
            + $"{string.Join(", ", result.Present.Select(c => $"{c.Label} {c.Share:P1}"))}; load {loadMs} ms, segment {runMs} ms");
        Assert.That(Math.Max(litert, armnn), Is.GreaterThan(98.0));

        // The PNGs: colour map and overlay at the photograph's size, and they decode back.
        string maskPng = Path.Combine(_dir, "mask.png"), overlayPng = Path.Combine(_dir, "overlay.png");
        result.ColorMask().SavePng(maskPng);
        result.Overlay(image).SavePng(overlayPng);
        var mask = RgbImage.Load(maskPng);
        Assert.That((mask.Width, mask.Height), Is.EqualTo((512, 600)));
        int i = Array.IndexOf(result.Mask, (byte)15);
        Assert.That(mask.Pixels.Skip(i * 3).Take(3), Is.EqualTo(new byte[] { 192, 128, 128 }), "person is (192,128,128)");
        int b = Array.IndexOf(result.Mask, (byte)0);
        var overlay = RgbImage.Load(overlayPng);
        Assert.That(overlay.Pixels.Skip(b * 3).Take(3), Is.EqualTo(image.Pixels.Skip(b * 3).Take(3)), "background pixels are the photograph's");
    }

    [Test]
    public void Bilinear_resize_is_selectable_and_agrees_closely_with_nearest()
    {
        var image = RgbImage.Load(TestData.Require("images/grace_hopper.bmp"));
        using var nearest = new Segmenter(TestData.Require(Half));
        using var bilinear = new Segmenter(TestData.Require(Half)) { Resize = ResizeMode.Bilinear };
        var a = nearest.Segment(image);
        var b = bilinear.Segment(image);
        double agree = 100.0 * Equal(a.Mask, b.Mask) / a.Mask.Length;
        TestContext.Out.WriteLine($"grace_hopper: nearest and bilinear input masks agree on {agree:F2}% of pixels");
        Assert.That((b.Width, b.Height), Is.EqualTo((512, 600)));
        Assert.That(agree, Is.GreaterThan(95.0));
        Assert.That(a.Labels, Has.All.Empty, "no labels file: empty labels");
    }

    [Test]
    public void A_labels_file_that_does_not_fit_names_both_counts()
    {
        string labels = Path.Combine(_dir, "labels.txt");
        File.WriteAllLines(labels, File.ReadAllLines(TestData.Require(Labels)).Take(20).Append("").Append("a note after the labels"));
        var e = Assert.Throws<InvalidDataException>(() => new Segmenter(TestData.Require(Half), labels).Dispose())!;
        Assert.That(e.Message, Does.Contain(labels).And.Contain("20 labels").And.Contain("21 classes"));
    }

    [Test]
    public void Pascal_voc_colour_map()
    {
        Assert.That(SegmentationResult.PascalVocColor(0), Is.EqualTo(((byte)0, (byte)0, (byte)0)));
        Assert.That(SegmentationResult.PascalVocColor(1), Is.EqualTo(((byte)128, (byte)0, (byte)0)));
        Assert.That(SegmentationResult.PascalVocColor(3), Is.EqualTo(((byte)128, (byte)128, (byte)0)));
        Assert.That(SegmentationResult.PascalVocColor(12), Is.EqualTo(((byte)64, (byte)0, (byte)128)));
        Assert.That(SegmentationResult.PascalVocColor(15), Is.EqualTo(((byte)192, (byte)128, (byte)128)));
        Assert.That(SegmentationResult.PascalVocColor(20), Is.EqualTo(((byte)0, (byte)64, (byte)128)));
    }

    [Test]
    public void Exact_nearest_rule()
    {
        // src = floor((2·dst+1)·in/(2·out)): 600 → 513 and back, and the identity.
        Assert.That(ImageOps.NearestIndicesExact(5, 5), Is.EqualTo(new[] { 0, 1, 2, 3, 4 }));
        Assert.That(ImageOps.NearestIndicesExact(2, 4), Is.EqualTo(new[] { 0, 0, 1, 1 }));
        Assert.That(ImageOps.NearestIndicesExact(600, 513)[512], Is.EqualTo((2 * 512 + 1) * 600 / (2 * 513)));
        Assert.That(ImageOps.NearestIndicesExact(513, 600).Max(), Is.EqualTo(512));
    }
}
