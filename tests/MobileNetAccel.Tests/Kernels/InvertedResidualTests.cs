using MobileNetAccel.Backends.Native;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

public sealed record IrbCase(int Id, int Batch, int H, int W, int InC, int Expansion, int OutC, int Stride,
    Padding Padding, int PT, int PL, int PB, int PR, bool Residual,
    Activation ExpandAct, Activation DwAct, Activation ProjectAct, bool Bias, PoolKind Pool)
{
    /// <summary>0 = no expand layer (expansion factor 1 in MobileNetV2's first block).</summary>
    public int Hidden => Expansion == 0 ? 0 : InC * Expansion;
    public int C => Hidden == 0 ? InC : Hidden;
    public int OutH => (H + PT + PB - 3) / Stride + 1;
    public int OutW => (W + PL + PR - 3) / Stride + 1;

    internal InvertedResidualParams ToParams() => new()
    {
        Batch = Batch, InH = H, InW = W, InC = InC, HiddenC = Hidden, OutC = OutC, Stride = Stride,
        PadTop = PT, PadLeft = PL, PadBottom = PB, PadRight = PR,
        ExpandActivation = ExpandAct.ToNative(), DepthwiseActivation = DwAct.ToNative(), ProjectActivation = ProjectAct.ToNative(), Residual = Residual ? 1 : 0,
    };

    public override string ToString() =>
        $"#{Id} N={Batch} H={H} W={W} InC={InC} hidden={Hidden} (x{Expansion}) OutC={OutC} stride={Stride} padding={Padding} " +
        $"pads(t,l,b,r)=({PT},{PL},{PB},{PR}) -> {OutH}x{OutW} residual={Residual} acts(expand,dw,project)=({ExpandAct},{DwAct},{ProjectAct}) bias={Bias} pool={Pool}";
}

[TestFixture, NonParallelizable]
public sealed class InvertedResidualTests
{
    /// <summary>Expansion factors: 0 = no expand layer; 1 = an expand layer as wide as the input; 6 = MobileNetV2's usual factor.</summary>
    private static readonly int[] Expansions = [0, 1, 6];
    /// <summary>Output channels: -1 means "equal to InC" (so residual blocks exist for every InC), then the channel list.</summary>
    private static readonly int[] OutChannels = [-1, .. Values.Channels];
    private static readonly int[] IrbStrides = [1, 2];

    internal static readonly CaseTable<IrbCase> Table = new(
        ["InC", "Expansion", "OutC", "H", "W", "Stride", "Padding", "Residual", "ExpandAct", "DwAct", "ProjectAct", "Bias", "Batch", "Pool"],
        [Values.Channels.Length, Expansions.Length, OutChannels.Length, Values.Heights.Length, Values.Widths.Length, IrbStrides.Length,
         Values.Paddings.Length, 2, 3, 3, 3, 2, Values.Batches.Length, Values.Pools.Length],
        (r, id) =>
        {
            int inC = Values.Channels[r[0]];
            int outC = OutChannels[r[2]] < 0 ? inC : OutChannels[r[2]];
            int h = Values.Heights[r[3]], w = Values.Widths[r[4]], s = IrbStrides[r[5]];
            Padding pad = Values.Paddings[r[6]];
            (int pt, int pb) = Pads.Of(pad, h, 3, s, vertical: true);
            (int pl, int pr) = Pads.Of(pad, w, 3, s, vertical: false);
            var c = new IrbCase(id, Values.Batches[r[12]], h, w, inC, Expansions[r[1]], outC, s, pad, pt, pl, pb, pr, Values.Bools[r[7]],
                Values.Activations[r[8]], Values.Activations[r[9]], Values.Activations[r[10]], Values.Bools[r[11]], Values.Pools[r[13]]);
            if (h + pt + pb < 3 || w + pl + pr < 3)
                return null;
            if (c.Residual && (s != 1 || inC != outC || c.OutH != h || c.OutW != w))
                return null;
            long pixIn = (long)c.Batch * h * w, pixOut = (long)c.Batch * c.OutH * c.OutW;
            long macs = pixIn * c.Hidden * inC + pixOut * c.C * 9 + pixOut * outC * c.C;
            return macs > Values.MacBudget ? null : c;
        }, seed: 404);

    public static IEnumerable<TestCaseData> Cases() => Table.TestCases().Concat(MobileNet.Cases(MobileNet.InvertedResidual));

    [TestCaseSource(nameof(Cases))]
    public void InvertedResidual_MatchesNaive(IrbCase c)
    {
        var rng = new Random(40_000 + c.Id);
        int ch = c.C;
        float[] x = RandomFloats(rng, (long)c.Batch * c.H * c.W * c.InC, -XRange, XRange);
        float[]? ew = c.Hidden > 0 ? RandomFloats(rng, (long)c.Hidden * c.InC, -WRange, WRange) : null;
        float[]? eb = c.Hidden > 0 && c.Bias ? RandomFloats(rng, c.Hidden, -BRange, BRange) : null;
        float[] dw = RandomFloats(rng, 9L * ch, -WRange, WRange);
        float[]? db = c.Bias ? RandomFloats(rng, ch, -BRange, BRange) : null;
        float[] pw = RandomFloats(rng, (long)c.OutC * ch, -WRange, WRange);
        float[]? pb = c.Bias ? RandomFloats(rng, c.OutC, -BRange, BRange) : null;
        float[] x0 = (float[])x.Clone();
        Reference expected = Naive.InvertedResidual(c.Batch, c.H, c.W, c.InC, c.Hidden, c.OutC, c.Stride, c.PT, c.PL, c.PB, c.PR,
            c.ExpandAct.ToNative(), c.DwAct.ToNative(), c.ProjectAct.ToNative(), c.Residual, x, ew, eb, dw, db, pw, pb);

        // Three float32 sums in a row (expand: InC terms, depthwise: 9, project: C), each intermediate stored once and the
        // residual added once. Reference.Scale is the absolute-value network's output, which bounds how an error made in
        // an earlier layer can grow through the later ones, so the per-layer tolerances add up against that one scale.
        double rtol = (c.Hidden > 0 ? SumTolerance(c.InC) : 0) + SumTolerance(9) + SumTolerance(ch) + 2 * U;
        ForEachIsa(isa =>
        {
            string context = $"irb {c} isa={isa}";
            float[] output = OutputBuffer(expected.Value.Length);
            NativeKernels.InvertedResidual(c.ToParams(), x, ew, eb, dw, db, pw, pb, output.AsSpan(0, expected.Value.Length), KernelPools.Get(c.Pool));
            AssertClose(output, expected, rtol, context, "irb", [c.Batch, c.OutH, c.OutW, c.OutC]);
            CheckUnchanged(x0, x, "input", context);
        });
    }
}
