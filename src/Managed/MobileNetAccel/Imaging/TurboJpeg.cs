using System.Runtime.InteropServices;

namespace MobileNetAccel.Imaging;

/// <summary>
/// The optional fast JPEG path of <see cref="RgbImage.Decode(byte[], string)"/>: the system's TurboJPEG library
/// (<c>libturbojpeg.so.0</c>, Debian package libturbojpeg0, with libjpeg-turbo's SIMD code), loaded once, lazily,
/// with <see cref="NativeLibrary.TryLoad(string, out nint)"/> and called through function pointers (native-AOT safe).
/// It decodes with the accurate integer IDCT and fancy upsampling straight to RGB — what SkiaSharp's bundled
/// libjpeg-turbo (2.1.5.1, without SIMD) does — so the pixels are byte for byte SkiaSharp's.
/// <para>It is only used for the kinds of JPEG the tests compare byte for byte with SkiaSharp's decode
/// (JpegDecoderTests): baseline, extended (16-bit quantization tables) or progressive Huffman-coded 8-bit frames,
/// with or without restart markers, in YCbCr with 4:4:4, 4:2:2, 4:2:0, 4:4:0 or 4:1:1 sampling, or grayscale (both
/// decoders expand it to R = G = B). Anything else (CMYK/YCCK, RGB-coded, arithmetic coding, lossless, unusual
/// sampling factors), and any file TurboJPEG reports an error or a warning for (truncated or corrupt data), is
/// declined and goes to SkiaSharp, so today's errors and messages stay. Before its first use a self-check decodes
/// small JPEGs that SkiaSharp encoded (4:4:4, 4:2:2, 4:2:0, a size that is not a multiple of the MCU) both ways and
/// disables the path for the process if any byte differs (another libjpeg-turbo version on the system, say).
/// <c>MNA_JPEG_DECODER=skia</c> forces SkiaSharp.</para>
/// </summary>
internal static unsafe class TurboJpeg
{
    internal const string LibraryName = "libturbojpeg.so.0";

    /// <summary>Environment variable: <c>skia</c> forces SkiaSharp for JPEGs (read on every decode).</summary>
    internal const string DecoderVariable = "MNA_JPEG_DECODER";

    private const int PixelFormatRgb = 0;  // TJPF_RGB
    private const int ErrorWarning = 0;    // TJERR_WARNING
    private const int ColorspaceYCbCr = 1; // TJCS_YCbCr
    private const int ColorspaceGray = 2;  // TJCS_GRAY
    private const int Samp444 = 0, Samp422 = 1, Samp420 = 2, SampGray = 3, Samp440 = 4, Samp411 = 5; // TJSAMP_*

    private sealed class Api
    {
        public delegate* unmanaged<nint> InitDecompress;
        public delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int> DecompressHeader3;
        public delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int> Decompress2;
        public delegate* unmanaged<nint, byte*> GetErrorStr2;
        public delegate* unmanaged<nint, int> GetErrorCode;
        public delegate* unmanaged<nint, int> Destroy;
    }

    private static readonly Lazy<Api?> s_api = new(Load, LazyThreadSafetyMode.ExecutionAndPublication);
    private static readonly Lazy<string?> s_selfCheck = new(SelfCheck, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>Whether libturbojpeg.so.0 was found and has the functions used.</summary>
    internal static bool IsLoaded => s_api.Value is not null;

    /// <summary>Null when the self-check passed; otherwise why the fast path is off for this process.</summary>
    internal static string? SelfCheckFailure => s_selfCheck.Value;

    /// <summary>Whether JPEGs go through TurboJPEG now: loaded, self-checked and not switched off.</summary>
    internal static bool IsEnabled =>
        !string.Equals(Environment.GetEnvironmentVariable(DecoderVariable), "skia", StringComparison.OrdinalIgnoreCase)
        && IsLoaded && SelfCheckFailure is null;

    /// <summary>Starts with SOI (FF D8) and a marker.</summary>
    internal static bool IsJpeg(ReadOnlySpan<byte> data) => data.Length >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF;

    private static Api? Load()
    {
        if (!OperatingSystem.IsLinux() || !NativeLibrary.TryLoad(LibraryName, out nint lib))
            return null;
        var api = new Api();
        if (!NativeLibrary.TryGetExport(lib, "tjInitDecompress", out nint init)
            || !NativeLibrary.TryGetExport(lib, "tjDecompressHeader3", out nint header)
            || !NativeLibrary.TryGetExport(lib, "tjDecompress2", out nint decompress)
            || !NativeLibrary.TryGetExport(lib, "tjGetErrorStr2", out nint errorStr)
            || !NativeLibrary.TryGetExport(lib, "tjGetErrorCode", out nint errorCode)
            || !NativeLibrary.TryGetExport(lib, "tjDestroy", out nint destroy))
        {
            NativeLibrary.Free(lib);
            return null;
        }
        api.InitDecompress = (delegate* unmanaged<nint>)init;
        api.DecompressHeader3 = (delegate* unmanaged<nint, byte*, CULong, int*, int*, int*, int*, int>)header;
        api.Decompress2 = (delegate* unmanaged<nint, byte*, CULong, byte*, int, int, int, int, int, int>)decompress;
        api.GetErrorStr2 = (delegate* unmanaged<nint, byte*>)errorStr;
        api.GetErrorCode = (delegate* unmanaged<nint, int>)errorCode;
        api.Destroy = (delegate* unmanaged<nint, int>)destroy;
        return api; // the library stays loaded for the life of the process
    }

    /// <summary>
    /// Decodes <paramref name="data"/> with TurboJPEG if it is a JPEG of a verified kind and decodes without error
    /// or warning; otherwise returns null and says why in <paramref name="declined"/> (the caller then uses SkiaSharp).
    /// Does not look at <see cref="IsEnabled"/>. <paramref name="unverifiedKinds"/> (tests) lifts the restriction to
    /// verified frame types, colour spaces and subsamplings.
    /// </summary>
    internal static RgbImage? TryDecode(byte[] data, out string? declined, bool unverifiedKinds = false)
    {
        var api = s_api.Value;
        if (api is null)
        {
            declined = $"{LibraryName} is not loaded";
            return null;
        }
        if (!IsJpeg(data))
        {
            declined = "not a JPEG (no SOI marker)";
            return null;
        }
        if (!unverifiedKinds && FrameKind(data) is string unsupported)
        {
            declined = unsupported;
            return null;
        }
        nint handle = api.InitDecompress();
        if (handle == 0)
        {
            declined = "tjInitDecompress failed";
            return null;
        }
        try
        {
            int w, h, subsamp, colorspace;
            fixed (byte* src = data)
            {
                if (api.DecompressHeader3(handle, src, new CULong((nuint)data.Length), &w, &h, &subsamp, &colorspace) != 0)
                {
                    declined = Error(api, handle, "tjDecompressHeader3");
                    return null;
                }
                if (!unverifiedKinds && !(colorspace == ColorspaceYCbCr && subsamp is Samp444 or Samp422 or Samp420 or Samp440 or Samp411)
                    && !(colorspace == ColorspaceGray && subsamp == SampGray))
                {
                    declined = $"colour space {colorspace} with subsampling {subsamp} (TJCS_*, TJSAMP_*) is not verified against SkiaSharp";
                    return null;
                }
                if (w < 1 || h < 1 || (long)w * h > RgbImage.MaxPixels)
                {
                    declined = $"image size {w}x{h} is not supported";
                    return null;
                }
                var rgb = GC.AllocateUninitializedArray<byte>(checked(w * h * 3)); // every byte is written on success
                fixed (byte* dst = rgb)
                {
                    // pitch w*3 (0 would mean the same), flags 0: accurate integer IDCT, fancy upsampling, no stop on warning
                    if (api.Decompress2(handle, src, new CULong((nuint)data.Length), dst, w, w * 3, h, PixelFormatRgb, 0) != 0)
                    {
                        declined = Error(api, handle, "tjDecompress2");
                        return null;
                    }
                }
                declined = null;
                return new RgbImage(w, h, rgb);
            }
        }
        finally
        {
            api.Destroy(handle);
        }
    }

    private static string Error(Api api, nint handle, string function)
    {
        string kind = api.GetErrorCode(handle) == ErrorWarning ? "warning" : "error";
        string message = Marshal.PtrToStringUTF8((nint)api.GetErrorStr2(handle)) ?? "?";
        return $"{function}: {kind}: {message}";
    }

    /// <summary>Null for a frame TurboJPEG may decode here (SOF0 baseline, SOF1 extended or SOF2 progressive, Huffman
    /// coded); otherwise why not. Walks the marker segments from SOI to the first SOF; data it cannot follow is left
    /// to SkiaSharp.</summary>
    internal static string? FrameKind(ReadOnlySpan<byte> data)
    {
        int i = 2;
        while (i + 4 <= data.Length)
        {
            if (data[i] != 0xFF)
                return "marker segments could not be followed";
            byte marker = data[i + 1];
            if (marker == 0xFF)
            {
                i++; // fill byte
                continue;
            }
            if (marker is 0xC0 or 0xC1 or 0xC2)
                return null;
            if (marker is >= 0xC3 and <= 0xCF and not 0xC4 and not 0xC8 and not 0xCC)
                return $"frame type SOF{marker - 0xC0} (lossless, hierarchical or arithmetic coding) is left to SkiaSharp";
            if (marker is 0xD9 or 0xDA || marker is >= 0xD0 and <= 0xD8 || marker == 0x01)
                return $"marker FF{marker:X2} before the frame header";
            i += 2 + (data[i + 2] << 8 | data[i + 3]);
        }
        return "no frame header";
    }

    /// <summary>Encodes small images with SkiaSharp (4:4:4, 4:2:2, 4:2:0; sizes not a multiple of the MCU) and
    /// requires TurboJPEG's decode of each to equal SkiaSharp's byte for byte.</summary>
    private static string? SelfCheck()
    {
        if (!IsLoaded)
            return $"{LibraryName} is not loaded";
        try
        {
            foreach (var (w, h, sampling) in new[] { (37, 21, SkiaSharp.SKJpegEncoderDownsample.Downsample444),
                (37, 21, SkiaSharp.SKJpegEncoderDownsample.Downsample422), (37, 21, SkiaSharp.SKJpegEncoderDownsample.Downsample420) })
            {
                var pixels = new byte[w * h * 3];
                for (int y = 0; y < h; y++)
                    for (int x = 0; x < w; x++)
                    {
                        int k = (y * w + x) * 3;
                        pixels[k] = (byte)(x * 7 + y * 3);
                        pixels[k + 1] = (byte)((x * y * 13) ^ (x << 2));
                        pixels[k + 2] = (byte)(255 - y * 11 + (x & 5) * 40);
                    }
                byte[] jpeg = new RgbImage(w, h, pixels).EncodeJpeg(90, sampling);
                var fast = TryDecode(jpeg, out string? declined);
                if (fast is null)
                    return $"self-check ({sampling}): declined: {declined}";
                var skia = RgbImage.DecodeSkia(jpeg, "self-check");
                if (!fast.Pixels.AsSpan().SequenceEqual(skia.Pixels))
                    return $"self-check ({sampling}): TurboJPEG's pixels differ from SkiaSharp's";
            }
            return null;
        }
        catch (Exception e) // whatever goes wrong only turns the fast path off (a Lazy would rethrow it on every decode)
        {
            return $"self-check: {e.Message}";
        }
    }
}
