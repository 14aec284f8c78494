using MobileNetAccel.Graph;

namespace MobileNetAccel.Models;

/// <summary>
/// MobileNetV2 as defined by TF-slim's mobilenet_v2.py (V2_DEF): a 3x3/2 convolution, 17 inverted-residual blocks
/// (1x1 expand + ReLU6, 3x3 depthwise + ReLU6, 1x1 linear project, + input when the stride is 1 and the channel
/// counts match), a 1x1 convolution to 1280 channels, global average pooling and a 1x1 convolution classifier with
/// bias over 1001 classes. Channels are rounded by make_divisible(c·α, 8) (never below 90% of c·α); the first block
/// has no expansion (factor 1); the expansion is make_divisible(6·in, 8); the last 1280 is scaled only when α &gt; 1
/// (TF-slim's finegrain_classification_mode, as in the published checkpoints). TF SAME padding everywhere.
/// </summary>
public static class MobileNetV2
{
    public const int Classes = 1001;

    // (expansion factor t, output channels c, repeats n, first stride s)
    private static readonly (int T, int C, int N, int S)[] Stages =
    {
        (1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1),
    };

    /// <summary>TF-slim's _make_divisible(v, divisor, min_value = divisor).</summary>
    public static int MakeDivisible(double v, int divisor = 8, int? minValue = null)
    {
        int min = minValue ?? divisor;
        int r = Math.Max(min, (int)(v + divisor / 2.0) / divisor * divisor);
        if (r < 0.9 * v)
            r += divisor;
        return r;
    }

    /// <summary>Builds the graph for batch 1 (change it with <see cref="Model.WithBatch"/>).</summary>
    public static ModelGraph Build(double alpha = 1.0, int resolution = 224, ulong seed = 1)
    {
        ModelZoo.CheckArguments(alpha, resolution);
        var b = new ZooBuilder($"MobileNetV2 {alpha.ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture)}/{resolution}", resolution, seed);
        var x = b.Conv("MobilenetV2/Conv", b.Input, MakeDivisible(32 * alpha), 3, 2);
        int block = 0;
        foreach (var (t, c, n, s) in Stages)
        {
            int outC = MakeDivisible(c * alpha);
            for (int i = 0; i < n; i++)
            {
                string scope = block == 0 ? "MobilenetV2/expanded_conv" : $"MobilenetV2/expanded_conv_{block}";
                int stride = i == 0 ? s : 1;
                int inC = x.Shape[3];
                var blockInput = x;
                // expand_input_by_factor(t): make_divisible(in·t, 8); factor 1 uses divisible_by 1, i.e. no expansion.
                int hidden = t == 1 ? inC : MakeDivisible(inC * t);
                if (hidden > inC)
                    x = b.Conv(scope + "/expand", x, hidden, 1, 1);
                x = b.Depthwise(scope + "/depthwise", x, 3, stride);
                x = b.Conv(scope + "/project", x, outC, 1, 1, Activation.None);
                if (stride == 1 && inC == outC)
                    x = b.Residual(scope + "/add", x, blockInput);
                block++;
            }
        }
        int last = alpha > 1.0 ? MakeDivisible(1280 * alpha) : 1280;
        x = b.Conv("MobilenetV2/Conv_1", x, last, 1, 1);
        b.Classifier("MobilenetV2/Logits", "MobilenetV2/Logits/Squeeze", "MobilenetV2/Predictions/Softmax", x, Classes);
        b.Graph.Validate();
        return b.Graph;
    }
}
