using System.CommandLine;
using System.CommandLine.Parsing;
using MobileNetAccel.Models;

namespace MobileNetAccel.Cli.Commands;

/// <summary>The --arch / --alpha / --resolution options shared by commands that build a zoo model.</summary>
internal sealed class ModelOptions
{
    public Option<string> Arch { get; } = new("--arch")
    {
        Description = "Architecture: v1 (MobileNetV1) or v2 (MobileNetV2)",
        DefaultValueFactory = _ => "v2",
    };

    public Option<double> Alpha { get; } = new("--alpha")
    {
        Description = "Width multiplier α (e.g. 0.35, 0.5, 0.75, 1.0, 1.4)",
        DefaultValueFactory = _ => 1.0,
    };

    public Option<int> Resolution { get; } = new("--resolution")
    {
        Description = "Input resolution (e.g. 96, 128, 160, 192, 224)",
        DefaultValueFactory = _ => 224,
    };

    public ModelOptions()
    {
        Arch.AcceptOnlyFromAmong("v1", "v2");
        Alpha.Validators.Add(r =>
        {
            double a = r.GetValueOrDefault<double>();
            if (!(a > 0 && a <= 4))
                r.AddError($"--alpha must be in (0, 4]; got {a}");
        });
        Resolution.Validators.Add(r =>
        {
            int v = r.GetValueOrDefault<int>();
            if (v < 32 || v > 4096)
                r.AddError($"--resolution must be in [32, 4096]; got {v}");
        });
    }

    public void AddTo(Command command)
    {
        command.Options.Add(Arch);
        command.Options.Add(Alpha);
        command.Options.Add(Resolution);
    }

    public (Architecture Arch, double Alpha, int Resolution) Read(ParseResult result) =>
        (ModelZoo.ParseArchitecture(result.GetValue(Arch)!), result.GetValue(Alpha), result.GetValue(Resolution));
}
