using System.Runtime.InteropServices;
using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel;

/// <summary>One detected object: class, score and box, normalised to [0, 1] as the model gives it ([ymin, xmin, ymax,
/// xmax], clamped to the image) and in the image's pixels.</summary>
public sealed record Detection(int ClassIndex, string Label, float Score, float YMin, float XMin, float YMax, float XMax, int ImageWidth, int ImageHeight)
{
    /// <summary>The box in image pixels, [x0, y0, x1, y1] (x0 = xmin · width, rounded).</summary>
    public (int X0, int Y0, int X1, int Y1) PixelBox => (
        (int)MathF.Round(XMin * ImageWidth), (int)MathF.Round(YMin * ImageHeight),
        (int)MathF.Round(XMax * ImageWidth), (int)MathF.Round(YMax * ImageHeight));
}

/// <summary>
/// Object detection in one call, for SSD-style models that end in TFLite_Detection_PostProcess (four outputs: boxes
/// [1,N,4], classes [1,N], scores [1,N], count [1]). The input is prepared from the model (its size, type and
/// quantization: uint8 pixels as they are); the image is resized to it by nearest neighbour with the integer rule
/// src = floor((2·dst + 1)·src_size / (2·dst_size)) (what the shared references used), or bilinear. Thread-safe like
/// <see cref="InferenceSession"/>.
/// <code>
/// using var detector = new Detector("ssd_mobilenet_v1_coco_quant.tflite", "coco_labels.txt");
/// foreach (var d in detector.Detect("photo.jpg", 0.5f)) Console.WriteLine($"{d.Score:F3} {d.Label} {d.PixelBox}");
/// </code>
/// </summary>
public sealed class Detector : IDisposable
{
    private readonly int _height, _width;
    private readonly int _boxes, _classes, _scores, _count;

    /// <summary>Loads <paramref name="modelPath"/> into a session with <paramref name="options"/>, and the labels: one
    /// line per class the post-process numbers (class k = line k, background excluded, e.g. COCO's 90), or one more
    /// whose first line is the background (dropped); another count is an <see cref="InvalidDataException"/> naming both.</summary>
    public Detector(string modelPath, string? labelsPath = null, SessionOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var model = Model.Load(modelPath);
        var post = model.GraphNoCopy.Nodes.OfType<DetectionPostProcessNode>().SingleOrDefault()
            ?? throw new NotSupportedException($"{modelPath}: not a detection model (no TFLite_Detection_PostProcess)");
        Classes = post.Options.NumClasses;
        string[]? labels = labelsPath is null ? null : Classifier.LoadLabels(labelsPath);
        if (labels is not null)
        {
            if (labels.Length == Classes + 1)
                labels = labels[1..]; // a background line first
            else if (labels.Length != Classes)
                throw new InvalidDataException($"{labelsPath} has {labels.Length} labels but the model detects {Classes} classes: a detection labels file has one line per class (background excluded), or one more with the background first");
        }
        Labels = labels ?? Enumerable.Range(0, Classes).Select(k => k.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        Session = new InferenceSession(model, options);
        try
        {
            (_height, _width, _) = ImagePreprocessor.Geometry(Session.Inputs[0].Shape);
            if (Session.Inputs.Count != 1 || Session.Inputs[0].Shape[0] != 1)
                throw new NotSupportedException($"{modelPath}: Detector runs one image through one input");
            if (Session.Outputs.Count != 4 || Session.Outputs.Any(o => o.DataType != DataType.Float32))
                throw new NotSupportedException($"{modelPath}: a detector has four float outputs (boxes, classes, scores, count); this model has {string.Join(", ", Session.Outputs)}");
            // the post-process's outputs in its own order (boxes, classes, scores, count), found among the session's
            var node = Session.Graph.Nodes.OfType<DetectionPostProcessNode>().Single();
            int Index(int k) => Session.OutputIndex(node.Outputs[k].Name);
            (_boxes, _classes, _scores, _count) = (Index(0), Index(1), Index(2), Index(3));
            MaxDetections = (int)Session.Outputs[_scores].ElementCount;
        }
        catch
        {
            Session.Dispose();
            throw;
        }
    }

    /// <summary>The session the detector runs.</summary>
    public InferenceSession Session { get; }

    /// <summary>Classes the model detects (background excluded; 90 for COCO SSD).</summary>
    public int Classes { get; }

    /// <summary>The labels, index k = class k; the class number each without a labels file.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>Most detections one image can give (the post-process's max_detections).</summary>
    public int MaxDetections { get; }

    /// <summary>How the image is resized to the input (default nearest, by the integer rule above).</summary>
    public ResizeMode Resize { get; init; } = ResizeMode.Nearest;

    /// <summary>Decodes <paramref name="imagePath"/> (a corrupt file is an <see cref="ImageFormatException"/>) and detects.</summary>
    public IReadOnlyList<Detection> Detect(string imagePath, float threshold = 0.5f) => Detect(RgbImage.Load(imagePath), threshold);

    /// <summary>The detections with score ≥ <paramref name="threshold"/>, best first (the post-process's order).</summary>
    public IReadOnlyList<Detection> Detect(RgbImage image, float threshold = 0.5f)
    {
        ArgumentNullException.ThrowIfNull(image);
        if (!float.IsFinite(threshold))
            throw new ArgumentOutOfRangeException(nameof(threshold), threshold, "the threshold must be a finite score");
        return Postprocess(image, Infer(Prepare(image)), threshold);
    }

    // The stages of Detect, one by one, so that `mobilenet bench` times the very code Detect runs.

    /// <summary>Stage 1: the image resized to the input and converted to its type (raw input bytes).</summary>
    internal byte[] Prepare(RgbImage image)
    {
        var input = Session.Inputs[0];
        var sized = image.Width == _width && image.Height == _height ? image
            : Resize == ResizeMode.Nearest ? ImageOps.ResizeNearestExact(image, _width, _height)
            : ImageOps.Resize(image, _width, _height, Resize);
        return ImagePreprocessor.ToTensor(sized, input.Shape, input.DataType, input.Quantization);
    }

    /// <summary>Stage 2: the graph (its TFLite_Detection_PostProcess included); the four raw outputs.</summary>
    internal byte[][] Infer(byte[] input)
    {
        var raw = Session.Outputs.Select(o => new byte[o.ElementCount * sizeof(float)]).ToArray();
        Session.RunRaw(new ReadOnlyMemory<byte>[] { input }, raw.Select(b => (Memory<byte>)b).ToArray());
        return raw;
    }

    /// <summary>Stage 3: the detections with score ≥ <paramref name="threshold"/> from the raw outputs.</summary>
    internal IReadOnlyList<Detection> Postprocess(RgbImage image, byte[][] raw, float threshold)
    {
        var boxes = MemoryMarshal.Cast<byte, float>(raw[_boxes]);
        var classes = MemoryMarshal.Cast<byte, float>(raw[_classes]);
        var scores = MemoryMarshal.Cast<byte, float>(raw[_scores]);
        int count = (int)Math.Clamp(MemoryMarshal.Cast<byte, float>(raw[_count])[0], 0, MaxDetections);
        var list = new List<Detection>(count);
        for (int i = 0; i < count; i++)
        {
            if (!(scores[i] >= threshold))
                continue;
            int k = (int)classes[i];
            if (k < 0 || k >= Classes)
                throw new InvalidDataException($"the model's detection {i} has class {classes[i]}, outside 0..{Classes - 1}");
            static float C(float v) => Math.Clamp(v, 0f, 1f);
            list.Add(new Detection(k, Labels[k], scores[i], C(boxes[i * 4]), C(boxes[i * 4 + 1]), C(boxes[i * 4 + 2]), C(boxes[i * 4 + 3]), image.Width, image.Height));
        }
        return list;
    }

    /// <summary>A copy of <paramref name="image"/> with each detection's box drawn (3 pixels wide, a colour per class)
    /// and its label and score ("cat 0.74") in black on a label box of that colour, above the box (inside it at the
    /// photograph's top edge), kept inside the photograph. The text is a built-in bitmap font: the same pixels on every
    /// machine, with no font installed.</summary>
    public static RgbImage Annotate(RgbImage image, IReadOnlyList<Detection> detections)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(detections);
        var px = (byte[])image.Pixels.Clone();
        DetectionDrawing.Draw(px, image.Width, image.Height, detections);
        return new RgbImage(image.Width, image.Height, px);
    }

    public void Dispose() => Session.Dispose();
}
