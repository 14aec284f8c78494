using MobileNetAccel.Graph;

namespace MobileNetAccel.Models;

/// <summary>
/// MobileNetV1 as defined by TF-slim's mobilenet_v1.py: a 3x3/2 convolution then 13 depthwise-separable blocks
/// (3x3 depthwise + 1x1 pointwise, each followed by batch norm and ReLU6), global average pooling and a 1x1
/// convolution classifier with bias over 1001 classes (index 0 = background). Channel depth max(int(c·α), 8);
/// TF SAME padding. Weights are seeded random (He-normal), batch-norm statistics random.
/// </summary>
public static class MobileNetV1
{
    /// <summary>Number of classes of the classifier (ImageNet's 1000 + background).</summary>
    public const int Classes = 1001;

    // (stride, output channels) of the depthwise-separable blocks; the first layer is a 3x3/2 conv with 32 channels.
    private static readonly (int Stride, int Channels)[] Blocks =
    {
        (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
        (1, 512), (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024),
    };

    /// <summary>TF-slim's depth: max(int(c·α), 8).</summary>
    public static int Depth(int channels, double alpha) => Math.Max((int)(channels * alpha), 8);

    /// <summary>Builds the graph for batch 1 (change it with <see cref="Model.WithBatch"/>).</summary>
    public static ModelGraph Build(double alpha = 1.0, int resolution = 224, ulong seed = 1)
    {
        ModelZoo.CheckArguments(alpha, resolution);
        var b = new ZooBuilder($"MobileNetV1 {alpha.ToString("0.0##", System.Globalization.CultureInfo.InvariantCulture)}/{resolution}", resolution, seed);
        var x = b.Conv("MobilenetV1/Conv2d_0", b.Input, Depth(32, alpha), 3, 2);
        for (int i = 0; i < Blocks.Length; i++)
        {
            var (stride, channels) = Blocks[i];
            x = b.Depthwise($"MobilenetV1/Conv2d_{i + 1}_depthwise", x, 3, stride);
            x = b.Conv($"MobilenetV1/Conv2d_{i + 1}_pointwise", x, Depth(channels, alpha), 1, 1);
        }
        b.Classifier("MobilenetV1/Logits", "MobilenetV1/Logits/SpatialSqueeze", "MobilenetV1/Predictions/Softmax", x, Classes);
        b.Graph.Validate();
        return b.Graph;
    }
}
