using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>Labels files (count checked against the model, binary files refused) and the one-call Classify.</summary>
public class ClassifierTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mna-labels-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void AlignLabels_accepts_one_per_class_and_a_background_line_either_way()
    {
        string[] three = { "a", "b", "c" };
        Assert.That(Classifier.AlignLabels(three, 3), Is.EqualTo(three));
        Assert.That(Classifier.AlignLabels(new[] { "background", "a", "b", "c" }, 3), Is.EqualTo(three), "file has background, model not");
        Assert.That(Classifier.AlignLabels(three, 4), Is.EqualTo(new[] { "", "a", "b", "c" }), "model has background, file not");
    }

    [Test]
    public void AlignLabels_names_both_counts_when_they_do_not_fit()
    {
        var e = Assert.Throws<InvalidDataException>(() => Classifier.AlignLabels(new string[10], 1001, "labels.txt"))!;
        Assert.That(e.Message, Does.Contain("labels.txt").And.Contain("10 labels").And.Contain("1001 classes"));
    }

    [Test]
    public void LoadLabels_refuses_a_binary_file_and_reads_text()
    {
        string bin = Path.Combine(_dir, "model.tflite");
        File.WriteAllBytes(bin, new byte[] { 0x1c, 0, 0, 0, (byte)'T', (byte)'F', (byte)'L', (byte)'3', 0xff, 0xfe });
        var e = Assert.Throws<InvalidDataException>(() => Classifier.LoadLabels(bin))!;
        Assert.That(e.Message, Does.Contain(bin).And.Contain("binary"));

        string text = Path.Combine(_dir, "labels.txt");
        File.WriteAllText(text, "\uFEFFbackground\r\ntench \nmilitary uniform\n\n");
        Assert.That(Classifier.LoadLabels(text), Is.EqualTo(new[] { "background", "tench", "military uniform" }));
    }

    [Test]
    public void Classify_grace_hopper_with_the_quantized_V2_says_military_uniform()
    {
        var model = Model.Load(TestData.Require("models/tflite/mobilenet_v2_1.0_224_quant.tflite"));
        var labels = Classifier.LoadLabels(TestData.Require("models/tflite/imagenet_labels.txt"));
        using var session = new InferenceSession(model);
        labels = Classifier.AlignLabels(labels, session.Outputs[0].Shape[^1]);
        var top = Classifier.Classify(session, RgbImage.Load(TestData.Require("images/grace_hopper.bmp")), k: 5);
        Assert.That(top, Has.Count.EqualTo(5));
        Assert.That(labels[top[0].Index], Is.EqualTo("military uniform"));
        Assert.That(top[0].Score, Is.GreaterThan(0.5f).And.LessThanOrEqualTo(1f));
        Assert.That(top.Select(t => t.Score), Is.Ordered.Descending);
    }
}
