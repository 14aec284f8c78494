using MobileNetAccel.Cli.Commands;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary><c>mobilenet run</c> on a model with several outputs (the SSD detector's four): <c>--output-dir</c> writes
/// each raw in its own dtype in the model's order, and they equal LiteRT's reference outputs for that input; the
/// one-file <c>--output</c> form is refused for it with the outputs named.</summary>
[TestFixture, NonParallelizable]
public class RunCommandTests
{
    private const string Dir = "models/detection";

    [Test]
    public void OutputDirWritesEveryOutputOfTheDetector()
    {
        string model = TestData.Require($"{Dir}/ssd_mobilenet_v1_coco_quant.tflite");
        string input = TestData.Require($"{Dir}/reference/inputs/300x300__cat.bmp.rgb.u8");
        string dir = Directory.CreateTempSubdirectory("mna-run-").FullName;
        try
        {
            var (exit, _, stderr) = CliFolderTests.Run(RunCommand.Create(), "run", "--model", model, "--input", input, "--output-dir", dir, "--threads", "1");
            Assert.That(exit, Is.Zero, stderr);
            string[] names = { "boxes", "classes", "scores", "count" };
            for (int k = 0; k < 4; k++)
            {
                string file = Path.Combine(dir, $"output{k}.f32");
                Assert.That(File.Exists(file), file);
                Assert.That(File.ReadAllBytes(file), Is.EqualTo(File.ReadAllBytes(TestData.Require($"{Dir}/reference/litert/cat.bmp.{names[k]}.f32"))), $"output {k} ({names[k]}) equals LiteRT's");
            }
            (exit, _, stderr) = CliFolderTests.Run(RunCommand.Create(), "run", "--model", model, "--input", input, "--output", Path.Combine(dir, "y.bin"));
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("4 outputs").And.Contain("--output-dir"));
            (exit, _, stderr) = CliFolderTests.Run(RunCommand.Create(), "run", "--model", model, "--input", input, "--input", input, "--output-dir", dir);
            Assert.That(exit, Is.EqualTo(2));
            Assert.That(stderr, Does.Contain("2 --input file(s) for a model with 1 input(s)"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }
}
