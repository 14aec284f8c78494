using System.Runtime.InteropServices;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel;

/// <summary>
/// Semantic segmentation in one call (DeepLabV3-style models: an RGB image in, a class per pixel out). The input is
/// prepared from the model (its size, type and quantization: uint8 pixels as they are, int8 pixel − 128, float
/// (x − 127.5)/127.5); the model's mask (an ARG_MAX index output [1,H,W], or per-class scores [1,H,W,C] whose argmax
/// is taken here, first maximum winning) is mapped back to the image's own size by nearest neighbour with the integer
/// rule src = floor((2·dst + 1)·src_size / (2·dst_size)). Thread-safe like <see cref="InferenceSession"/>.
/// <code>
/// using var segmenter = new Segmenter("deeplabv3_mnv2_pascal_quant.tflite", "pascal_voc_segmentation_labels.txt");
/// var result = segmenter.Segment("photo.jpg");
/// foreach (var c in result.Present) Console.WriteLine($"{c.Label}: {c.Share:P1}");
/// result.ColorMask().SavePng("mask.png");
/// </code>
/// </summary>
public sealed class Segmenter : IDisposable
{
    private readonly int _height, _width;
    private readonly bool _indexOutput;

    /// <summary>Loads <paramref name="modelPath"/> into a session with <paramref name="options"/>, and the labels
    /// (<see cref="Classifier.LoadLabels"/>, up to its first blank line: what follows is a note): one per class, class 0
    /// first (e.g. PASCAL VOC's 21 with "background"); another count is an <see cref="InvalidDataException"/> naming both.</summary>
    public Segmenter(string modelPath, string? labelsPath = null, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var model = Model.Load(modelPath);
        string[]? labels = labelsPath is null ? null : Classifier.LoadLabels(labelsPath);
        // The labels end at a blank line: what follows is a note (Coral's PASCAL VOC file explains the 255 ignore label there).
        if (labels is not null && Array.FindIndex(labels, l => l.Length == 0) is > 0 and var blank)
            labels = labels[..blank];
        Session = new InferenceSession(model, options);
        try
        {
            (_height, _width, bool nchw) = ImagePreprocessor.Geometry(Session.Inputs[0].Shape);
            if (Session.Inputs[0].Shape[0] != 1)
                throw new NotSupportedException($"{modelPath}: Segmenter runs one image; the input {Session.Inputs[0]} has batch {Session.Inputs[0].Shape[0]}");
            var output = Session.Outputs[0];
            int[] s = output.Shape;
            if (output.DataType is DataType.Int64 or DataType.Int32 && s.Length == 3 && s[0] == 1)
            {
                _indexOutput = true;
                MaskHeight = s[1];
                MaskWidth = s[2];
                var argMaxes = Session.Graph.Nodes.OfType<ArgMaxNode>().ToList();
                var argMax = argMaxes.LastOrDefault(n => n.Output.Name == output.Name) ?? argMaxes.LastOrDefault()
                    ?? throw new NotSupportedException($"{modelPath}: the index output {output} is not an ARG_MAX: the number of classes is unknown");
                Classes = argMax.Input.Shape[argMax.Axis];
            }
            else if (output.DataType is DataType.Float32 or DataType.UInt8 or DataType.Int8 && s.Length == 4 && s[0] == 1 && !nchw)
            {
                MaskHeight = s[1];
                MaskWidth = s[2];
                Classes = s[3];
            }
            else
                throw new NotSupportedException($"{modelPath}: output {output} is not a segmentation mask (int64/int32 [1,H,W] class indices, or NHWC [1,H,W,classes] scores)");
            if (Classes > 256)
                throw new NotSupportedException($"{modelPath}: {Classes} classes; Segmenter's masks hold at most 256");
            if (labels is not null && labels.Length != Classes)
                throw new InvalidDataException($"{labelsPath} has {labels.Length} labels but the model has {Classes} classes: a segmentation labels file has one line per class, class 0 (background) first");
            Labels = labels ?? Enumerable.Range(0, Classes).Select(_ => "").ToArray();
        }
        catch
        {
            Session.Dispose();
            throw;
        }
    }

    /// <summary>The session the segmenter runs.</summary>
    public InferenceSession Session { get; }

    /// <summary>Number of classes (21 for PASCAL VOC).</summary>
    public int Classes { get; }

    /// <summary>The labels, index i = class i; "" each without a labels file.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Size of the model's own mask (513x513 for DeepLabV3).</summary>
    public int MaskWidth { get; }

    /// <inheritdoc cref="MaskWidth"/>
    public int MaskHeight { get; }

    /// <summary>How the image is resized to the input: <see cref="ResizeMode.Nearest"/> (default) by the integer
    /// rule above, <see cref="ResizeMode.Bilinear"/> with pixel-centre alignment.</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Nearest;

    /// <summary>Decodes <paramref name="imagePath"/> (a corrupt file is an <see cref="ImageFormatException"/>) and segments it.</summary>
    public SegmentationResult Segment(string imagePath) => Segment(RgbImage.Load(imagePath));

    /// <summary>The class of every pixel of <paramref name="image"/>, at its size.</summary>
    public SegmentationResult Segment(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Postprocess(image, Infer(Prepare(image)));
    }

    // The stages of Segment, one by one, so that `mobilenet bench` times the very code Segment runs.

    /// <summary>Stage 1: the image resized to the input and converted to its type (raw input bytes).</summary>
    internal byte[] Prepare(RgbImage image)
    {
        var input = Session.Inputs[0];
        var sized = image.Width == _width && image.Height == _height ? image
            : Resize == ResizeMode.Nearest ? ImageOps.ResizeNearestExact(image, _width, _height)
            : ImageOps.Resize(image, _width, _height, Resize);
        return ImagePreprocessor.ToTensor(sized, input.Shape, input.DataType, input.Quantization);
    }

    /// <summary>Stage 2: the graph on the input bytes; the raw output bytes.</summary>
    internal byte[] Infer(byte[] input)
    {
        var output = Session.Outputs[0];
        var outBytes = new byte[output.ElementCount * output.DataType.SizeInBytes()];
        Session.RunRaw(input, outBytes);
        return outBytes;
    }

    /// <summary>Stage 3: the model's mask (argmax where the model gives scores) mapped to the image's size.</summary>
    internal SegmentationResult Postprocess(RgbImage image, byte[] output)
    {
        var mask = ModelMask(Session.Outputs[0], output);
        var (full, counts) = ToImageSize(mask, image.Width, image.Height);
        return new SegmentationResult(image.Width, image.Height, full, Labels, counts);
    }

    /// <summary>The model's mask, MaskHeight × MaskWidth class indices.</summary>
    private byte[] ModelMask(TensorInfo output, byte[] raw)
    {
        int n = MaskWidth * MaskHeight;
        var mask = new byte[n];
        if (_indexOutput)
        {
            if (output.DataType == DataType.Int64)
            {
                var ids = MemoryMarshal.Cast<byte, long>(raw);
                for (int i = 0; i < n; i++)
                    mask[i] = ids[i] >= 0 && ids[i] < Classes ? (byte)ids[i] : throw OutOfRange(ids[i]);
            }
            else
            {
                var ids = MemoryMarshal.Cast<byte, int>(raw);
                for (int i = 0; i < n; i++)
                    mask[i] = ids[i] >= 0 && ids[i] < Classes ? (byte)ids[i] : throw OutOfRange(ids[i]);
            }
            return mask;
        }
        int c = Classes;
        if (output.DataType == DataType.Float32)
        {
            var f = MemoryMarshal.Cast<byte, float>(raw);
            for (int i = 0; i < n; i++)
            {
                int best = 0;
                for (int k = 1; k < c; k++)
                    if (f[i * c + k] > f[i * c + best])
                        best = k;
                mask[i] = (byte)best;
            }
        }
        else
        {
            bool signed = output.DataType == DataType.Int8;
            for (int i = 0; i < n; i++)
            {
                int best = 0, bestValue = signed ? (sbyte)raw[i * c] : raw[i * c];
                for (int k = 1; k < c; k++)
                {
                    int v = signed ? (sbyte)raw[i * c + k] : raw[i * c + k];
                    if (v > bestValue)
                        (best, bestValue) = (k, v);
                }
                mask[i] = (byte)best;
            }
        }
        return mask;
    }

    private InvalidDataException OutOfRange(long id) => new($"the model's mask holds class {id}, outside 0..{Classes - 1}");

    /// <summary>The mask at the image's size (nearest neighbour) and its pixels per class. An output row whose source
    /// row is the previous one's is a copy of it; the counts come from the model's mask, each of its pixels weighted by
    /// how many image pixels take it (rows × columns), so the large mask is written once and never re-read.</summary>
    private (byte[] Mask, long[] Counts) ToImageSize(byte[] mask, int width, int height)
    {
        var counts = new long[Classes];
        if (width == MaskWidth && height == MaskHeight)
        {
            foreach (byte c in mask)
                counts[c]++;
            return (mask, counts);
        }
        int[] xs = ImageOps.NearestIndicesExact(MaskWidth, width), ys = ImageOps.NearestIndicesExact(MaskHeight, height);
        var r = new byte[(long)width * height];
        for (int y = 0; y < height; y++)
        {
            var row = r.AsSpan(y * width, width);
            if (y > 0 && ys[y] == ys[y - 1])
            {
                r.AsSpan((y - 1) * width, width).CopyTo(row);
                continue;
            }
            var src = mask.AsSpan(ys[y] * MaskWidth, MaskWidth);
            for (int x = 0; x < row.Length; x++)
                row[x] = src[xs[x]];
        }
        var takeX = new long[MaskWidth];
        var takeY = new long[MaskHeight];
        foreach (int x in xs)
            takeX[x]++;
        foreach (int y in ys)
            takeY[y]++;
        for (int y = 0; y < MaskHeight; y++)
        {
            if (takeY[y] == 0)
                continue;
            var src = mask.AsSpan(y * MaskWidth, MaskWidth);
            for (int x = 0; x < MaskWidth; x++)
                counts[src[x]] += takeY[y] * takeX[x];
        }
        return (r, counts);
    }

    public void Dispose() => Session.Dispose();
}

/// <summary>A class present in a <see cref="SegmentationResult"/>: its pixels and their share of the image.</summary>
public sealed record SegmentClass(int Index, string Label, long Pixels, double Share);

/// <summary>The class of every pixel of an image (<see cref="Segmenter.Segment(RgbImage)"/>), at the image's size.</summary>
public sealed class SegmentationResult
{
    public SegmentationResult(int width, int height, byte[] mask, IReadOnlyList<string> labels)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(height, 1);
        ArgumentNullException.ThrowIfNull(mask);
        ArgumentNullException.ThrowIfNull(labels);
        if (mask.LongLength != (long)width * height)
            throw new ArgumentException($"{mask.Length} mask bytes for a {width}x{height} image", nameof(mask));
        Width = width;
        Height = height;
        Mask = mask;
        Labels = labels;
        var counts = new long[labels.Count];
        foreach (byte c in mask)
        {
            if (c >= counts.Length)
                throw new ArgumentException($"the mask holds class {c}, outside the {labels.Count} labelled classes", nameof(mask));
            counts[c]++;
        }
        PixelCounts = counts;
    }

    /// <summary>The segmenter's own result: <paramref name="counts"/> (pixels per class) already counted from a mask
    /// whose classes it checked.</summary>
    internal SegmentationResult(int width, int height, byte[] mask, IReadOnlyList<string> labels, long[] counts)
    {
        Width = width;
        Height = height;
        Mask = mask;
        Labels = labels;
        PixelCounts = counts;
    }

    public int Width { get; }
    public int Height { get; }

    /// <summary>Height × Width class indices, rows top to bottom.</summary>
    public byte[] Mask { get; }

    /// <summary>The class names, index i = class i ("" where unknown).</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Pixels per class, index i = class i.</summary>
    public IReadOnlyList<long> PixelCounts { get; }

    /// <summary>The class at (x, y).</summary>
    public int this[int x, int y] => Mask[(long)y * Width + x];

    /// <summary>The share of the image's pixels that are class <paramref name="index"/> (0..1).</summary>
    public double Share(int index) => (double)PixelCounts[index] / ((long)Width * Height);

    /// <summary>The classes with at least one pixel, most pixels first (equal counts: lower index first).</summary>
    public IReadOnlyList<SegmentClass> Present =>
        Enumerable.Range(0, PixelCounts.Count).Where(i => PixelCounts[i] > 0)
            .OrderByDescending(i => PixelCounts[i]).ThenBy(i => i)
            .Select(i => new SegmentClass(i, Labels[i], PixelCounts[i], Share(i))).ToList();

    /// <summary>The PASCAL VOC colour of class <paramref name="index"/> (0 black, 1 (128,0,0), 2 (0,128,0), 3 (128,128,0), …):
    /// the bits of the index spread over the high bits of R, G and B.</summary>
    public static (byte R, byte G, byte B) PascalVocColor(int index)
    {
        int r = 0, g = 0, b = 0, c = index;
        for (int j = 7; j >= 0 && c > 0; j--, c >>= 3)
        {
            r |= (c & 1) << j;
            g |= ((c >> 1) & 1) << j;
            b |= ((c >> 2) & 1) << j;
        }
        return ((byte)r, (byte)g, (byte)b);
    }

    /// <summary>The mask as an image in the PASCAL VOC colour map.</summary>
    public RgbImage ColorMask()
    {
        var px = new byte[Mask.LongLength * 3];
        var palette = Enumerable.Range(0, 256).Select(PascalVocColor).ToArray();
        for (long i = 0; i < Mask.LongLength; i++)
            (px[i * 3], px[i * 3 + 1], px[i * 3 + 2]) = palette[Mask[i]];
        return new RgbImage(Width, Height, px);
    }

    /// <summary>The colour mask blended onto <paramref name="image"/> (the photograph segmented, same size):
    /// pixels of class 0 (background) unchanged, the others (1 − opacity)·photo + opacity·colour.</summary>
    public RgbImage Overlay(RgbImage image, float opacity = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (image.Width != Width || image.Height != Height)
            throw new ArgumentException($"the image is {image.Width}x{image.Height}; the mask {Width}x{Height}", nameof(image));
        if (!(opacity >= 0 && opacity <= 1))
            throw new ArgumentOutOfRangeException(nameof(opacity), opacity, "opacity must be in [0, 1]");
        var px = (byte[])image.Pixels.Clone();
        var palette = Enumerable.Range(0, 256).Select(PascalVocColor).ToArray();
        for (long i = 0; i < Mask.LongLength; i++)
        {
            if (Mask[i] == 0)
                continue;
            var (r, g, b) = palette[Mask[i]];
            px[i * 3] = Blend(px[i * 3], r, opacity);
            px[i * 3 + 1] = Blend(px[i * 3 + 1], g, opacity);
            px[i * 3 + 2] = Blend(px[i * 3 + 2], b, opacity);
        }
        return new RgbImage(Width, Height, px);
    }

    private static byte Blend(byte photo, byte colour, float a) => (byte)Math.Clamp((int)MathF.Round(photo * (1 - a) + colour * a), 0, 255);
}
