using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using MobileNetAccel.Cli.Commands;
using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary><c>mobilenet classify</c> and <c>mobilenet segment</c> on folders, run in-process (the commands of
/// MobileNetAccel.Cli, console captured): a result line per good photograph as it comes, an error line per corrupt
/// file, the summary, exit status 1.</summary>
[TestFixture, NonParallelizable]
public class CliFolderTests
{
    private string _dir = "";

    [SetUp]
    public void SetUp() => _dir = Directory.CreateTempSubdirectory("mna-cli-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_dir, recursive: true);

    /// <summary>Runs one command of the tool in-process with the console captured.</summary>
    internal static (int Exit, string Out, string Err) Run(Command command, params string[] args)
    {
        var root = new RootCommand("test") { command };
        TextWriter stdout = Console.Out, stderr = Console.Error;
        var o = new StringWriter();
        var e = new StringWriter();
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            int exit = root.Parse(args).Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false, Output = o, Error = e });
            return (exit, o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    private void MakeFolder(int copies)
    {
        var sources = new[] { "bird.bmp", "cat.bmp", "grace_hopper.bmp", "hot_dog.jpg" }.Select(n => TestData.Require($"images/{n}")).ToArray();
        Directory.CreateDirectory(Path.Combine(_dir, "photos", "sub"));
        for (int i = 0; i < copies; i++)
            File.Copy(sources[i % 4], Path.Combine(_dir, "photos", i % 2 == 0 ? "" : "sub", $"p{i:D3}{Path.GetExtension(sources[i % 4])}"));
        File.WriteAllBytes(Path.Combine(_dir, "photos", "sub", "truncated.jpg"), File.ReadAllBytes(sources[3])[..40000]);
        File.WriteAllBytes(Path.Combine(_dir, "photos", "garbage.png"), new byte[] { 1, 2, 3, 4, 5, 6, 7, 8, 9 });
    }

    [Test]
    public void Classify_a_folder_streams_json_lines_reports_the_corrupt_files_and_exits_1()
    {
        MakeFolder(40);
        var sw = Stopwatch.StartNew();
        var (exit, stdout, stderr) = Run(ClassifyCommand.Create(), "classify", "--model", TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"),
            "--labels", TestData.Require("models/tflite/imagenet_labels.txt"), "--top", "1", "--json", Path.Combine(_dir, "photos"));
        TestContext.Out.WriteLine($"classify, 42 files: {sw.ElapsedMilliseconds} ms; stderr:\n{stderr}");
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(lines.Count(l => l.TryGetProperty("top", out _)), Is.EqualTo(40));
        Assert.That(lines.Where(l => l.TryGetProperty("error", out _)).Select(l => Path.GetFileName(l.GetProperty("image").GetString())),
            Is.EquivalentTo(new[] { "truncated.jpg", "garbage.png" }));
        Assert.That(stderr, Does.Contain("truncated.jpg").And.Contain("garbage.png").And.Not.Contain("   at "));
        Assert.That(stderr.TrimEnd().Split('\n')[^1], Does.StartWith("40 classified, 2 failed"));
    }

    [Test]
    public void Segment_writes_masks_of_the_photographs_size_and_exits_1_when_one_failed()
    {
        Directory.CreateDirectory(Path.Combine(_dir, "in"));
        File.Copy(TestData.Require("images/grace_hopper.bmp"), Path.Combine(_dir, "in", "grace_hopper.bmp"));
        File.WriteAllBytes(Path.Combine(_dir, "in", "broken.bmp"), new byte[] { (byte)'B', (byte)'M', 0, 0 });
        string masks = Path.Combine(_dir, "masks"), overlays = Path.Combine(_dir, "overlays");
        var sw = Stopwatch.StartNew();
        var (exit, stdout, stderr) = Run(SegmentCommand.Create(), "segment",
            "--model", TestData.Require("models/segmentation/deeplabv3_mnv2_dm05_pascal_quant.tflite"),
            "--labels", TestData.Require("models/segmentation/pascal_voc_segmentation_labels.txt"),
            "--mask", masks, "--overlay", overlays, Path.Combine(_dir, "in"));
        TestContext.Out.WriteLine($"segment, 2 files: {sw.ElapsedMilliseconds} ms; stdout:\n{stdout}stderr:\n{stderr}");
        Assert.That(exit, Is.EqualTo(1));
        Assert.That(stdout, Does.Contain("grace_hopper.bmp (512x600)").And.Contain(": 15 person").And.Contain(": 0 background"));
        Assert.That(stderr, Does.Contain("broken.bmp"));
        Assert.That(stderr.TrimEnd().Split('\n')[^1], Does.StartWith("1 segmented, 1 failed"));
        var mask = RgbImage.Load(Path.Combine(masks, "grace_hopper_mask.png"));
        var overlay = RgbImage.Load(Path.Combine(overlays, "grace_hopper_overlay.png"));
        Assert.That((mask.Width, mask.Height, overlay.Width, overlay.Height), Is.EqualTo((512, 600, 512, 600)));
    }

    [Test]
    public void One_corrupt_file_alone_is_the_commands_error_exit_2()
    {
        string bad = Path.Combine(_dir, "bad.jpg");
        File.WriteAllBytes(bad, new byte[] { 0xFF, 0xD8, 0xFF });
        var (exit, stdout, stderr) = Run(ClassifyCommand.Create(), "classify", "--model", TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"), bad);
        Assert.That(exit, Is.EqualTo(2));
        Assert.That(stdout, Is.Empty);
        Assert.That(stderr.TrimEnd().Split('\n'), Has.Length.EqualTo(1).And.Some.Contain("bad.jpg"));
    }
}
