using System.Globalization;
using System.Text;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>Which thread pool a case runs with: none (calling thread), or a pool of 1 or 2 threads.</summary>
public enum PoolKind { None, One, Two }

/// <summary>Shared native thread pools for the kernel tests (created once, disposed after the namespace's tests).</summary>
[SetUpFixture]
internal sealed class KernelPools
{
    private static NativeThreadPool? _one, _two;

    public static NativeThreadPool? Get(PoolKind kind) => kind switch
    {
        PoolKind.None => null,
        PoolKind.One => _one ??= NativeThreadPool.Create(1),
        PoolKind.Two => _two ??= NativeThreadPool.Create(2),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static readonly Dictionary<string, double> WorstRatio = [];

    /// <summary>Records the largest |Δ|/tolerance seen for a kernel (printed after the run: how much headroom the tolerances have).</summary>
    public static void RecordMargin(string kernel, double ratio)
    {
        lock (WorstRatio)
            WorstRatio[kernel] = Math.Max(ratio, WorstRatio.GetValueOrDefault(kernel));
    }

    [OneTimeTearDown]
    public void DisposePools()
    {
        lock (WorstRatio)
            foreach (var (kernel, ratio) in WorstRatio.OrderBy(kv => kv.Key, StringComparer.Ordinal))
                TestContext.Progress.WriteLine($"kernel tests: {kernel}: largest |Δ|/tolerance = {ratio:F4}");
        _one?.Dispose();
        _two?.Dispose();
        _one = _two = null;
        NativeKernels.SelectIsa(KernelIsa.Auto);
    }
}

internal static class KernelTestSupport
{
    /// <summary>Input ranges: x in [-4, 4), weights in [-1, 1), biases in [-3, 3) — wide enough that ReLU6 clips.</summary>
    public const float XRange = 4f, WRange = 1f, BRange = 3f;

    /// <summary>Unit roundoff of float32, 2^-24.</summary>
    public const double U = 5.9604644775390625e-8;

    /// <summary>
    /// Relative tolerance (times the error scale S = Σ|terms|) for a float32 sum of <paramref name="terms"/> products
    /// plus a bias, optionally followed by a few extra roundings (a division, storing an intermediate).
    /// Justification: each product and each addition rounds with relative error ≤ u = 2^-24. The worst-case bound
    /// γ_n·S (n·u·S) is reached only by adversarial data; for independent rounding errors (our random inputs, any
    /// summation order, FMA or not, blocked or SIMD partial sums) the accumulated error is a random walk whose
    /// standard deviation is at most about u·√n·S/3. We allow 4·√n·u·S (≈ 12 standard deviations) plus 2u·S per
    /// extra rounding. A single mis-indexed or dropped term changes an output by ≈ S/n, which for every n used here
    /// (≤ 144·25) is ≥ 19× this tolerance, so index bugs cannot hide in it.
    /// </summary>
    public static double SumTolerance(long terms, int extraRoundings = 1) => (4.0 * Math.Sqrt(terms) + 2.0 * (1 + extraRoundings)) * U;

    /// <summary>The kernel tables this CPU can run (Auto excluded: it is one of them). Future tables are picked up automatically.</summary>
    public static KernelIsa[] SupportedIsas() =>
        Enum.GetValues<KernelIsa>().Where(i => i != KernelIsa.Auto && NativeKernels.IsSupported(i)).ToArray();

    /// <summary>Runs <paramref name="body"/> once with each supported kernel table selected; restores Auto afterwards.</summary>
    public static void ForEachIsa(Action<KernelIsa> body)
    {
        KernelIsa[] isas = SupportedIsas();
        Assert.That(isas, Does.Contain(KernelIsa.Reference), "the reference kernel table must always be supported");
        try
        {
            foreach (KernelIsa isa in isas)
            {
                NativeKernels.SelectIsa(isa);
                Assert.That(NativeKernels.CurrentIsa, Is.EqualTo(isa), "SelectIsa did not take effect");
                body(isa);
            }
        }
        finally
        {
            NativeKernels.SelectIsa(KernelIsa.Auto);
        }
    }

    /// <summary>Seeded random floats uniform in [lo, hi).</summary>
    public static float[] RandomFloats(Random rng, long count, float lo, float hi)
    {
        var a = new float[count];
        for (long i = 0; i < count; i++)
            a[i] = lo + (float)rng.NextDouble() * (hi - lo);
        return a;
    }

    /// <summary>Guard elements written after every output span: a kernel writing past the length it was given shows up.</summary>
    public const int Guard = 16;
    public const float Sentinel = -12345.678f;

    /// <summary>An output array of <paramref name="length"/> + <see cref="Guard"/> elements, all set to a sentinel (a kernel must write every element).</summary>
    public static float[] OutputBuffer(long length)
    {
        var a = new float[length + Guard];
        Array.Fill(a, float.NaN, 0, (int)length);
        Array.Fill(a, Sentinel, (int)length, Guard);
        return a;
    }

    public static void CheckGuard(float[] buffer, long length, string context)
    {
        for (long i = length; i < buffer.Length; i++)
            if (BitConverter.SingleToInt32Bits(buffer[i]) != BitConverter.SingleToInt32Bits(Sentinel))
                Assert.Fail($"{context}: the kernel wrote past the end of its output (element {i}, output length {length})");
    }

    public static void CheckUnchanged(float[] before, float[] after, string name, string context)
    {
        for (int i = 0; i < before.Length; i++)
            if (BitConverter.SingleToInt32Bits(before[i]) != BitConverter.SingleToInt32Bits(after[i]))
                Assert.Fail($"{context}: the kernel modified its input '{name}' at element {i}");
    }

    /// <summary>
    /// Asserts |actual[i] − expected[i]| ≤ rtol·scale[i] for every element (NaN never passes) and that the guard after
    /// the output is untouched. The failure message names every parameter of the case, the ISA and the first mismatches.
    /// </summary>
    /// <param name="shape">the output's dimensions (e.g. N, H, W, C), to print failing elements by coordinate; null prints flat indices</param>
    public static void AssertClose(float[] actualBuffer, Reference expected, double rtol, string context, string kernel, int[]? shape = null)
    {
        int n = expected.Value.Length;
        CheckGuard(actualBuffer, n, context);
        int bad = 0;
        double worst = 0;
        var sb = new StringBuilder();
        for (int i = 0; i < n; i++)
        {
            double a = actualBuffer[i], e = expected.Value[i];
            double tol = rtol * expected.Scale[i];
            double err = Math.Abs(a - e);
            if (!(err <= tol)) // NaN-safe
            {
                if (bad < 8)
                    sb.Append(CultureInfo.InvariantCulture, $"\n  [{Coordinates(i, shape)}] actual {a:R} expected {e:R} |Δ| {err:G3} > tol {tol:G3} (scale {expected.Scale[i]:G4})");
                bad++;
            }
            else if (tol > 0)
            {
                worst = Math.Max(worst, err / tol);
            }
        }
        if (bad > 0)
            Assert.Fail($"{context}: {bad} of {n} outputs outside tolerance (rtol {rtol:G3} × Σ|terms|):{sb}");
        KernelPools.RecordMargin(kernel, worst);
    }

    private static string Coordinates(int index, int[]? shape)
    {
        if (shape is null)
            return index.ToString(CultureInfo.InvariantCulture);
        var c = new int[shape.Length];
        int rest = index;
        for (int d = shape.Length - 1; d >= 0; d--)
        {
            c[d] = rest % shape[d];
            rest /= shape[d];
        }
        return string.Join(",", c);
    }

    /// <summary>Exact (==) comparison for ops that are data movement or a single correctly rounded operation.</summary>
    public static void AssertExact(float[] actualBuffer, float[] expected, string context)
    {
        CheckGuard(actualBuffer, expected.Length, context);
        int bad = 0;
        var sb = new StringBuilder();
        for (int i = 0; i < expected.Length; i++)
        {
            if (!(actualBuffer[i] == expected[i]))
            {
                if (bad < 8)
                    sb.Append(CultureInfo.InvariantCulture, $"\n  [{i}] actual {actualBuffer[i]:R} expected {expected[i]:R}");
                bad++;
            }
        }
        if (bad > 0)
            Assert.Fail($"{context}: {bad} of {expected.Length} outputs differ:{sb}");
    }
}

/// <summary>
/// Deterministic greedy pairwise (2-way) covering arrays: a table of cases in which every pair of values of any two
/// parameters appears in at least one case (unless no valid case can hold that pair), far smaller than the cross product.
/// </summary>
public static class Covering
{
    /// <summary>
    /// Rows of value indices, one per case. <paramref name="dims"/>[p] is the number of values of parameter p;
    /// <paramref name="valid"/> rejects impossible or too-expensive combinations. <paramref name="impossible"/> lists the
    /// pairs (p1, v1, p2, v2) no valid row was found for.
    /// </summary>
    public static List<int[]> Pairwise(int[] dims, Func<int[], bool> valid, int seed, out List<(int, int, int, int)> impossible)
    {
        int k = dims.Length;
        var offset = new int[k, k];
        int total = 0;
        for (int a = 0; a < k; a++)
            for (int b = a + 1; b < k; b++)
            {
                offset[a, b] = total;
                total += dims[a] * dims[b];
            }
        var covered = new bool[total];
        int remaining = total;
        impossible = [];
        var rng = new Random(seed);
        var rows = new List<int[]>();

        int PairIndex(int a, int va, int b, int vb) => a < b ? offset[a, b] + va * dims[b] + vb : offset[b, a] + vb * dims[a] + va;

        int Gain(int[] row)
        {
            int g = 0;
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++)
                    if (!covered[PairIndex(a, row[a], b, row[b])])
                        g++;
            return g;
        }

        int cursor = 0;
        while (remaining > 0)
        {
            // First uncovered pair (deterministic order).
            while (covered[cursor])
                cursor++;
            (int p1, int v1, int p2, int v2) = Decode(cursor);

            int[]? best = null;
            int bestGain = -1;
            for (int attempt = 0; attempt < 400 && (best is null || attempt < 24); attempt++)
            {
                var row = new int[k];
                Array.Fill(row, -1);
                row[p1] = v1;
                row[p2] = v2;
                int[] order = Enumerable.Range(0, k).Where(p => p != p1 && p != p2).OrderBy(_ => rng.Next()).ToArray();
                bool greedy = attempt < 24;
                foreach (int p in order)
                {
                    if (!greedy)
                    {
                        row[p] = rng.Next(dims[p]);
                        continue;
                    }
                    int bestV = 0, bestCount = -1;
                    int start = rng.Next(dims[p]);
                    for (int j = 0; j < dims[p]; j++)
                    {
                        int v = (start + j) % dims[p];
                        int count = 0;
                        for (int q = 0; q < k; q++)
                            if (row[q] >= 0 && !covered[PairIndex(p, v, q, row[q])])
                                count++;
                        if (count > bestCount)
                        {
                            bestCount = count;
                            bestV = v;
                        }
                    }
                    row[p] = bestV;
                }
                if (!valid(row))
                    continue;
                int gain = Gain(row);
                if (gain > bestGain)
                {
                    bestGain = gain;
                    best = row;
                }
            }

            if (best is null)
            {
                impossible.Add((p1, v1, p2, v2));
                covered[cursor] = true;
                remaining--;
                continue;
            }
            rows.Add(best);
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++)
                {
                    int idx = PairIndex(a, best[a], b, best[b]);
                    if (!covered[idx])
                    {
                        covered[idx] = true;
                        remaining--;
                    }
                }
        }
        return rows;

        (int, int, int, int) Decode(int index)
        {
            for (int a = 0; a < k; a++)
                for (int b = a + 1; b < k; b++)
                {
                    int size = dims[a] * dims[b];
                    if (index < offset[a, b] + size)
                    {
                        int r = index - offset[a, b];
                        return (a, r / dims[b], b, r % dims[b]);
                    }
                }
            throw new InvalidOperationException("pair index out of range");
        }
    }

    /// <summary>Checks a finished table: every pair not declared impossible appears in some row.</summary>
    public static int UncoveredPairs(int[] dims, IEnumerable<int[]> rows, IEnumerable<(int, int, int, int)> impossible)
    {
        var seen = new HashSet<(int, int, int, int)>(impossible);
        foreach (int[] r in rows)
            for (int a = 0; a < dims.Length; a++)
                for (int b = a + 1; b < dims.Length; b++)
                    seen.Add((a, r[a], b, r[b]));
        int missing = 0;
        for (int a = 0; a < dims.Length; a++)
            for (int b = a + 1; b < dims.Length; b++)
                for (int va = 0; va < dims[a]; va++)
                    for (int vb = 0; vb < dims[b]; vb++)
                        if (!seen.Contains((a, va, b, vb)))
                            missing++;
        return missing;
    }
}

/// <summary>A pairwise-covering table of test cases built from per-parameter value lists.</summary>
public sealed class CaseTable<T> where T : class
{
    /// <param name="names">parameter names (for the coverage report)</param>
    /// <param name="dims">number of values of each parameter</param>
    /// <param name="make">builds the case (with the given id) for a row of value indices, or null when that combination is
    /// invalid or too expensive</param>
    public CaseTable(string[] names, int[] dims, Func<int[], int, T?> make, int seed)
    {
        if (names.Length != dims.Length)
            throw new ArgumentException("one name per parameter", nameof(names));
        Names = names;
        Dims = dims;
        Rows = Covering.Pairwise(dims, r => make(r, -1) is not null, seed, out List<(int, int, int, int)> impossible);
        Impossible = impossible;
        Cases = Rows.Select((r, i) => make(r, i)!).ToList();
    }

    public string[] Names { get; }
    public int[] Dims { get; }
    public List<int[]> Rows { get; }
    public List<(int P1, int V1, int P2, int V2)> Impossible { get; }
    public List<T> Cases { get; }

    public IEnumerable<TestCaseData> TestCases() => Cases.Select(c => new TestCaseData(c).SetArgDisplayNames(c.ToString() ?? ""));

    public string DescribeImpossible() =>
        string.Join("; ", Impossible.Select(i => $"{Names[i.P1]}#{i.V1} with {Names[i.P2]}#{i.V2}"));
}

/// <summary>How a window is padded.</summary>
public enum Padding
{
    /// <summary>No padding.</summary>
    Zero,
    /// <summary>k/2 on every side.</summary>
    Symmetric,
    /// <summary>TensorFlow SAME: total = max((ceil(in/s) − 1)·s + k − in, 0), the odd one at the bottom/right (asymmetric for stride 2).</summary>
    SameUpper,
    /// <summary>Different on every side: top min(1,k−1), bottom k−1, left k−1, right 0.</summary>
    Asymmetric,
    /// <summary>Pads as wide as the window or wider (top k, bottom 1, left 0, right k+1): some windows see only padding.</summary>
    Wide,
}

public static class Pads
{
    public static (int Before, int After) Of(Padding kind, int size, int k, int s, bool vertical) => kind switch
    {
        Padding.Zero => (0, 0),
        Padding.Symmetric => (k / 2, k / 2),
        Padding.SameUpper => Same(size, k, s),
        Padding.Asymmetric => vertical ? (Math.Min(1, k - 1), k - 1) : (k - 1, 0),
        Padding.Wide => vertical ? (k, 1) : (0, k + 1),
        _ => throw new ArgumentOutOfRangeException(nameof(kind)),
    };

    private static (int, int) Same(int size, int k, int s)
    {
        int outSize = (size + s - 1) / s;
        int total = Math.Max((outSize - 1) * s + k - size, 0);
        return (total / 2, total - total / 2);
    }
}
