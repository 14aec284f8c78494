using System.Diagnostics;
using MobileNetAccel.Imaging;
using NUnit.Framework;
using SkiaSharp;

namespace MobileNetAccel.Tests.Api;

/// <summary>
/// The TurboJPEG fast path of <see cref="RgbImage.Decode(byte[], string)"/> gives SkiaSharp's pixels byte for byte
/// (real photos, SkiaSharp-encoded JPEGs at several qualities and subsamplings, and — where cjpeg/jpegtran from
/// libjpeg-turbo-progs are installed — progressive, restart-marker, grayscale, 4:4:0 and 4:1:1 files), declines
/// the kinds it was not verified for, leaves truncated and corrupt files to SkiaSharp (same errors as before), and
/// <c>MNA_JPEG_DECODER=skia</c> switches it off. Without libturbojpeg.so.0 the tests are ignored, or fail when CI=true
/// (CI installs libturbojpeg0 and libjpeg-turbo-progs).
/// </summary>
[TestFixture, NonParallelizable]
public class JpegDecoderTests
{
    private static readonly string[] Photos = { "bird", "cat", "grace_hopper" };

    private static void RequireTurboJpeg()
    {
        if (!TurboJpeg.IsLoaded)
        {
            const string message = $"{TurboJpeg.LibraryName} is not installed (apt-get install libturbojpeg0): JPEGs are decoded by SkiaSharp only";
            if (TestData.IsCi)
                Assert.Fail(message);
            Assert.Ignore(message);
        }
        Assert.That(TurboJpeg.SelfCheckFailure, Is.Null, "the self-check against SkiaSharp failed");
    }

    private static string? FindTool(string name)
    {
        foreach (string dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
            if (File.Exists(Path.Combine(dir, name)))
                return Path.Combine(dir, name);
        return null;
    }

    /// <summary>TurboJPEG accepts the file, its pixels equal SkiaSharp's, and Decode takes the fast path.</summary>
    private static void AssertIdentical(byte[] jpeg, string name)
    {
        var fast = TurboJpeg.TryDecode(jpeg, out string? declined);
        Assert.That(fast, Is.Not.Null, $"{name}: declined: {declined}");
        var skia = RgbImage.DecodeSkia(jpeg, name);
        Assert.That((fast!.Width, fast.Height), Is.EqualTo((skia.Width, skia.Height)), name);
        int first = fast.Pixels.AsSpan().CommonPrefixLength(skia.Pixels);
        Assert.That(first, Is.EqualTo(skia.Pixels.Length), $"{name}: the first differing byte is at {first}");
        var image = RgbImage.Decode(jpeg, name, out var decoder);
        Assert.That(decoder, Is.EqualTo(ImageDecoder.TurboJpeg), name);
        Assert.That(image.Pixels, Is.EqualTo(skia.Pixels), name);
    }

    [TestCase("images/hot_dog.jpg")]                          // 512x384 4:4:4, ICC profile, EXIF
    [TestCase("models/detection/images/kite_and_cold.jpg")]   // 1352x900 4:4:4, restart markers
    public void RealPhotoIsIdentical(string relative)
    {
        RequireTurboJpeg();
        AssertIdentical(File.ReadAllBytes(TestData.Require(relative)), relative);
    }

    public static IEnumerable<TestCaseData> SkiaEncodedCases()
    {
        foreach (string photo in Photos)
            foreach (var sampling in new[] { SKJpegEncoderDownsample.Downsample444, SKJpegEncoderDownsample.Downsample422, SKJpegEncoderDownsample.Downsample420 })
                foreach (int quality in new[] { 30, 75, 95, 100 })
                    yield return new TestCaseData(photo, sampling, quality);
    }

    [TestCaseSource(nameof(SkiaEncodedCases))]
    public void SkiaEncodedJpegIsIdentical(string photo, SKJpegEncoderDownsample sampling, int quality)
    {
        RequireTurboJpeg();
        var image = RgbImage.Load(TestData.Require($"images/{photo}.bmp"));
        AssertIdentical(image.EncodeJpeg(quality, sampling), $"{photo} q{quality} {sampling}");
        // a size that is not a multiple of the MCU (edge blocks, odd chroma columns and rows)
        var odd = Crop(image, image.Width - 5, image.Height - 3);
        AssertIdentical(odd.EncodeJpeg(quality, sampling), $"{photo} {odd.Width}x{odd.Height} q{quality} {sampling}");
    }

    private static RgbImage Crop(RgbImage image, int w, int h)
    {
        var pixels = new byte[w * h * 3];
        for (int y = 0; y < h; y++)
            image.Pixels.AsSpan(y * image.Width * 3, w * 3).CopyTo(pixels.AsSpan(y * w * 3));
        return new RgbImage(w, h, pixels);
    }

    /// <summary>Kinds SkiaSharp's encoder cannot make, made by cjpeg/jpegtran: null = accepted and identical, else the
    /// start of the reason TurboJPEG declines it with (it then goes to SkiaSharp).</summary>
    [TestCase("cjpeg", "-quality 85 -progressive", null)]
    [TestCase("cjpeg", "-quality 85 -sample 1x1 -progressive", null)]
    [TestCase("cjpeg", "-quality 85 -sample 2x1 -progressive", null)]
    [TestCase("cjpeg", "-quality 85 -restart 1", null)]
    [TestCase("cjpeg", "-quality 85 -sample 1x1 -restart 3B", null)]
    [TestCase("cjpeg", "-quality 85 -restart 2 -progressive", null)]
    [TestCase("cjpeg", "-quality 85 -grayscale", null)]
    [TestCase("cjpeg", "-quality 85 -grayscale -progressive", null)]
    [TestCase("cjpeg", "-quality 85 -sample 1x2", null)]
    [TestCase("cjpeg", "-quality 85 -sample 4x1", null)]
    [TestCase("cjpeg", "-quality 85 -optimize -smooth 30", null)]
    [TestCase("cjpeg", "-quality 10 -baseline", null)]
    [TestCase("cjpeg", "-quality 5", null)] // SOF1 (extended sequential): 16-bit quantization tables
    [TestCase("cjpeg", "-quality 85 -rgb", "colour space 0")]
    [TestCase("cjpeg", "-quality 85 -arithmetic", "frame type SOF9")]
    [TestCase("cjpeg", "-quality 85 -arithmetic -progressive", "frame type SOF10")]
    [TestCase("jpegtran", "-progressive -copy all", null)]
    [TestCase("jpegtran", "-grayscale", null)]
    [TestCase("jpegtran", "-restart 0", null)]
    [TestCase("jpegtran", "-crop 1001x777+7+9 -copy all", null)]
    public void CjpegVariantIsIdenticalOrDeclined(string tool, string arguments, string? declinedBecause)
    {
        RequireTurboJpeg();
        string? exe = FindTool(tool);
        if (exe is null)
        {
            string message = $"{tool} is not installed (apt-get install libjpeg-turbo-progs)";
            if (TestData.IsCi)
                Assert.Fail(message);
            Assert.Ignore(message);
        }
        string input = tool == "jpegtran"
            ? TestData.Require("models/detection/images/kite_and_cold.jpg")
            : WritePpm(RgbImage.Load(TestData.Require("images/grace_hopper.bmp")));
        string output = Path.Combine(Path.GetTempPath(), $"mna-jpeg-{Environment.ProcessId}-{Guid.NewGuid():N}.jpg");
        try
        {
            var psi = new ProcessStartInfo(exe!) { RedirectStandardError = true };
            foreach (string a in arguments.Split(' '))
                psi.ArgumentList.Add(a);
            psi.ArgumentList.Add("-outfile");
            psi.ArgumentList.Add(output);
            psi.ArgumentList.Add(input);
            using (var p = Process.Start(psi)!)
            {
                string err = p.StandardError.ReadToEnd();
                p.WaitForExit();
                Assert.That(p.ExitCode, Is.Zero, $"{tool} {arguments}: {err}");
            }
            byte[] jpeg = File.ReadAllBytes(output);
            if (declinedBecause is null)
            {
                AssertIdentical(jpeg, $"{tool} {arguments}");
                return;
            }
            Assert.That(TurboJpeg.TryDecode(jpeg, out string? declined), Is.Null);
            Assert.That(declined, Does.StartWith(declinedBecause));
            RgbImage.Decode(jpeg, "declined", out var decoder);
            Assert.That(decoder, Is.EqualTo(ImageDecoder.Skia));
        }
        finally
        {
            File.Delete(output);
            if (tool == "cjpeg")
                File.Delete(input);
        }
    }

    private static string WritePpm(RgbImage image)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mna-jpeg-{Environment.ProcessId}-{Guid.NewGuid():N}.ppm");
        using var f = File.Create(path);
        f.Write(System.Text.Encoding.ASCII.GetBytes($"P6\n{image.Width} {image.Height}\n255\n"));
        f.Write(image.Pixels);
        return path;
    }

    [TestCase("images/hot_dog.jpg", 50232)] // the case of ImageFuzzTests.TruncatedJpegIsAnErrorNamingTheFile
    [TestCase("images/hot_dog.jpg", 40000)]
    [TestCase("models/detection/images/kite_and_cold.jpg", 700000)]
    [TestCase("models/detection/images/kite_and_cold.jpg", 1400000)]
    public void TruncatedJpegIsDeclinedAndStillAnErrorNamingTheFile(string relative, int keep)
    {
        RequireTurboJpeg();
        Assert.That(TurboJpeg.IsEnabled, Is.True);
        byte[] cut = File.ReadAllBytes(TestData.Require(relative)).AsSpan(0, keep).ToArray();
        Assert.That(TurboJpeg.TryDecode(cut, out string? declined), Is.Null, "TurboJPEG must not return a partial image");
        Assert.That(declined, Does.Contain("warning").Or.Contain("error"));
        string path = Path.Combine(Path.GetTempPath(), $"mna-cut-{Environment.ProcessId}-{keep}.jpg");
        File.WriteAllBytes(path, cut);
        try
        {
            var ex = Assert.Throws<ImageFormatException>(() => RgbImage.Load(path))!;
            Assert.That(ex.Message, Does.StartWith(path).And.Contain("truncated"), ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>Corrupted JPEGs (bit flips, overwritten bytes, cuts) decode exactly as with SkiaSharp alone: the same
    /// pixels or the same error message.</summary>
    [Test]
    public void CorruptJpegBehavesAsWithSkiaAlone()
    {
        RequireTurboJpeg();
        var photo = RgbImage.Load(TestData.Require("images/cat.bmp"));
        var rng = new Random(20261204);
        int fast = 0, errors = 0;
        foreach (var sampling in new[] { SKJpegEncoderDownsample.Downsample420, SKJpegEncoderDownsample.Downsample444 })
        {
            byte[] whole = Crop(photo, 96, 64).EncodeJpeg(90, sampling);
            for (int n = 0; n < 150; n++)
            {
                byte[] bad = (byte[])whole.Clone();
                switch (n % 3)
                {
                    case 0:
                        bad[rng.Next(2, bad.Length)] ^= (byte)(1 << rng.Next(8));
                        break;
                    case 1:
                        rng.NextBytes(bad.AsSpan(rng.Next(2, bad.Length - 8), 8));
                        break;
                    default:
                        bad = bad.AsSpan(0, rng.Next(3, bad.Length)).ToArray();
                        break;
                }
                string expected, actual;
                try { expected = Convert.ToHexString(RgbImage.DecodeSkia(bad, "bad.jpg").Pixels); }
                catch (ImageFormatException e) { expected = e.Message; errors++; }
                try
                {
                    actual = Convert.ToHexString(RgbImage.Decode(bad, "bad.jpg", out var decoder).Pixels);
                    fast += decoder == ImageDecoder.TurboJpeg ? 1 : 0;
                }
                catch (ImageFormatException e) { actual = e.Message; }
                Assert.That(actual, Is.EqualTo(expected), $"mutation {n} ({sampling})");
            }
        }
        TestContext.Out.WriteLine($"300 mutations: {errors} errors (as before), {fast} decoded by TurboJPEG");
    }

    [Test]
    public void OversizedHeaderIsDeclinedBeforeAllocating()
    {
        RequireTurboJpeg();
        byte[] jpeg = RgbImage.Load(TestData.Require("images/cat.bmp")).EncodeJpeg(80, SKJpegEncoderDownsample.Downsample420);
        int sof = jpeg.AsSpan().IndexOf(new byte[] { 0xFF, 0xC0 });
        Assert.That(sof, Is.GreaterThan(0));
        jpeg[sof + 5] = jpeg[sof + 7] = 0xFF; // height and width 65,4xx: 2^32 pixels > MaxPixels
        Assert.That(TurboJpeg.TryDecode(jpeg, out string? declined), Is.Null);
        Assert.That(declined, Does.StartWith("image size"));
        var ex = Assert.Throws<ImageFormatException>(() => RgbImage.Decode(jpeg, "huge.jpg"))!;
        Assert.That(ex.Message, Does.StartWith("huge.jpg:").And.Contain("not supported"), ex.Message);
    }

    [Test]
    public void EnvironmentSwitchForcesSkia()
    {
        RequireTurboJpeg();
        byte[] jpeg = File.ReadAllBytes(TestData.Require("images/hot_dog.jpg"));
        string? before = Environment.GetEnvironmentVariable(TurboJpeg.DecoderVariable);
        try
        {
            Environment.SetEnvironmentVariable(TurboJpeg.DecoderVariable, "skia");
            Assert.That(TurboJpeg.IsEnabled, Is.False);
            var skia = RgbImage.Decode(jpeg, "hot_dog.jpg", out var forced);
            Assert.That(forced, Is.EqualTo(ImageDecoder.Skia));
            Environment.SetEnvironmentVariable(TurboJpeg.DecoderVariable, null);
            var turbo = RgbImage.Decode(jpeg, "hot_dog.jpg", out var chosen);
            Assert.That(chosen, Is.EqualTo(ImageDecoder.TurboJpeg));
            Assert.That(turbo.Pixels, Is.EqualTo(skia.Pixels));
            // not a JPEG: SkiaSharp, whatever the switch says
            byte[] png = turbo.EncodePng();
            RgbImage.Decode(png, "x.png", out var pngDecoder);
            Assert.That(pngDecoder, Is.EqualTo(ImageDecoder.Skia));
        }
        finally
        {
            Environment.SetEnvironmentVariable(TurboJpeg.DecoderVariable, before);
        }
    }
}
