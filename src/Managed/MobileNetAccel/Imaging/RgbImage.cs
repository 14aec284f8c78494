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
/// <c>Image.open(...).convert("RGB")</c>. Alpha is dropped (not composited). Where the system's TurboJPEG is
/// installed, common JPEGs are decoded by it instead, to the same bytes (<see cref="TurboJpeg"/>).
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

    /// <summary>Largest image file accepted (256 MiB); a FIFO, a device or an empty file is refused unread.</summary>
    public const long MaxFileBytes = 256L << 20;

    /// <summary>Decodes an image file. A file that is truncated or corrupt — one Skia cannot decode completely
    /// (<see cref="SKCodecResult.IncompleteInput"/>, <see cref="SKCodecResult.ErrorInInput"/>, ...) — raises
    /// <see cref="ImageFormatException"/> naming the file and what is wrong; nothing partially decoded is returned.</summary>
    public static RgbImage Load(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        byte[] data = BoundedFile.ReadAll(path, MaxFileBytes, "image",
            (problem, inner) => inner is null ? new ImageFormatException($"{path}: {problem}") : new ImageFormatException($"{path}: {problem}", inner));
        return Decode(data, path);
    }

    /// <summary>The image encoded as an 8-bit RGB PNG (SkiaSharp).</summary>
    public byte[] EncodePng()
    {
        using var bitmap = ToBitmap();
        using var data = bitmap.Encode(SKEncodedImageFormat.Png, 100)
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {Width}x{Height} PNG");
        return data.ToArray();
    }

    /// <summary>The image encoded as a baseline JPEG by SkiaSharp, with the given quality (1-100) and chroma
    /// subsampling (tests and the TurboJPEG self-check).</summary>
    internal byte[] EncodeJpeg(int quality, SKJpegEncoderDownsample downsample)
    {
        using var bitmap = ToBitmap();
        using var pixmap = bitmap.PeekPixels();
        using var data = pixmap.Encode(new SKJpegEncoderOptions(quality, downsample, SKJpegEncoderAlphaOption.Ignore))
            ?? throw new InvalidOperationException($"SkiaSharp could not encode a {Width}x{Height} JPEG");
        return data.ToArray();
    }

    private unsafe SKBitmap ToBitmap()
    {
        var bitmap = new SKBitmap(new SKImageInfo(Width, Height, SKColorType.Rgba8888, SKAlphaType.Opaque));
        var rgba = new Span<byte>((void*)bitmap.GetPixels(), checked(bitmap.RowBytes * Height));
        for (int y = 0; y < Height; y++)
        {
            int row = y * bitmap.RowBytes;
            long src = (long)y * Width * 3;
            for (int x = 0; x < Width; x++)
            {
                rgba[row + x * 4] = Pixels[src + x * 3];
                rgba[row + x * 4 + 1] = Pixels[src + x * 3 + 1];
                rgba[row + x * 4 + 2] = Pixels[src + x * 3 + 2];
                rgba[row + x * 4 + 3] = 255;
            }
        }
        return bitmap;
    }

    /// <summary>Writes the image as a PNG file (<see cref="EncodePng"/>), replacing one that is there.</summary>
    public void SavePng(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        File.WriteAllBytes(path, EncodePng());
    }

    /// <summary>Decodes an encoded image (JPEG/PNG/BMP...); <paramref name="name"/> is used in error messages.
    /// JPEGs go through the system's TurboJPEG (libturbojpeg.so.0) where it is installed and gives SkiaSharp's pixels
    /// byte for byte (see <see cref="TurboJpeg"/>; <c>MNA_JPEG_DECODER=skia</c> forces SkiaSharp); everything else,
    /// and every JPEG TurboJPEG declines or reports a problem with, is decoded by SkiaSharp.</summary>
    public static RgbImage Decode(byte[] data, string name = "image") => Decode(data, name, out _);

    /// <summary><see cref="Decode(byte[], string)"/>, saying which decoder made the pixels.</summary>
    internal static RgbImage Decode(byte[] data, string name, out ImageDecoder decoder)
    {
        ArgumentNullException.ThrowIfNull(data);
        if (TurboJpeg.IsJpeg(data) && TurboJpeg.IsEnabled && TurboJpeg.TryDecode(data, out _) is RgbImage fast)
        {
            decoder = ImageDecoder.TurboJpeg;
            return fast;
        }
        decoder = ImageDecoder.Skia;
        return DecodeSkia(data, name);
    }

    /// <summary>Decodes with SkiaSharp only.</summary>
    internal static unsafe RgbImage DecodeSkia(byte[] data, string name)
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
        // IncompleteInput: the data ended before the last row (a truncated download); Skia fills the rest with
        // zeros or the last row, which classifies as confidently as a real photo, so it is an error like any other.
        if (result == SKCodecResult.IncompleteInput)
            throw new ImageFormatException($"{name}: the {codec.EncodedFormat} image ({w}x{h}) is truncated or corrupt: its {data.Length} bytes end before the last row was decoded ({result})");
        if (result != SKCodecResult.Success)
            throw new ImageFormatException($"{name}: the {codec.EncodedFormat} image ({w}x{h}, {data.Length} bytes) is corrupt: decoding failed ({result})");
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

/// <summary>Which library decoded an image (<see cref="RgbImage.Decode(byte[], string, out ImageDecoder)"/>).</summary>
internal enum ImageDecoder
{
    Skia,
    TurboJpeg,
}
