using System.CommandLine;
using System.Text.Json;
using MobileNetAccel.Cli.Commands;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>
/// <see cref="Detector"/> and <c>mobilenet detect</c> on the SSD MobileNet V1 detector from the photographs themselves
/// (decode, the README's nearest-neighbour rule, the integer path, the post-process): every detection with score ≥ 0.5
/// in LiteRT's reference found with the same class and label, score within 4/256, IoU ≥ 0.85 (the README's rule).
/// </summary>
[TestFixture, NonParallelizable]
public class DetectorTests
{
    private const string Dir = "models/detection";

    private static string Photo(string image) => image == "kite_and_cold.jpg" ? TestData.Require($"{Dir}/images/{image}") : TestData.Require($"images/{image}");

    private static List<(int Class, string Label, float Score, float[] Box)> Reference(string image)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestData.Require($"{Dir}/reference/reference.json")));
        var c = doc.RootElement.GetProperty("cases").EnumerateArray().First(e => e.GetProperty("image").GetString() == image);
        return c.GetProperty("litert").GetProperty("detections").EnumerateArray()
            .Select(d => (d.GetProperty("class").GetInt32(), d.GetProperty("label").GetString()!, d.GetProperty("score").GetSingle(),
                d.GetProperty("box_ymin_xmin_ymax_xmax").EnumerateArray().Select(v => v.GetSingle()).ToArray()))
            .Where(d => d.Item3 >= 0.5f).ToList();
    }

    private static double Iou(float[] a, float[] b)
    {
        double ih = Math.Max(0, Math.Min(a[2], b[2]) - Math.Max(a[0], b[0])), iw = Math.Max(0, Math.Min(a[3], b[3]) - Math.Max(a[1], b[1]));
        double inter = ih * iw, union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
        return union > 0 ? inter / union : 0;
    }

    private static float[] Clamp(float[] box) => box.Select(v => Math.Clamp(v, 0f, 1f)).ToArray();

    [TestCase("cat.bmp")]
    [TestCase("grace_hopper.bmp")]
    [TestCase("hot_dog.jpg")]
    [TestCase("kite_and_cold.jpg")]
    public void DetectFindsTheReferenceDetections(string image)
    {
        using var detector = new Detector(TestData.Require($"{Dir}/ssd_mobilenet_v1_coco_quant.tflite"), TestData.Require($"{Dir}/coco_labels.txt"), new SessionOptions { Threads = 1 });
        Assert.That(detector.Classes, Is.EqualTo(90));
        var found = detector.Detect(Photo(image), 0.5f);
        var want = Reference(image);
        Assert.That(want, Is.Not.Empty);
        foreach (var w in want)
        {
            var match = found.Where(d => d.ClassIndex == w.Class).OrderByDescending(d => Iou(new[] { d.YMin, d.XMin, d.YMax, d.XMax }, Clamp(w.Box))).FirstOrDefault();
            Assert.That(match, Is.Not.Null, $"{image}: {w.Label} {w.Score} not found");
            double iou = Iou(new[] { match!.YMin, match.XMin, match.YMax, match.XMax }, Clamp(w.Box));
            Assert.That(match.Label, Is.EqualTo(w.Label));
            Assert.That(Math.Abs(match.Score - w.Score), Is.LessThanOrEqualTo(4f / 256), $"{image}: {w.Label}");
            Assert.That(iou, Is.GreaterThanOrEqualTo(0.85), $"{image}: {w.Label}");
            TestContext.Out.WriteLine($"{image}: {w.Label} {w.Score:F3} -> ours {match.Score:F3}, IoU {iou:F3}, pixels {match.PixelBox}");
        }
        Assert.That(found.Count, Is.LessThanOrEqualTo(want.Count + 1), "no more than one extra detection at ≥ 0.5");
        var annotated = Detector.Annotate(RgbImage.Load(Photo(image)), found);
        Assert.That(annotated.Pixels, Is.Not.EqualTo(RgbImage.Load(Photo(image)).Pixels), "boxes are drawn");
    }

    [Test]
    public void ALabelsFileOfAnotherLengthNamesBothCounts()
    {
        string labels = Path.Combine(Path.GetTempPath(), $"mna-labels-{Guid.NewGuid():N}.txt");
        File.WriteAllLines(labels, Enumerable.Range(0, 80).Select(i => $"c{i}"));
        try
        {
            var e = Assert.Throws<InvalidDataException>(() => new Detector(TestData.Require($"{Dir}/ssd_mobilenet_v1_coco_quant.tflite"), labels));
            Assert.That(e!.Message, Does.Contain("80 labels").And.Contain("90 classes"));
        }
        finally
        {
            File.Delete(labels);
        }
    }

    [Test]
    public void DetectCommandPrintsOneLinePerDetectionAndJsonLines()
    {
        string model = TestData.Require($"{Dir}/ssd_mobilenet_v1_coco_quant.tflite"), labels = TestData.Require($"{Dir}/coco_labels.txt");
        var (exit, stdout, _) = Run(DetectCommand.Create(), "detect", "--model", model, "--labels", labels, Photo("cat.bmp"));
        Assert.That(exit, Is.Zero);
        Assert.That(stdout.Trim(), Does.Match(@"^0\.7\d\d cat \[\d+ \d+ \d+ \d+\]$"), stdout);
        string dir = Directory.CreateTempSubdirectory("mna-detect-").FullName;
        try
        {
            (exit, stdout, _) = Run(DetectCommand.Create(), "detect", "--model", model, "--labels", labels, "--json", "--annotate", dir, Photo("cat.bmp"), Photo("grace_hopper.bmp"));
            Assert.That(exit, Is.Zero);
            var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            Assert.That(lines, Has.Length.EqualTo(2));
            using var doc = JsonDocument.Parse(lines[0]);
            var d0 = doc.RootElement.GetProperty("detections")[0];
            Assert.That(d0.GetProperty("label").GetString(), Is.EqualTo("cat"));
            Assert.That(d0.GetProperty("box").GetArrayLength(), Is.EqualTo(4));
            Assert.That(Directory.GetFiles(dir, "*_detections.png"), Has.Length.EqualTo(2));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    private static (int Exit, string Out, string Err) Run(Command command, params string[] args) => CliFolderTests.Run(command, args);
}
