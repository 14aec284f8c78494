using System.Diagnostics;
using MobileNetAccel.Imaging;
using NUnit.Framework;
using SkiaSharp;

namespace MobileNetAccel.Tests.Reliability;

/// <summary>
/// A truncated or corrupt image is an <see cref="ImageFormatException"/> naming the file, never a silent
/// classification of half a picture. The fuzz case mutates small JPEG, PNG, BMP, GIF and WebP files (a photo scaled
/// to 64×48; PNG, BMP, GIF and lossless WebP are checked pixel for pixel when unmutated) 2,400 times in all —
/// truncations, bit flips, overwritten, inserted and deleted bytes, a spliced header — and requires for each: a clean
/// <see cref="ImageFormatException"/> or a complete decode, nothing else, within 2 s; a file cut by 32 bytes or more
/// must be an error.
/// </summary>
[TestFixture]
public class ImageFuzzTests
{
    private const int W = 64, H = 48;
    private const int MutationsPerSeed = 400;
    private static readonly TimeSpan PerFileLimit = TimeSpan.FromSeconds(2);

    [Test]
    public void TruncatedJpegIsAnErrorNamingTheFile()
    {
        // The case from the issue: hot_dog.jpg cut at 50,232 bytes was classified "wing" with exit 0.
        var whole = File.ReadAllBytes(TestData.Require("images/hot_dog.jpg"));
        Assert.That(RgbImage.Decode(whole, "hot_dog.jpg").Width, Is.GreaterThan(0));
        string path = WriteTemp("t.jpg", whole.AsSpan(0, 50232).ToArray());
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

    [TestCase(54)]     // just the headers
    [TestCase(1000)]
    [TestCase(400000)] // most of the pixels
    public void TruncatedBmpIsAnErrorNamingTheFile(int keep)
    {
        var whole = File.ReadAllBytes(TestData.Require("images/cat.bmp"));
        string path = WriteTemp("cut.bmp", whole.AsSpan(0, keep).ToArray());
        try
        {
            var ex = Assert.Throws<ImageFormatException>(() => RgbImage.Load(path))!;
            Assert.That(ex.Message, Does.StartWith(path), ex.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Test]
    public void FifoDeviceAndEmptyFileAreRefusedUnread()
    {
        string dir = Path.Combine(Path.GetTempPath(), $"mna-img-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            string empty = Path.Combine(dir, "empty.png");
            File.WriteAllBytes(empty, Array.Empty<byte>());
            string zero = Path.Combine(dir, "zero.jpg");
            File.CreateSymbolicLink(zero, "/dev/zero");
            var paths = new List<string> { empty, zero };
            if (OperatingSystem.IsLinux())
            {
                string fifo = Path.Combine(dir, "fifo.bmp");
                using (var p = Process.Start("mkfifo", fifo))
                    p.WaitForExit();
                paths.Add(fifo);
            }
            foreach (var p in paths)
            {
                var sw = Stopwatch.StartNew();
                var ex = Assert.Throws<ImageFormatException>(() => RgbImage.Load(p))!;
                Assert.That(ex.Message, Does.StartWith(p).And.Contain("regular file"), ex.Message);
                Assert.That(sw.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), p);
            }
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    private static string WriteTemp(string name, byte[] data)
    {
        string path = Path.Combine(Path.GetTempPath(), $"mna-{Guid.NewGuid():N}-{name}");
        File.WriteAllBytes(path, data);
        return path;
    }

    /// <summary>RGB pixels of a photo scaled to W×H.</summary>
    private static byte[] SourcePixels()
    {
        var photo = RgbImage.Load(TestData.Require("images/grace_hopper.bmp"));
        var rgb = new byte[W * H * 3];
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int sx = x * photo.Width / W, sy = y * photo.Height / H;
                for (int c = 0; c < 3; c++)
                    rgb[(y * W + x) * 3 + c] = photo.Pixels[((long)sy * photo.Width + sx) * 3 + c];
            }
        return rgb;
    }

    private static SKBitmap Bitmap(byte[] rgb)
    {
        var bmp = new SKBitmap(new SKImageInfo(W, H, SKColorType.Rgba8888, SKAlphaType.Opaque));
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int i = (y * W + x) * 3;
                bmp.SetPixel(x, y, new SKColor(rgb[i], rgb[i + 1], rgb[i + 2]));
            }
        return bmp;
    }

    private static byte[] Encode(SKBitmap bmp, SKEncodedImageFormat format, int quality)
    {
        using var data = bmp.Encode(format, quality) ?? throw new InvalidOperationException($"Skia cannot encode {format}");
        return data.ToArray();
    }

    private static byte[] EncodeWebpLossless(SKBitmap bmp)
    {
        using var pixmap = bmp.PeekPixels();
        using var data = pixmap.Encode(new SKWebpEncoderOptions(SKWebpEncoderCompression.Lossless, 100))
            ?? throw new InvalidOperationException("Skia cannot encode lossless WebP");
        return data.ToArray();
    }

    /// <summary>24-bit bottom-up BMP (BITMAPINFOHEADER), rows padded to 4 bytes.</summary>
    private static byte[] EncodeBmp(byte[] rgb)
    {
        int stride = (W * 3 + 3) & ~3;
        var f = new byte[54 + stride * H];
        void U32(int at, int v) => BitConverter.GetBytes(v).CopyTo(f, at);
        f[0] = (byte)'B'; f[1] = (byte)'M';
        U32(2, f.Length); U32(10, 54); U32(14, 40); U32(18, W); U32(22, H);
        f[26] = 1; f[28] = 24; U32(34, stride * H);
        for (int y = 0; y < H; y++)
            for (int x = 0; x < W; x++)
            {
                int s = (y * W + x) * 3, d = 54 + (H - 1 - y) * stride + x * 3;
                f[d] = rgb[s + 2]; f[d + 1] = rgb[s + 1]; f[d + 2] = rgb[s];
            }
        return f;
    }

    /// <summary>GIF89a with a 3-3-2 palette; LZW with 9-bit codes (a clear code every 250 literals keeps the width
    /// fixed). Returns the file and the pixels it holds (the palette colours).</summary>
    private static (byte[] File, byte[] Pixels) EncodeGif(byte[] rgb)
    {
        var palette = new byte[768];
        for (int i = 0; i < 256; i++)
        {
            palette[i * 3] = (byte)((i >> 5) * 255 / 7);
            palette[i * 3 + 1] = (byte)(((i >> 2) & 7) * 255 / 7);
            palette[i * 3 + 2] = (byte)((i & 3) * 255 / 3);
        }
        var index = new byte[W * H];
        var pixels = new byte[W * H * 3];
        for (int p = 0; p < W * H; p++)
        {
            int k = ((rgb[p * 3] * 7 + 127) / 255 << 5) | ((rgb[p * 3 + 1] * 7 + 127) / 255 << 2) | ((rgb[p * 3 + 2] * 3 + 127) / 255);
            index[p] = (byte)k;
            Array.Copy(palette, k * 3, pixels, p * 3, 3);
        }
        var codes = new List<byte>();
        int acc = 0, bits = 0;
        void Emit(int code)
        {
            acc |= code << bits;
            bits += 9;
            while (bits >= 8)
            {
                codes.Add((byte)acc);
                acc >>= 8;
                bits -= 8;
            }
        }
        for (int p = 0; p < index.Length; p++)
        {
            if (p % 250 == 0)
                Emit(256);
            Emit(index[p]);
        }
        Emit(257);
        if (bits > 0)
            codes.Add((byte)acc);
        var f = new List<byte>();
        f.AddRange("GIF89a"u8.ToArray());
        f.AddRange(new byte[] { W, 0, H, 0, 0xF7, 0, 0 });
        f.AddRange(palette);
        f.AddRange(new byte[] { 0x2C, 0, 0, 0, 0, W, 0, H, 0, 0, 8 });
        for (int i = 0; i < codes.Count; i += 255)
        {
            int n = Math.Min(255, codes.Count - i);
            f.Add((byte)n);
            f.AddRange(codes.Skip(i).Take(n));
        }
        f.Add(0);
        f.Add(0x3B);
        return (f.ToArray(), pixels);
    }

    private static List<(string Name, byte[] File, byte[]? Exact)> Seeds()
    {
        var rgb = SourcePixels();
        using var bmp = Bitmap(rgb);
        var gif = EncodeGif(rgb);
        return new()
        {
            ("jpeg", Encode(bmp, SKEncodedImageFormat.Jpeg, 90), null),
            ("png", Encode(bmp, SKEncodedImageFormat.Png, 100), rgb),
            ("bmp", EncodeBmp(rgb), rgb),
            ("gif", gif.File, gif.Pixels),
            ("webp-lossy", Encode(bmp, SKEncodedImageFormat.Webp, 80), null),
            ("webp-lossless", EncodeWebpLossless(bmp), rgb),
        };
    }

    [Test]
    public void SeedsDecodeCompletelyAndExactly()
    {
        foreach (var (name, file, exact) in Seeds())
        {
            var img = RgbImage.Decode(file, name);
            Assert.That((img.Width, img.Height), Is.EqualTo((W, H)), name);
            if (exact is not null)
                Assert.That(img.Pixels, Is.EqualTo(exact), $"{name}: decoded pixels differ from the encoded ones");
            // Each format's truncation at the middle is an error naming the file (the check this fixture is about).
            var ex = Assert.Throws<ImageFormatException>(() => RgbImage.Decode(file.AsSpan(0, file.Length / 2).ToArray(), $"half.{name}"))!;
            Assert.That(ex.Message, Does.StartWith($"half.{name}:"), ex.Message);
        }
    }

    [Test]
    public void MutatedFilesGiveACleanErrorOrACompleteDecode()
    {
        var rng = new Random(19);
        int files = 0, errors = 0, decoded = 0;
        var slowest = TimeSpan.Zero;
        var failures = new List<string>();
        foreach (var (name, seed, _) in Seeds())
        {
            for (int m = 0; m < MutationsPerSeed; m++)
            {
                var (data, what, mustFail) = Mutate(seed, rng);
                string label = $"{name} #{m} ({what})";
                files++;
                var sw = Stopwatch.StartNew();
                try
                {
                    var img = RgbImage.Decode(data, label);
                    if (img.Width < 1 || img.Height < 1 || img.Pixels.LongLength != 3L * img.Width * img.Height)
                        failures.Add($"{label}: inconsistent image {img.Width}x{img.Height}, {img.Pixels.LongLength} bytes");
                    else if (mustFail)
                        failures.Add($"{label}: a file cut by >= 32 bytes decoded as {img.Width}x{img.Height}");
                    decoded++;
                }
                catch (ImageFormatException e)
                {
                    if (!e.Message.StartsWith(label + ":", StringComparison.Ordinal))
                        failures.Add($"{label}: the error does not name the input: {e.Message}");
                    errors++;
                }
                catch (Exception e)
                {
                    failures.Add($"{label}: {e.GetType().Name}: {e.Message}");
                }
                sw.Stop();
                if (sw.Elapsed > slowest)
                    slowest = sw.Elapsed;
                if (sw.Elapsed > PerFileLimit)
                    failures.Add($"{label}: took {sw.Elapsed.TotalMilliseconds:F0} ms");
            }
        }
        TestContext.Out.WriteLine($"image fuzz: {files} mutated files, {errors} clean errors, {decoded} complete decodes, slowest {slowest.TotalMilliseconds:F1} ms");
        Assert.That(files, Is.GreaterThanOrEqualTo(2000));
        Assert.That(failures, Is.Empty, string.Join("\n", failures.Take(20)));
        Assert.That(errors, Is.GreaterThan(files / 4), "most mutations (all truncations) must be errors");
    }

    private static (byte[] Data, string What, bool MustFail) Mutate(byte[] seed, Random rng)
    {
        var d = (byte[])seed.Clone();
        switch (rng.Next(7))
        {
            case 0:
            case 1:
            {
                int keep = rng.Next(0, seed.Length);
                return (d.AsSpan(0, keep).ToArray(), $"cut to {keep} of {seed.Length} bytes", seed.Length - keep >= 32);
            }
            case 2:
            {
                int n = 1 + rng.Next(8);
                for (int i = 0; i < n; i++)
                    d[rng.Next(d.Length)] ^= (byte)(1 << rng.Next(8));
                return (d, $"{n} bit flips", false);
            }
            case 3:
            {
                // Overwrite a run in the first 64 bytes (headers: sizes, types, lengths) with 0x00 or 0xFF.
                int at = rng.Next(Math.Min(64, d.Length)), n = 1 + rng.Next(4);
                byte v = rng.Next(2) == 0 ? (byte)0 : (byte)0xFF;
                for (int i = at; i < Math.Min(d.Length, at + n); i++)
                    d[i] = v;
                return (d, $"{n} header bytes at {at} set to {v:X2}", false);
            }
            case 4:
            {
                int at = rng.Next(d.Length), n = 1 + rng.Next(16);
                var ins = new byte[n];
                rng.NextBytes(ins);
                return (d.Take(at).Concat(ins).Concat(d.Skip(at)).ToArray(), $"{n} random bytes inserted at {at}", false);
            }
            case 5:
            {
                int at = rng.Next(d.Length), n = 1 + rng.Next(Math.Min(64, d.Length - at));
                return (d.Take(at).Concat(d.Skip(at + n)).ToArray(), $"{n} bytes deleted at {at}", false);
            }
            default:
            {
                // A random block of the file overwritten with random bytes.
                int at = rng.Next(d.Length), n = Math.Min(d.Length - at, 1 + rng.Next(256));
                rng.NextBytes(d.AsSpan(at, n));
                return (d, $"{n} bytes at {at} randomised", false);
            }
        }
    }
}
