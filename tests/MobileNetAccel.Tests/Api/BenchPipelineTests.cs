using System.Text.Json;
using MobileNetAccel.Cli.Commands;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary><c>mobilenet bench</c> on a detector and a segmenter file, run in-process: the pipeline's stages (decode,
/// resize/quantize, inference, postprocess) are reported as medians and shares, in text and in --json; bad requests
/// are exit status 2 with a message.</summary>
[TestFixture, NonParallelizable]
public class BenchPipelineTests
{
    private static string Detector => TestData.Require("models/detection/ssd_mobilenet_v1_coco_quant.tflite");
    private static string Segmenter => TestData.Require("models/segmentation/deeplabv3_mnv2_dm05_pascal_quant.tflite");
    private static string Photo => TestData.Require("models/detection/images/kite_and_cold.jpg");

    [Test]
    public void Detector_json_reports_the_four_stages_adding_up()
    {
        var (exit, stdout, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", Detector, "--image", Photo,
            "--threads", "1", "--runs", "3", "--warmup", "0", "--json");
        Assert.That(exit, Is.EqualTo(0), stderr);
        using var doc = JsonDocument.Parse(stdout);
        var p = doc.RootElement.GetProperty("pipeline");
        Assert.That(p.GetProperty("kind").GetString(), Is.EqualTo("detector"));
        Assert.That(p.GetProperty("image_width").GetInt32(), Is.EqualTo(1352));
        Assert.That(p.GetProperty("image_height").GetInt32(), Is.EqualTo(900));
        foreach (var f in new[] { "decode_ms", "preprocess_ms", "inference_ms", "postprocess_ms" })
            Assert.That(p.GetProperty(f).GetDouble(), Is.GreaterThan(0), f);
        double pct = new[] { "decode_pct", "preprocess_pct", "inference_pct", "postprocess_pct" }.Sum(f => p.GetProperty(f).GetDouble());
        Assert.That(pct, Is.EqualTo(100).Within(1e-6));
        Assert.That(p.GetProperty("pre_post_pct").GetDouble(), Is.EqualTo(100 - p.GetProperty("inference_pct").GetDouble()).Within(1e-6));
        // the inference stage is what the usual timing line reports
        Assert.That(doc.RootElement.GetProperty("median_ms").GetDouble(), Is.EqualTo(p.GetProperty("inference_ms").GetDouble()));
        TestContext.Out.WriteLine(p.ToString());
    }

    [Test]
    public void Segmenter_text_prints_the_split_on_a_synthetic_photo_by_default()
    {
        var (exit, stdout, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", Segmenter,
            "--threads", "1", "--runs", "2", "--warmup", "0");
        Assert.That(exit, Is.EqualTo(0), stderr);
        TestContext.Out.WriteLine(stdout);
        Assert.That(stdout, Does.Contain("Pipeline (segmenter").And.Contain("640x480"));
        foreach (var row in new[] { "decode (file -> RgbImage)", "resize/quantize (-> input)", "inference (graph)", "postprocess", "pre+post:" })
            Assert.That(stdout, Does.Contain(row));
    }

    [Test]
    public void Detector_profile_separates_the_in_graph_postprocess()
    {
        var (exit, stdout, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", Detector, "--image", Photo,
            "--threads", "1", "--runs", "2", "--warmup", "0", "--profile");
        Assert.That(exit, Is.EqualTo(0), stderr);
        Assert.That(stdout, Does.Contain("DetectionPostProcess").And.Contain("of which in-graph postproc").And.Contain("counted as postprocess"));
    }

    [Test]
    public void A_classifier_given_a_photo_is_timed_through_ImageClassifier()
    {
        var (exit, stdout, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", TestData.Require("models/tflite/mobilenet_v1_0.25_128_quant.tflite"),
            "--image", TestData.Require("images/grace_hopper.bmp"), "--threads", "1", "--runs", "3", "--warmup", "0", "--json");
        Assert.That(exit, Is.EqualTo(0), stderr);
        using var doc = JsonDocument.Parse(stdout);
        var p = doc.RootElement.GetProperty("pipeline");
        Assert.That(p.GetProperty("kind").GetString(), Is.EqualTo("classifier"));
        Assert.That(p.GetProperty("image_width").GetInt32(), Is.EqualTo(512));
        Assert.That(p.GetProperty("postprocess_ms").GetDouble(), Is.GreaterThan(0));
    }

    [Test]
    public void Bad_requests_exit_2_naming_the_problem()
    {
        string dir = Directory.CreateTempSubdirectory("mna-bench-").FullName;
        try
        {
            string broken = Path.Combine(dir, "broken.jpg");
            File.WriteAllBytes(broken, File.ReadAllBytes(Photo)[..5000]);
            var (exit, _, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", Detector, "--image", broken, "--runs", "1", "--warmup", "0");
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("broken.jpg").And.Not.Contain("   at "));
            (exit, _, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--model", Detector, "--batch", "2", "--runs", "1");
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("--batch 2").And.Contain("one image"));
            (exit, _, stderr) = CliFolderTests.Run(BenchCommand.Create(), "bench", "--image", Photo, "--runs", "1");
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("--model"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
