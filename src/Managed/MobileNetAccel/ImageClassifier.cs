using MobileNetAccel.Graph;
using MobileNetAccel.Imaging;

namespace MobileNetAccel;

/// <summary>One class of a classification: its index in the model's output, its label ("" without a labels file)
/// and its probability (the model's softmax, else a softmax over its dequantized outputs).</summary>
public sealed record Classification(int Index, string Label, float Probability);

/// <summary>
/// Image classification in one call: loads the model and its labels once, then <see cref="Classify(RgbImage, int)"/>
/// resizes, normalises, runs and returns the top-k classes with labels and probabilities (quantized outputs
/// dequantized). Thread-safe like <see cref="InferenceSession"/>.
/// <code>
/// using var classifier = new ImageClassifier("mobilenet_v2_1.0_224_quant.tflite", "imagenet_labels.txt");
/// foreach (var c in classifier.Classify("grace_hopper.bmp", k: 3)) Console.WriteLine($"{c.Probability:F3} {c.Label}");
/// </code>
/// </summary>
public sealed class ImageClassifier : IDisposable
{
    private readonly bool _hasSoftmax;
    private readonly Model _model;
    private readonly SessionOptions? _options;
    private readonly Lock _batchGate = new();
    private InferenceSession? _batched;
    private readonly List<InferenceSession> _retired = new(); // smaller batched sessions another thread may still run

    /// <summary>Loads <paramref name="modelPath"/> (.tflite | .onnx) into a session with <paramref name="options"/>
    /// and the labels (<see cref="Classifier.LoadLabels"/>, aligned to the model's classes with
    /// <see cref="Classifier.AlignLabels"/>: a count that does not fit is an error naming both).
    /// <paramref name="preprocess"/>: resize mode, crop and normalisation (default: bilinear, none, from the model).</summary>
    public ImageClassifier(string modelPath, string? labelsPath = null, SessionOptions? options = null, PreprocessOptions? preprocess = null)
    {
        ArgumentNullException.ThrowIfNull(modelPath);
        var model = Model.Load(modelPath);
        string[] labels = labelsPath is null ? Array.Empty<string>() : Classifier.LoadLabels(labelsPath);
        Session = new InferenceSession(model, options);
        (_model, _options) = (model, options);
        try
        {
            var output = Session.Outputs[0];
            Classes = output.Shape.Length == 0 ? 1 : output.Shape[^1];
            Labels = labels.Length > 0 ? Classifier.AlignLabels(labels, Classes, labelsPath!) : Array.Empty<string>();
            ImagePreprocessor.Geometry(Session.Inputs[0].Shape); // an RGB image input, or NotSupportedException now
            _hasSoftmax = Classifier.HasSoftmax(Session);
            Preprocess = preprocess ?? new PreprocessOptions();
        }
        catch
        {
            Session.Dispose();
            throw;
        }
    }

    /// <summary>The session the classifier runs (its inputs, outputs, placement).</summary>
    public InferenceSession Session { get; }

    /// <summary>Number of classes of the model's output.</summary>
    public int Classes { get; }

    /// <summary>The labels, index i = class i; empty without a labels file.</summary>
    public IReadOnlyList<string> Labels { get; }

    /// <summary>How images become input tensors.</summary>
    public PreprocessOptions Preprocess { get; }

    /// <summary>The label of class <paramref name="index"/>, "" when there is none.</summary>
    public string Label(int index) => index >= 0 && index < Labels.Count ? Labels[index] : "";

    /// <summary>The <paramref name="k"/> most probable classes of <paramref name="image"/>, highest first (equal
    /// probabilities: lower index first).</summary>
    public IReadOnlyList<Classification> Classify(RgbImage image, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        return Postprocess(Infer(Prepare(image)), k);
    }

    // The stages of Classify, one by one, so that `mobilenet bench` times the very code Classify runs.

    /// <summary>Stage 1: the image resized and normalised for the input (raw input bytes).</summary>
    internal byte[] Prepare(RgbImage image) => Classifier.Prepare(Session, image, Preprocess);

    /// <summary>Stage 2: the graph on the input bytes; the raw output bytes.</summary>
    internal byte[] Infer(byte[] input) => Classifier.Infer(Session, input);

    /// <summary>Stage 3: dequantize, softmax (unless the model has one) and the top <paramref name="k"/>.</summary>
    internal IReadOnlyList<Classification> Postprocess(byte[] output, int k)
    {
        var scores = Classifier.Scores(Session, output, _hasSoftmax);
        return Classifier.TopK(scores, Math.Min(k, scores.Length)).Select(t => new Classification(t.Index, Label(t.Index), t.Score)).ToList();
    }

    /// <summary>Decodes <paramref name="imagePath"/> (<see cref="RgbImage.Load"/>: a corrupt file is an
    /// <see cref="ImageFormatException"/>) and classifies it.</summary>
    public IReadOnlyList<Classification> Classify(string imagePath, int k = 5) => Classify(RgbImage.Load(imagePath), k);

    /// <summary>All class probabilities of <paramref name="image"/>, index i = class i.</summary>
    public float[] Probabilities(RgbImage image)
    {
        ArgumentNullException.ThrowIfNull(image);
        return Classifier.Probabilities(Session, image, Preprocess, _hasSoftmax);
    }

    /// <summary>Makes the session that <see cref="Classify(IReadOnlyList{RgbImage}, int)"/> runs groups of up to
    /// <paramref name="batch"/> images in (the model with its batch dimension set to it, <see cref="Model.WithBatch"/>),
    /// unless one as large exists. A model whose graph fixes its batch (a reshape to a constant shape, ...) cannot:
    /// a <see cref="NotSupportedException"/> naming the model's batch and why.</summary>
    public void PrepareBatch(int batch)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        BatchedSession(batch);
    }

    /// <summary>The top <paramref name="k"/> classes of each of <paramref name="images"/>, in their order, from one
    /// inference of a batched session (<see cref="PrepareBatch"/>; slots past the images are zero). The results
    /// are those of <see cref="Classify(RgbImage, int)"/> one image at a time (the integer kernels are exact per
    /// image; float kernels sum each image's products in the same order).</summary>
    public IReadOnlyList<IReadOnlyList<Classification>> Classify(IReadOnlyList<RgbImage> images, int k = 5)
    {
        ArgumentNullException.ThrowIfNull(images);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        if (images.Count == 0)
            return Array.Empty<IReadOnlyList<Classification>>();
        var session = BatchedSession(images.Count);
        var scores = Classifier.Probabilities(session, images, Preprocess, _hasSoftmax);
        return scores.Select(s => (IReadOnlyList<Classification>)Classifier.TopK(s, Math.Min(k, s.Length))
            .Select(t => new Classification(t.Index, Label(t.Index), t.Score)).ToList()).ToList();
    }

    private InferenceSession BatchedSession(int batch)
    {
        lock (_batchGate)
        {
            if (_batched is { } s && s.Inputs[0].Shape[0] >= batch)
                return s;
            Model m;
            try
            {
                m = _model.WithBatch(batch);
            }
            catch (GraphException e)
            {
                throw new NotSupportedException($"model '{_model.Name}' runs batch {_model.Batch} only: a batch of {batch} does not fit its graph ({e.Message})", e);
            }
            var next = new InferenceSession(m, _options);
            if (_batched is not null)
                _retired.Add(_batched);
            return _batched = next;
        }
    }

    public void Dispose()
    {
        Session.Dispose();
        lock (_batchGate)
        {
            _batched?.Dispose();
            _retired.ForEach(r => r.Dispose());
        }
    }
}
