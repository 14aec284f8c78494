using System.Text.Json;
using MobileNetAccel.Cli.Commands;
using MobileNetAccel.Imaging;
using MobileNetAccel.Tests.TFLite;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>
/// <c>--batch N</c> of <c>classify</c>, <c>detect</c> and <c>segment</c> (the one driver, <see cref="ImageRun"/>): the
/// output is the same text as with <c>--batch 1</c>, in input order, with corrupt files inside a batch reported in
/// their place and the other images of that batch still classified; a model that cannot be re-batched runs the images
/// one at a time with a note. <see cref="ImageClassifier.Classify(IReadOnlyList{RgbImage}, int)"/> gives exactly the
/// probabilities of one image at a time (integer kernels: byte-exact per image; float: the same sums per image).
/// </summary>
[TestFixture, NonParallelizable]
public class CliBatchTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mna-batch-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    private static readonly string[] Photos = { "bird.bmp", "cat.bmp", "grace_hopper.bmp", "hot_dog.jpg" };

    /// <summary>Ten photographs p00..p09 with two corrupt files sorted among them (p03x, p07x).</summary>
    private string Folder()
    {
        string dir = Path.Combine(_dir, "photos");
        Directory.CreateDirectory(dir);
        for (int i = 0; i < 10; i++)
        {
            string src = TestData.Require($"images/{Photos[i % 4]}");
            File.Copy(src, Path.Combine(dir, $"p{i:D2}{Path.GetExtension(src)}"));
        }
        File.WriteAllBytes(Path.Combine(dir, "p03x.jpg"), File.ReadAllBytes(TestData.Require("images/hot_dog.jpg"))[..30000]);
        File.WriteAllBytes(Path.Combine(dir, "p07x.png"), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 });
        return dir;
    }

    private static List<IReadOnlyList<Classification>> OneAtATime(ImageClassifier c, IEnumerable<RgbImage> images, int k) =>
        images.Select(i => c.Classify(i, k)).ToList();

    [TestCase("tflite/mobilenet_v1_0.25_128_quant.tflite", TestName = "Batched quantized TFLite equals one at a time")]
    [TestCase("onnx/mobilenet_v2_0.35_96.onnx", TestName = "Batched float ONNX equals one at a time")]
    public void Batched_classification_equals_one_image_at_a_time(string model)
    {
        using var classifier = new ImageClassifier(TestData.Require($"models/{model}"), null, new SessionOptions { Threads = 2 });
        var images = Photos.Select(p => RgbImage.Load(TestData.Require($"images/{p}"))).ToList();
        int k = classifier.Classes;
        var single = OneAtATime(classifier, images, k);
        classifier.PrepareBatch(4);
        foreach (var group in new[] { images, images.Take(3).ToList() }) // a full batch, and a short one (padded slots)
        {
            var batched = classifier.Classify(group, k);
            Assert.That(batched, Has.Count.EqualTo(group.Count));
            for (int i = 0; i < group.Count; i++)
                Assert.That(batched[i], Is.EqualTo(single[i]), $"{model}: image {i} of {group.Count}, all {k} probabilities");
        }
        for (int i = 1; i < images.Count; i++)
            Assert.That(single[i], Is.Not.EqualTo(single[0]), "the photographs give different outputs (so a slot mix-up cannot hide)");
    }

    [Test]
    public void A_model_whose_graph_fixes_its_batch_says_so()
    {
        var m = new TfliteModelBuilder();
        int x = m.Tensor("x", new[] { 1, 4, 4, 3 }, TfliteModelBuilder.Float32);
        int y = m.Tensor("y", new[] { 48 }, TfliteModelBuilder.Float32);
        m.Op(22, new[] { x }, new[] { y }); // RESHAPE to a rank-1 [48]: no batch axis left
        string file = Path.Combine(_dir, "fixed.tflite");
        File.WriteAllBytes(file, m.Build(new[] { x }, new[] { y }));
        using var classifier = new ImageClassifier(file);
        var e = Assert.Throws<NotSupportedException>(() => classifier.PrepareBatch(2))!;
        Assert.That(e.Message, Does.Contain("runs batch 1 only").And.Contain("batch of 2"));

        string img = Path.Combine(_dir, "a.bmp"), img2 = Path.Combine(_dir, "b.bmp");
        File.Copy(TestData.Require("images/cat.bmp"), img);
        File.Copy(TestData.Require("images/bird.bmp"), img2);
        var one = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", file, "--top", "3", img, img2);
        var two = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", file, "--top", "3", "--batch", "2", img, img2);
        Assert.That((two.Exit, two.Out), Is.EqualTo((0, one.Out)));
        Assert.That(two.Err, Does.Contain("note: --batch 2").And.Contain("runs batch 1 only").And.Contain("one at a time"));
    }

    [Test]
    public void Classify_batch_4_prints_what_batch_1_prints_in_order_and_keeps_a_corrupt_files_batch()
    {
        string dir = Folder();
        string model = TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"), labels = TestData.Require("models/tflite/imagenet_labels.txt");
        var one = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", model, "--labels", labels, "--top", "3", "--json", dir);
        var four = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", model, "--labels", labels, "--top", "3", "--json", "--batch", "4", dir);
        TestContext.Out.WriteLine($"--batch 4 stderr:\n{four.Err}");
        Assert.That(four.Exit, Is.EqualTo(1));
        Assert.That(four.Out, Is.EqualTo(one.Out), "the same JSON lines");
        Assert.That(four.Err, Does.Not.Contain("note"), "the TFLite model is batched, not run one at a time");
        var order = four.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Path.GetFileName(JsonDocument.Parse(l).RootElement.GetProperty("image").GetString())).ToList();
        Assert.That(order, Is.EqualTo(ImageFiles.Expand(new[] { dir }).Select(Path.GetFileName).ToList()), "input order, the corrupt files in their place");
        Assert.That(order, Has.Count.EqualTo(12));
        Assert.That(four.Err.TrimEnd().Split('\n')[^1], Does.StartWith("10 classified, 2 failed"));
        var text1 = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", model, "--labels", labels, dir);
        var text3 = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", model, "--labels", labels, "--batch", "3", dir);
        Assert.That(text3.Out, Is.EqualTo(text1.Out), "the text lines too");
    }

    [Test]
    public void Detect_with_batch_runs_one_at_a_time_with_a_note_and_the_same_output()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        foreach (var p in new[] { "cat.bmp", "grace_hopper.bmp" })
            File.Copy(TestData.Require($"images/{p}"), Path.Combine(_dir, "in", p));
        File.WriteAllBytes(Path.Combine(_dir, "in", "broken.bmp"), new byte[] { (byte)'B', (byte)'M', 0, 0 });
        string model = TestData.Require("models/detection/ssd_mobilenet_v1_coco_quant.tflite"), labels = TestData.Require("models/detection/coco_labels.txt");
        var one = CliFolderTests.Run(DetectCommand.Create(), "detect", "--model", model, "--labels", labels, Path.Combine(_dir, "in"));
        var three = CliFolderTests.Run(DetectCommand.Create(), "detect", "--model", model, "--labels", labels, "--batch", "3", Path.Combine(_dir, "in"));
        Assert.That((three.Exit, three.Out), Is.EqualTo((1, one.Out)));
        Assert.That(one.Out, Does.Contain("cat"));
        Assert.That(three.Err, Does.Contain("note: --batch 3").And.Contain("TFLite_Detection_PostProcess").And.Contain("broken.bmp"));
        Assert.That(three.Err.TrimEnd().Split('\n')[^1], Does.StartWith("2 processed, 1 failed"));
    }

    [Test]
    public void Segment_with_batch_gives_the_same_output()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.Copy(TestData.Require("images/grace_hopper.bmp"), Path.Combine(_dir, "in", "grace_hopper.bmp"));
        File.WriteAllBytes(Path.Combine(_dir, "in", "a_broken.bmp"), new byte[] { (byte)'B', (byte)'M', 0, 0 });
        string model = TestData.Require("models/segmentation/deeplabv3_mnv2_dm05_pascal_quant.tflite");
        var one = CliFolderTests.Run(SegmentCommand.Create(), "segment", "--model", model, "--json", Path.Combine(_dir, "in"));
        var two = CliFolderTests.Run(SegmentCommand.Create(), "segment", "--model", model, "--json", "--batch", "2", Path.Combine(_dir, "in"));
        Assert.That((two.Exit, two.Out), Is.EqualTo((1, one.Out)));
        Assert.That(one.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => Path.GetFileName(JsonDocument.Parse(l).RootElement.GetProperty("image").GetString())),
            Is.EqualTo(new[] { "a_broken.bmp", "grace_hopper.bmp" }), "the error line in its place");
        Assert.That(two.Err, Does.Contain("note: --batch 2"));
    }

    [Test]
    public void The_progress_line_has_a_bar_of_images_out_of_the_total()
    {
        Assert.That(Progress.Line(12, 3, 30, "classified", 31.25), Is.EqualTo("[##########----------] 15/30 12 classified, 3 failed, 31.2 images/s"));
        Assert.That(Progress.Line(0, 0, 7, "processed", 0), Is.EqualTo("[--------------------] 0/7 0 processed, 0 failed, 0.0 images/s"));
        Assert.That(Progress.Line(9, 0, 7, "segmented", 2), Does.StartWith("[####################] 7/7 "), "a folder that grew: the bar stays full");
        Assert.That(Progress.Line(5, 1, null, "classified", 10), Is.EqualTo("5 classified, 1 failed, 10.0 images/s"));
    }

    [Test]
    public void Batch_must_be_at_least_1()
    {
        var (exit, _, err) = CliFolderTests.Run(ClassifyCommand.Create(), "classify", "--model", "m.tflite", "--batch", "0", "x.jpg");
        Assert.That(exit, Is.Not.Zero);
        Assert.That(err, Does.Contain("--batch must be at least 1"));
    }
}
