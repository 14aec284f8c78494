namespace MobileNetAccel.Imaging;

/// <summary>
/// torchvision's ImageNet evaluation geometry: <c>Resize(crop / 0.875)</c> (the shorter side, aspect kept; 256 for a
/// 224 crop) then <c>CenterCrop(crop)</c>. Pair it with <see cref="NormalizationPreset.Torchvision"/> (ImageNet
/// mean/std) for torchvision/PyTorch exports.
/// </summary>
public static class TorchvisionTransform
{
    /// <summary>The shorter side torchvision resizes to before cropping <paramref name="crop"/> pixels (256 for 224).</summary>
    public static int ResizeFor(int crop) => (int)Math.Round(crop / 0.875, MidpointRounding.AwayFromZero);

    /// <summary>Resizes the shorter side to <paramref name="resize"/> (bilinear; the longer side is
    /// <c>int(resize · long / short)</c>, as torchvision computes it) and cuts the central
    /// <paramref name="cropWidth"/>×<paramref name="cropHeight"/> window (offsets <c>round((size − crop) / 2)</c>).</summary>
    public static RgbImage ResizeAndCenterCrop(RgbImage image, int resize, int cropWidth, int cropHeight)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (resize < 1 || cropWidth < 1 || cropHeight < 1)
            throw new ArgumentOutOfRangeException(nameof(resize), "sizes must be positive");
        int w = image.Width, h = image.Height;
        int nw = w <= h ? resize : (int)((long)resize * w / h);
        int nh = w <= h ? (int)((long)resize * h / w) : resize;
        if (cropWidth > nw || cropHeight > nh)
            throw new ArgumentOutOfRangeException(nameof(cropWidth), $"a {cropWidth}x{cropHeight} crop does not fit the {nw}x{nh} resized image");
        var resized = nw == w && nh == h ? image : ImageOps.Resize(image, nw, nh, ResizeMode.Bilinear);
        int top = (int)Math.Round((nh - cropHeight) / 2.0, MidpointRounding.ToEven);
        int left = (int)Math.Round((nw - cropWidth) / 2.0, MidpointRounding.ToEven);
        var dst = new byte[(long)cropWidth * cropHeight * 3];
        for (int y = 0; y < cropHeight; y++)
            Array.Copy(resized.Pixels, ((long)(top + y) * nw + left) * 3, dst, (long)y * cropWidth * 3, cropWidth * 3L);
        return new RgbImage(cropWidth, cropHeight, dst);
    }
}
