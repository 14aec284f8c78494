using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Text.RegularExpressions;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Backends.Reference;
using MobileNetAccel.Execution;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.Onnx;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Onnx;

/// <summary>
/// ONNX's own node tests (Debian's libonnx-testdata, /usr/share/libonnx-testdata/data/node): every case with a node
/// whose operator is in the importer's supported list is imported and run, and its outputs are compared with the
/// expected output_N.pb. One NUnit test per case; <see cref="Summary"/> prints the totals and every exclusion.
/// <para>A case is excluded only when the importer rejects it with a <see cref="ModelFormatException"/> saying what is
/// unsupported (the reason printed is that message: e.g. 3-D pooling, dilations, an unsupported dtype, an expanded
/// function body using other operators). The exclusion test still checks that the rejection is that clear error.</para>
/// <para>Inputs the importer needs as constants (weights, shapes, pads, axes, clip bounds, Gemm's B/C) are frozen to
/// the test data's values (<see cref="OnnxImportOptions.FrozenInputs"/>); all other inputs are fed at run time.
/// Every case runs on the managed reference backend; cases whose nodes the native CPU backend supports run there too.</para>
/// <para>Tolerance |ours − expected| ≤ 1e-5 + 1e-4·|expected| (ONNX's own runner uses rtol 1e-3, atol 1e-7; ours is
/// tighter relatively, looser absolutely for values near 0 that come from sums of cancelling terms).</para>
/// </summary>
[TestFixture]
public class OnnxNodeTests
{
    public const string DataRoot = "/usr/share/libonnx-testdata/data/node";
    private const double Atol = 1e-5, Rtol = 1e-4;

    private static readonly Regex UnsupportedMessage = new(
        "not supported|only 2-D|for 4-D \\(NCHW\\) tensors only|only float32|outside the supported range|is not 4-D",
        RegexOptions.Compiled);

    public enum Outcome { Passed, Excluded, Failed }

    public sealed record CaseResult(Outcome Outcome, string Message, bool RanOnCpu);

    private static readonly ConcurrentDictionary<string, CaseResult> Results = new();

    private static readonly Lazy<IReadOnlyList<(string Name, string[] Ops)>> InScope = new(FindCases);

    private static IReadOnlyList<(string Name, string[] Ops)> FindCases()
    {
        if (!Directory.Exists(DataRoot))
            return Array.Empty<(string, string[])>();
        var supported = new HashSet<string>(OnnxImporter.SupportedOperators);
        var list = new List<(string, string[])>();
        foreach (var dir in Directory.GetDirectories(DataRoot).OrderBy(d => d, StringComparer.Ordinal))
        {
            string file = Path.Combine(dir, "model.onnx");
            if (!File.Exists(file))
                continue;
            string[] ops;
            try
            {
                ops = OnnxReader.ReadFile(file).Graph.Nodes.Select(n => n.OpType).Distinct().ToArray();
            }
            catch (ModelFormatException)
            {
                ops = Array.Empty<string>();
            }
            string name = Path.GetFileName(dir);
            if (CaseOperator(name, ops) is { } op && supported.Contains(op))
                list.Add((name, ops));
        }
        return list;
    }

    /// <summary>The operator a case tests: its node's op for a one-node model; for a multi-node model (an expanded
    /// function body, e.g. test_softmax_axis_0_expanded) the supported operator its name starts with, if any.</summary>
    private static string? CaseOperator(string name, string[] ops)
    {
        if (ops.Length == 1)
            return ops[0];
        return OnnxImporter.SupportedOperators.FirstOrDefault(op =>
            name.StartsWith("test_" + op.ToLowerInvariant() + "_", StringComparison.Ordinal) || name == "test_" + op.ToLowerInvariant());
    }

    public static IEnumerable<TestCaseData> Cases()
    {
        if (InScope.Value.Count == 0)
        {
            yield return new TestCaseData("<missing>").SetName("OnnxNode(<libonnx-testdata missing>)");
            yield break;
        }
        foreach (var (name, _) in InScope.Value)
            yield return new TestCaseData(name).SetName($"OnnxNode({name})");
    }

    [TestCaseSource(nameof(Cases))]
    public void NodeCase(string name)
    {
        if (name == "<missing>")
        {
            string message = $"ONNX node tests not found at {DataRoot} (install Debian's libonnx-testdata)";
            if (TestData.IsCi)
                Assert.Fail(message);
            Assert.Ignore(message);
        }
        var r = Results.GetOrAdd(name, Evaluate);
        switch (r.Outcome)
        {
            case Outcome.Failed:
                Assert.Fail(r.Message);
                break;
            case Outcome.Excluded:
                TestContext.Out.WriteLine($"excluded (the importer rejects it with a clear error): {r.Message}");
                break;
            default:
                TestContext.Out.WriteLine($"passed on managed{(r.RanOnCpu ? " and cpu" : "")}: {r.Message}");
                break;
        }
    }

    [Test]
    public void Summary()
    {
        if (InScope.Value.Count == 0)
        {
            string message = $"ONNX node tests not found at {DataRoot}";
            if (TestData.IsCi)
                Assert.Fail(message);
            Assert.Ignore(message);
        }
        var all = InScope.Value.Select(c => (c.Name, Result: Results.GetOrAdd(c.Name, Evaluate))).ToList();
        int passed = all.Count(c => c.Result.Outcome == Outcome.Passed);
        int excluded = all.Count(c => c.Result.Outcome == Outcome.Excluded);
        int failed = all.Count(c => c.Result.Outcome == Outcome.Failed);
        int onCpu = all.Count(c => c.Result.Outcome == Outcome.Passed && c.Result.RanOnCpu);
        TestContext.Out.WriteLine($"ONNX node tests with a supported operator: {all.Count} cases; {passed} passed " +
            $"({onCpu} of them on the native cpu backend too), {excluded} excluded, {failed} failed");
        foreach (var (n, r) in all.Where(c => c.Result.Outcome == Outcome.Excluded))
            TestContext.Out.WriteLine($"  excluded {n}: {r.Message}");
        foreach (var (n, r) in all.Where(c => c.Result.Outcome == Outcome.Failed))
            TestContext.Out.WriteLine($"  FAILED {n}: {r.Message}");
        Assert.That(failed, Is.Zero);
        Assert.That(passed, Is.GreaterThan(0));
    }

    private static CaseResult Evaluate(string name)
    {
        string dir = Path.Combine(DataRoot, name);
        try
        {
            var model = OnnxReader.ReadFile(Path.Combine(dir, "model.onnx"));
            var sets = Directory.GetDirectories(dir, "test_data_set_*").OrderBy(d => d, StringComparer.Ordinal).ToList();
            if (sets.Count == 0)
                return new CaseResult(Outcome.Failed, "no test_data_set_* folder", false);
            var initializers = new HashSet<string>(model.Graph.Initializers.Select(t => t.Name));
            var inputs = model.Graph.Inputs.Where(i => !initializers.Contains(i.Name)).ToList();
            if (inputs.Any(i => !NeedsConstant(model.Graph, i.Name) && (i.IsNonTensor || i.ElementType != OnnxDataType.Float)))
            {
                // Sequence/optional or non-float run-time inputs: the importer must say so (their .pb files are not all TensorProtos).
                var constants = new Dictionary<string, OnnxTensor>();
                for (int i = 0; i < inputs.Count; i++)
                    if (NeedsConstant(model.Graph, inputs[i].Name))
                        constants[inputs[i].Name] = OnnxReader.ReadTensor(File.ReadAllBytes(Path.Combine(sets[0], $"input_{i}.pb")));
                try
                {
                    OnnxImporter.Import(model, new OnnxImportOptions { FrozenInputs = constants });
                }
                catch (ModelFormatException e) when (UnsupportedMessage.IsMatch(e.Message))
                {
                    return new CaseResult(Outcome.Excluded, e.Message, false);
                }
                if (inputs.Any(i => i.IsNonTensor))
                    return new CaseResult(Outcome.Failed, "a non-tensor input was accepted", false);
            }
            var messages = new List<string>();
            bool ranOnCpu = true;
            foreach (var set in sets)
            {
                var given = new List<OnnxTensor>();
                for (int i = 0; File.Exists(Path.Combine(set, $"input_{i}.pb")); i++)
                    given.Add(OnnxReader.ReadTensor(File.ReadAllBytes(Path.Combine(set, $"input_{i}.pb")), $"{name}/input_{i}.pb"));
                var expected = new List<OnnxTensor>();
                for (int i = 0; File.Exists(Path.Combine(set, $"output_{i}.pb")); i++)
                    expected.Add(OnnxReader.ReadTensor(File.ReadAllBytes(Path.Combine(set, $"output_{i}.pb")), $"{name}/output_{i}.pb"));
                if (given.Count != inputs.Count)
                    return new CaseResult(Outcome.Failed, $"{given.Count} input files for {inputs.Count} graph inputs", false);

                var frozen = new Dictionary<string, OnnxTensor>();
                for (int i = 0; i < inputs.Count; i++)
                    if (NeedsConstant(model.Graph, inputs[i].Name))
                        frozen[inputs[i].Name] = given[i];
                ModelGraph graph;
                try
                {
                    graph = OnnxImporter.Import(model, new OnnxImportOptions { FrozenInputs = frozen });
                }
                catch (ModelFormatException e) when (UnsupportedMessage.IsMatch(e.Message))
                {
                    return new CaseResult(Outcome.Excluded, e.Message, false);
                }
                var feeds = new Dictionary<string, byte[]>();
                for (int i = 0; i < inputs.Count; i++)
                    if (!frozen.ContainsKey(inputs[i].Name))
                        feeds[inputs[i].Name] = given[i].Data.ToArray();
                if (graph.Outputs.Count != expected.Count)
                    return new CaseResult(Outcome.Failed, $"graph has {graph.Outputs.Count} outputs; {expected.Count} expected", false);

                // The managed reference backend has no integer kernels: quantized cases run on the native cpu backend only.
                bool quantized = graph.Values().Any(v => v.DataType is DataType.UInt8 or DataType.Int8);
                string? problem;
                if (!quantized)
                {
                    var managed = RunGraph(graph, new ReferenceBackend(), feeds);
                    problem = Compare(graph, expected, managed, "managed");
                    if (problem is not null)
                        return new CaseResult(Outcome.Failed, problem, false);
                }
                var cpu = new NativeCpuBackend();
                if (graph.Nodes.All(n => cpu.Supports(n, out _)))
                {
                    problem = Compare(graph, expected, RunGraph(graph, cpu, feeds), "cpu");
                    if (problem is not null)
                        return new CaseResult(Outcome.Failed, problem, false);
                }
                else if (quantized)
                    return new CaseResult(Outcome.Failed, "a quantized case the native cpu backend cannot run: " + string.Join("; ", graph.Nodes.Select(n => cpu.Supports(n, out string r) ? null : $"{n.Name}: {r}").Where(r => r is not null)), false);
                else
                    ranOnCpu = false;
                messages.Add($"{Path.GetFileName(set)}: {string.Join(", ", graph.Outputs.Select(o => $"{o.Name}{Value.FormatShape(o.Shape)}"))}");
            }
            return new CaseResult(Outcome.Passed, string.Join("; ", messages), ranOnCpu);
        }
        catch (Exception e)
        {
            return new CaseResult(Outcome.Failed, $"{e.GetType().Name}: {e.Message}", false);
        }
    }

    /// <summary>Whether some node reads the input at a position the importer needs as a constant.</summary>
    private static bool NeedsConstant(OnnxGraph g, string input) =>
        g.Nodes.Any(n => n.Inputs.Select((name, i) => (name, i)).Any(p => p.name == input && OnnxImporter.RequiresConstantInput(n.OpType, p.i)));

    /// <summary>Runs the whole graph as one partition on <paramref name="backend"/> with a planned arena
    /// (any number of inputs and outputs, unlike the single-input session).</summary>
    private static Dictionary<Value, byte[]> RunGraph(ModelGraph graph, IBackend backend, Dictionary<string, byte[]> feeds)
    {
        var plan = MemoryPlanner.Plan(graph);
        using var arena = new NativeArena(plan);
        var runtimeInputs = graph.Inputs.ToList();
        var partition = new Partition(graph.Nodes.ToList(), runtimeInputs, graph.Outputs.Where(o => !o.IsConstant).ToList());
        using var compiled = backend.Compile(partition, backend.Devices[0], new CompileOptions { Threads = 1 });
        foreach (var v in runtimeInputs)
        {
            var data = feeds[v.Name];
            if (data.Length != v.SizeInBytes)
                throw new InvalidOperationException($"input '{v.Name}' has {data.Length} bytes for shape {Value.FormatShape(v.Shape)} {v.DataType}");
            data.CopyTo(arena.Span<byte>(v));
        }
        compiled.Run(arena);
        var result = new Dictionary<Value, byte[]>(ReferenceEqualityComparer.Instance);
        foreach (var o in graph.Outputs)
            result[o] = arena.Span<byte>(o).ToArray();
        return result;
    }

    private static string? Compare(ModelGraph graph, List<OnnxTensor> expected, Dictionary<Value, byte[]> actual, string backend)
    {
        for (int i = 0; i < expected.Count; i++)
        {
            var o = graph.Outputs[i];
            var e = expected[i];
            var dims = e.Dims.Select(d => (int)d).ToArray();
            if (!dims.SequenceEqual(o.Shape))
                return $"{backend}: output '{o.Name}' has shape {Value.FormatShape(o.Shape)}; expected {Value.FormatShape(dims)}";
            if (e.DataType is OnnxDataType.UInt8 or OnnxDataType.Int8)
            {
                // Integer outputs: the same bytes (QuantizeLinear and the QLinear ops round half to even, as we do).
                var expectedType = e.DataType == OnnxDataType.UInt8 ? DataType.UInt8 : DataType.Int8;
                if (o.DataType != expectedType)
                    return $"{backend}: output '{o.Name}' is {o.DataType}; expected {e.DataType}";
                var bytes = actual[o];
                for (int k = 0; k < bytes.Length; k++)
                    if (bytes[k] != e.Data[k])
                    {
                        int g8 = o.DataType == DataType.Int8 ? (sbyte)bytes[k] : bytes[k], w8 = o.DataType == DataType.Int8 ? (sbyte)e.Data[k] : e.Data[k];
                        return $"{backend}: output '{o.Name}' element {k}: got {g8}, expected {w8}";
                    }
                continue;
            }
            if (e.DataType == OnnxDataType.Int64)
            {
                // ArgMax/ArgMin indices: exact
                if (o.DataType != DataType.Int64)
                    return $"{backend}: output '{o.Name}' is {o.DataType}; expected Int64";
                var wantIdx = MemoryMarshal.Cast<byte, long>(e.Data);
                var gotIdx = MemoryMarshal.Cast<byte, long>(actual[o]);
                for (int k = 0; k < wantIdx.Length; k++)
                    if (gotIdx[k] != wantIdx[k])
                        return $"{backend}: output '{o.Name}' element {k}: got {gotIdx[k]}, expected {wantIdx[k]}";
                continue;
            }
            if (e.DataType != OnnxDataType.Float)
                return $"output {i} expected as {e.DataType}";
            if (o.DataType != DataType.Float32)
                return $"{backend}: output '{o.Name}' is {o.DataType}; expected float";
            var want = MemoryMarshal.Cast<byte, float>(e.Data);
            var got = MemoryMarshal.Cast<byte, float>(actual[o]);
            for (int k = 0; k < want.Length; k++)
            {
                double w = want[k], g = got[k];
                bool ok = double.IsNaN(w) ? double.IsNaN(g) : double.IsInfinity(w) ? w == g : Math.Abs(g - w) <= Atol + Rtol * Math.Abs(w);
                if (!ok)
                    return $"{backend}: output '{o.Name}' element {k}: got {g:R}, expected {w:R} (tolerance {Atol} + {Rtol}·|expected|)";
            }
        }
        return null;
    }
}
