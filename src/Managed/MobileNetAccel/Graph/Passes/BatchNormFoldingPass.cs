
namespace MobileNetAccel.Graph.Passes;

/// <summary>
/// Folds an inference batch norm into the Conv2D / DepthwiseConv2D that produces its input, when the convolution's
/// output has that batch norm as its single consumer and the convolution has no fused activation:
/// w' = w·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β. New constants are created (the old ones may be
/// shared with other graphs). Arithmetic is done in double, then rounded once to float.
/// </summary>
internal sealed class BatchNormFoldingPass : IGraphPass
{
    public string Name => "fold-batch-norm";

    public int Run(ModelGraph graph)
    {
        ArgumentNullException.ThrowIfNull(graph);
        int rewrites = 0;
        foreach (var bn in graph.Nodes.OfType<BatchNormNode>().ToList())
        {
            var producer = bn.Input.Producer;
            if (producer is not (Conv2DNode or DepthwiseConv2DNode) || !graph.Nodes.Contains(producer))
                continue;
            var conv = (WindowNode)producer;
            if (conv.Activation != Activation.None || bn.Input.DataType != DataType.Float32)
                continue;
            if (!ReferenceEquals(GraphOptimizer.SingleConsumer(graph, conv.Output), bn))
                continue;
            var weights = conv.Inputs[1]!;
            var bias = conv.Inputs.Count > 2 ? conv.Inputs[2] : null;
            if (!weights.IsConstant || weights.DataType != DataType.Float32 || (bias is not null && (!bias.IsConstant || bias.DataType != DataType.Float32))
                || !bn.Scale.IsConstant || !bn.Offset.IsConstant || !bn.Mean.IsConstant || !bn.Variance.IsConstant)
                continue;

            int channels = conv.Output.Shape[3];
            ReadOnlySpan<float> gamma = bn.Scale.AsFloats(), beta = bn.Offset.AsFloats(), mean = bn.Mean.AsFloats(), variance = bn.Variance.AsFloats();
            var factor = BatchNormAffine.Factors(gamma, variance, bn.Epsilon);
            var newBias = new float[channels];
            for (int c = 0; c < channels; c++)
            {
                double b = bias is null ? 0.0 : bias.AsFloats()[c];
                newBias[c] = (float)((b - mean[c]) * factor[c] + beta[c]);
            }
            ReadOnlySpan<float> w = weights.AsFloats();
            var newWeights = new float[w.Length];
            if (conv is Conv2DNode)
            {
                // OHWI: the output channel is the outermost axis.
                int per = w.Length / channels;
                for (int i = 0; i < w.Length; i++)
                    newWeights[i] = (float)(w[i] * factor[i / per]);
            }
            else
            {
                // [1,KH,KW,C]: the channel is the innermost axis.
                for (int i = 0; i < w.Length; i++)
                    newWeights[i] = (float)(w[i] * factor[i % channels]);
            }
            conv.Inputs[1] = Value.Constant(weights.Name + "/bn_folded", (int[])weights.Shape.Clone(), newWeights);
            var biasValue = Value.Constant((bias?.Name ?? conv.Name + "/bias") + "/bn_folded", new[] { channels }, newBias);
            if (conv.Inputs.Count > 2)
                conv.Inputs[2] = biasValue;
            else
                conv.Inputs.Add(biasValue);
            conv.Outputs[0] = bn.Output;
            graph.Nodes.Remove(bn);
            rewrites++;
        }
        if (rewrites > 0)
            graph.Validate();
        return rewrites;
    }
}
