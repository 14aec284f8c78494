using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>
/// The kernel case tables are pairwise covering: every pair of values of any two parameters appears together in some
/// case, except pairs no valid case can hold (e.g. a 1x1 input with a 5x5 window and no padding, or a residual block with
/// stride 2), which are listed.
/// </summary>
[TestFixture]
public sealed class CaseTableTests
{
    private static IEnumerable<TestCaseData> Tables()
    {
        yield return Table("conv2d", ConvolutionTests.Conv2DTable);
        yield return Table("dwconv2d", ConvolutionTests.DepthwiseTable);
        yield return Table("pwconv", ConvolutionTests.PointwiseTable);
        yield return Table("irb", InvertedResidualTests.Table);
        yield return Table("avgpool2d", PoolingTests.AvgPoolTable);
        yield return Table("global_avgpool", PoolingTests.GlobalTable);
        yield return Table("fully_connected", DenseTests.FcTable);
        yield return Table("softmax", DenseTests.SoftmaxTable);
        yield return Table("add", ElementwiseTests.AddTable);
        yield return Table("activation", ElementwiseTests.ActivationTable);
        yield return Table("pad2d", ElementwiseTests.PadTable);
    }

    private static TestCaseData Table<T>(string name, CaseTable<T> t) where T : class =>
        new TestCaseData(name, t.Dims, t.Rows, t.Impossible.Select(i => (i.P1, i.V1, i.P2, i.V2)).ToList(), t.DescribeImpossible())
            .SetArgDisplayNames(name);

    [TestCaseSource(nameof(Tables))]
    public void EveryPairOfParameterValuesIsCovered(string name, int[] dims, List<int[]> rows, List<(int, int, int, int)> impossible, string impossibleText)
    {
        Assert.That(Covering.UncoveredPairs(dims, rows, impossible), Is.Zero, $"{name}: pairs left uncovered");
        long cross = dims.Aggregate(1L, (a, d) => a * d);
        TestContext.Out.WriteLine($"{name}: {rows.Count} cases cover all pairs (full cross product {cross}); pairs no valid case can hold: {impossible.Count}");
        if (impossible.Count > 0)
            TestContext.Out.WriteLine("  " + impossibleText);
        // Every value of every parameter appears in several cases.
        for (int p = 0; p < dims.Length; p++)
            for (int v = 0; v < dims[p]; v++)
                Assert.That(rows.Count(r => r[p] == v), Is.GreaterThanOrEqualTo(2), $"{name}: parameter {p} value {v} appears in fewer than 2 cases");
    }
}
