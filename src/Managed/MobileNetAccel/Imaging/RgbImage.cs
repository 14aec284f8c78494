using SkiaSharp;

namespace MobileNetAccel.Imaging;

/// <summary>Raised when an image file cannot be read or decoded; the message names the file.</summary>
public sealed class ImageFormatException : Exception
{
    public ImageFormatException(string message) : base(message) { }
    public ImageFormatException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>
/// An 8-bit RGB image, rows top to bottom, pixels interleaved R,G,B. Decoded with SkiaSharp (JPEG, PNG, BMP, and
/// whatever else Skia decodes) without colour management or EXIF rotation — the pixels as stored, like PIL's
/// <c>Image.open(...).convert("RGB")</c>. Alpha is dropped (not composited).
/// </summary>
public sealed class RgbImage
{
    public RgbImage(int width, int height, byte[] pixels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(pixels);
        if (pixels.LongLength != 3L * width * height)
            throw new ArgumentException($"{pixels.Length} bytes for a {width}x{height} RGB image ({3L * width * height} expected)", nameof(pixels));
        Width = width;
        Height = height;
        Pixels = pixels;
    }

    public int Width { get; }
    public int Height { get; }
    /// <summary>Height × Width × 3 bytes.</summary>
    public byte[] Pixels { get; }

    /// <summary>Largest image accepted (pixels), to keep a hostile header from allocating gigabytes.</summary>
    public const long MaxPixels = 1L << 28;

    /// <summary>Decodes an image file.</summary>
    public static RgbImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data;
        try
        {
            data = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ImageFormatException($"{path}: cannot read the file: {e.Message}", e);
        }
        return Decode(data, path);
    }

    /// <summary>Decodes an encoded image (JPEG/PNG/BMP...); <paramref name="name"/> is used in error messages.</summary>
    public static unsafe RgbImage Decode(byte[] data, string name = "image")
    {
        ArgumentNullException.ThrowIfNull(data);
        using var skData = SKData.CreateCopy(data);
        using var codec = SKCodec.Create(skData)
            ?? throw new ImageFormatException($"{name}: not a decodable image (JPEG, PNG, BMP ...)");
        int w = codec.Info.Width, h = codec.Info.Height;
        if (w < 1 || h < 1 || (long)w * h > MaxPixels)
            throw new ImageFormatException($"{name}: image size {w}x{h} is not supported");
        var info = new SKImageInfo(w, h, SKColorType.Rgba8888, SKAlphaType.Unpremul);
        var rgba = new byte[(long)w * h * 4];
        SKCodecResult result;
        fixed (byte* p = rgba)
            result = codec.GetPixels(info, (nint)p);
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
            throw new ImageFormatException($"{name}: decoding failed ({result})");
        var rgb = new byte[(long)w * h * 3];
        for (long i = 0, j = 0; i < rgb.Length; i += 3, j += 4)
        {
            rgb[i] = rgba[j];
            rgb[i + 1] = rgba[j + 1];
            rgb[i + 2] = rgba[j + 2];
        }
        return new RgbImage(w, h, rgb);
    }
}
