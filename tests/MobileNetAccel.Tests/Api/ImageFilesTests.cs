using System.Diagnostics;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>Folders of photographs (<see cref="ImageFiles"/>, what <c>mobilenet classify</c> and <c>segment</c> run
/// on) and the one-call <see cref="ImageClassifier"/>: 200 copies of ../shared/images in nested folders plus corrupt
/// files, classified with the small quantized MobileNetV1 0.25/128.</summary>
[TestFixture]
public class ImageFilesTests
{
    private const string SmallModel = "models/tflite/mobilenet_v1_0.25_128_quant.tflite";
    private const string ImageNetLabels = "models/tflite/imagenet_labels.txt";
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mna-folder-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    [Test]
    public void A_folder_of_200_photographs_and_corrupt_files_classifies_every_good_one_and_reports_every_bad_one()
    {
        var sources = new[] { "bird.bmp", "cat.bmp", "grace_hopper.bmp", "hot_dog.jpg" }.Select(n => TestData.Require($"images/{n}")).ToArray();
        string[] subdirs = { "", "a", Path.Combine("a", "b"), "c" };
        var copies = new Dictionary<string, string>(); // copy → original
        for (int i = 0; i < 200; i++)
        {
            string src = sources[i % sources.Length];
            string dir = Path.Combine(_dir, subdirs[i / 4 % subdirs.Length]);
            Directory.CreateDirectory(dir);
            string ext = Path.GetExtension(src);
            string copy = Path.Combine(dir, $"photo{i:D3}{(i % 8 == 0 ? ext.ToUpperInvariant() : ext)}");
            File.Copy(src, copy);
            copies[copy] = src;
        }
        var hotDog = File.ReadAllBytes(sources[3]);
        var bad = new[]
        {
            Path.Combine(_dir, "a", "truncated.jpg"),
            Path.Combine(_dir, "c", "noise.png"),
            Path.Combine(_dir, "empty.bmp"),
        };
        File.WriteAllBytes(bad[0], hotDog[..(hotDog.Length / 3)]);
        File.WriteAllBytes(bad[1], Enumerable.Range(0, 4096).Select(i => (byte)(i * 7919 >> 3)).ToArray());
        File.WriteAllBytes(bad[2], Array.Empty<byte>());
        File.WriteAllText(Path.Combine(_dir, "a", "notes.txt"), "not an image, not searched");
        string missing = Path.Combine(_dir, "no-such-photo.jpg");

        var listed = ImageFiles.Expand(new[] { _dir }).ToList();
        Assert.That(listed, Is.EquivalentTo(copies.Keys.Concat(bad)), "the folder's images, recursively, case-insensitive extensions, nothing else");
        Assert.That(listed, Is.Ordered.Using((IComparer<string>)StringComparer.Ordinal));

        var sw = Stopwatch.StartNew();
        using var classifier = new ImageClassifier(TestData.Require(SmallModel), TestData.Require(ImageNetLabels));
        long loadMs = sw.ElapsedMilliseconds;
        var expected = sources.ToDictionary(s => s, s => classifier.Classify(s, 3));
        var order = new List<string>();
        var failures = new Dictionary<string, Exception>();
        int mismatched = 0;
        sw.Restart();
        var (ok, failed) = ImageFiles.ForEach(new[] { _dir, missing }, path =>
        {
            var top = classifier.Classify(path, 3);
            order.Add(path);
            if (!top.SequenceEqual(expected[copies[path]]))
                mismatched++;
        }, (path, e) => failures[path] = e);
        double seconds = sw.Elapsed.TotalSeconds;
        TestContext.Out.WriteLine($"{ok} classified, {failed} failed in {seconds:F2} s ({(ok + failed) / seconds:F0} images/s, 2-core machine); "
            + $"model loaded in {loadMs} ms; failures: {string.Join(" | ", failures.Values.Select(e => e.Message))}");

        Assert.That(ok, Is.EqualTo(200));
        Assert.That(order, Is.EquivalentTo(copies.Keys));
        Assert.That(mismatched, Is.Zero, "a copy classified differently from its original");
        Assert.That(failed, Is.EqualTo(4));
        Assert.That(failures.Keys, Is.EquivalentTo(bad.Append(missing)));
        Assert.That(failures.Values, Has.All.InstanceOf<ImageFormatException>().Or.InstanceOf<IOException>());
        foreach (var (path, e) in failures)
            Assert.That(e.Message, Does.Contain(Path.GetFileName(path)), "the report names the file");
    }

    [Test]
    public void ImageClassifier_gives_what_the_static_Classify_gives_with_labels_and_probabilities()
    {
        using var classifier = new ImageClassifier(TestData.Require(SmallModel), TestData.Require(ImageNetLabels));
        var image = RgbImage.Load(TestData.Require("images/grace_hopper.bmp"));
        var top = classifier.Classify(image, 5);
        var again = Classifier.Classify(classifier.Session, image, 5);
        Assert.That(classifier.Classes, Is.EqualTo(1001));
        Assert.That(top.Select(c => (c.Index, c.Probability)), Is.EqualTo(again));
        Assert.That(top.Select(c => c.Label), Is.EqualTo(top.Select(c => classifier.Labels[c.Index])));
        Assert.That(top.Select(c => c.Probability), Is.Ordered.Descending);
        Assert.That(classifier.Probabilities(image).Sum(), Is.InRange(0.8f, 1.01f), "a uint8 softmax (scale 1/256), dequantized: most classes round to 0");
        TestContext.Out.WriteLine(string.Join("; ", top.Select(c => $"{c.Probability:F4} {c.Index} {c.Label}")));
    }

    [Test]
    public void ImageClassifier_refuses_labels_that_do_not_fit_naming_both_counts()
    {
        string labels = Path.Combine(_dir, "labels.txt");
        File.WriteAllLines(labels, new[] { "a", "b", "c" });
        var e = Assert.Throws<InvalidDataException>(() => new ImageClassifier(TestData.Require(SmallModel), labels).Dispose())!;
        Assert.That(e.Message, Does.Contain("3 labels").And.Contain("1001 classes"));
    }
}
