using MobileNetAccel.Backends.Native;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using NUnit.Framework;
using static MobileNetAccel.Tests.Kernels.KernelTestSupport;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>Where the output of an element-wise op goes: a separate buffer, or over one of the inputs.</summary>
public enum InPlace { No, OverA, OverB }

public sealed record AddCase(int Id, int Count, Activation Act, InPlace InPlace)
{
    public override string ToString() => $"#{Id} count={Count} act={Act} inPlace={InPlace}";
}

public sealed record PadCase(int Id, int Batch, int H, int W, int C, int PT, int PL, int PB, int PR, float Value)
{
    public override string ToString() => $"#{Id} N={Batch} H={H} W={W} C={C} pads(t,l,b,r)=({PT},{PL},{PB},{PR}) value={Value}";
}

/// <summary>
/// Add, activation and pad are a single correctly rounded IEEE operation per element (or pure data movement), so the
/// native result must equal the naive one exactly (compared with ==, so ReLU's -0 and +0 count as equal).
/// </summary>
[TestFixture, NonParallelizable]
public sealed class ElementwiseTests
{
    /// <summary>Counts around SIMD widths (4, 8, 16) and their tails, plus a large one.</summary>
    private static readonly int[] Counts = [1, 2, 3, 7, 8, 15, 16, 17, 31, 33, 1000, 4099];
    private static readonly InPlace[] InPlaces = Enum.GetValues<InPlace>();

    internal static readonly CaseTable<AddCase> AddTable = new(
        ["Count", "Act", "InPlace"], [Counts.Length, Values.Activations.Length, InPlaces.Length],
        (r, id) => new AddCase(id, Counts[r[0]], Values.Activations[r[1]], InPlaces[r[2]]), seed: 909);

    internal static readonly CaseTable<AddCase> ActivationTable = new(
        ["Count", "Act", "InPlace"], [Counts.Length, Values.Activations.Length, 2],
        (r, id) => new AddCase(id, Counts[r[0]], Values.Activations[r[1]], InPlaces[r[2]]), seed: 1010);

    /// <summary>Pads (t, l, b, r): none, symmetric, TF-SAME-like (bottom/right only), every side different.</summary>
    private static readonly (int T, int L, int B, int R)[] PadSets = [(0, 0, 0, 0), (1, 1, 1, 1), (0, 0, 1, 1), (2, 0, 1, 3)];
    private static readonly float[] PadValues = [0f, -1.5f, 6f];

    internal static readonly CaseTable<PadCase> PadTable = new(
        ["Batch", "H", "W", "C", "Pads", "Value"],
        [Values.Batches.Length, Values.Heights.Length, Values.Widths.Length, Values.Channels.Length, PadSets.Length, PadValues.Length],
        (r, id) =>
        {
            var p = PadSets[r[4]];
            return new PadCase(id, Values.Batches[r[0]], Values.Heights[r[1]], Values.Widths[r[2]], Values.Channels[r[3]], p.T, p.L, p.B, p.R, PadValues[r[5]]);
        }, seed: 1111);

    public static IEnumerable<TestCaseData> AddCases() => AddTable.TestCases();
    public static IEnumerable<TestCaseData> ActivationCases() => ActivationTable.TestCases();
    public static IEnumerable<TestCaseData> PadCases() => PadTable.TestCases();

    /// <summary>Inputs in ±8 so that ReLU6 clips at both ends, with exact 0 and 6 sprinkled in (the clamp's edges).</summary>
    private static float[] ActivationInputs(Random rng, int count)
    {
        float[] a = RandomFloats(rng, count, -8f, 8f);
        for (int i = 0; i < count; i += 5)
            a[i] = (i / 5 % 4) switch { 0 => 0f, 1 => 6f, 2 => -0f, _ => 6.0000005f };
        return a;
    }

    [TestCaseSource(nameof(AddCases))]
    public void Add_MatchesNaive(AddCase c)
    {
        var rng = new Random(90_000 + c.Id);
        float[] a0 = ActivationInputs(rng, c.Count), b0 = RandomFloats(rng, c.Count, -4f, 4f);
        float[] expected = Naive.Add(a0, b0, c.Count, c.Act.ToNative());
        ForEachIsa(isa =>
        {
            string context = $"add {c} isa={isa}";
            float[] a = OutputBuffer(c.Count), b = OutputBuffer(c.Count);
            a0.CopyTo(a, 0);
            b0.CopyTo(b, 0);
            float[] output = c.InPlace switch { InPlace.OverA => a, InPlace.OverB => b, _ => OutputBuffer(c.Count) };
            NativeKernels.Add(c.Count, a.AsSpan(0, c.Count), b.AsSpan(0, c.Count), c.Act.ToNative(), output.AsSpan(0, c.Count));
            AssertExact(output, expected, context);
            if (c.InPlace != InPlace.OverA)
                CheckUnchanged(a0, a.AsSpan(0, c.Count).ToArray(), "a", context);
            if (c.InPlace != InPlace.OverB)
                CheckUnchanged(b0, b.AsSpan(0, c.Count).ToArray(), "b", context);
        });
    }

    [TestCaseSource(nameof(ActivationCases))]
    public void Activation_MatchesNaive(AddCase c)
    {
        var rng = new Random(100_000 + c.Id);
        float[] x0 = ActivationInputs(rng, c.Count);
        float[] expected = Naive.Activate(x0, c.Count, c.Act.ToNative());
        ForEachIsa(isa =>
        {
            string context = $"activation {c} isa={isa}";
            float[] x = OutputBuffer(c.Count);
            x0.CopyTo(x, 0);
            float[] output = c.InPlace == InPlace.No ? OutputBuffer(c.Count) : x;
            NativeKernels.ApplyActivation(c.Count, c.Act.ToNative(), x.AsSpan(0, c.Count), output.AsSpan(0, c.Count));
            AssertExact(output, expected, context);
            if (c.InPlace == InPlace.No)
                CheckUnchanged(x0, x.AsSpan(0, c.Count).ToArray(), "input", context);
        });
    }

    [TestCaseSource(nameof(PadCases))]
    public void Pad2D_MatchesNaive(PadCase c)
    {
        var rng = new Random(110_000 + c.Id);
        float[] x = RandomFloats(rng, (long)c.Batch * c.H * c.W * c.C, -XRange, XRange);
        float[] x0 = (float[])x.Clone();
        float[] expected = Naive.Pad2D(c.Batch, c.H, c.W, c.C, c.PT, c.PL, c.PB, c.PR, c.Value, x);
        ForEachIsa(isa =>
        {
            string context = $"pad2d {c} isa={isa}";
            float[] output = OutputBuffer(expected.Length);
            NativeKernels.Pad2D(c.Batch, c.H, c.W, c.C, c.PT, c.PL, c.PB, c.PR, c.Value, x, output.AsSpan(0, expected.Length));
            AssertExact(output, expected, context);
            CheckUnchanged(x0, x, "input", context);
        });
    }
}
