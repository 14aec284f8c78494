using System.Buffers.Binary;
using System.Diagnostics;
using System.Numerics;
using System.Text;
using MobileNetAccel.Formats;
using MobileNetAccel.Formats.TFLite;
using MobileNetAccel.Graph;
using NUnit.Framework;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The FlexBuffers reader: hand-built buffers of every scalar type and width, indirect scalars, strings, keys, vectors and
/// maps (built by the small writer below, which lays bytes out as the format describes), the detector's real options
/// buffer, malformed buffers with the problem named, and ≥ 5,000 seeded mutations of the real buffer, each of which
/// must parse or raise <see cref="ModelFormatException"/>.
/// </summary>
[TestFixture]
public class FlexBufferReaderTests
{
    private static FlexRef Root(byte[] b) => new FlexBufferReader(b, "test", "options").Root();

    private static ModelFormatException Bad(TestDelegate read) => Assert.Throws<ModelFormatException>(read)!;

    // ------------------------------------------------------------------ a minimal writer for hand-built buffers

    private readonly record struct Item(FlexType Type, int Width, long Bits, double Real, int Target, bool IsOffset);

    private sealed class Writer
    {
        private readonly List<byte> _b = new();
        public int Pos => _b.Count;

        private void Align(int w)
        {
            while (Pos % w != 0)
                _b.Add(0);
        }

        private void Put(ulong v, int w)
        {
            for (int i = 0; i < w; i++)
                _b.Add((byte)(v >> (8 * i)));
        }

        public static Item Int(long v, int w = 1) => new(FlexType.Int, w, v, 0, 0, false);
        public static Item UInt(ulong v, int w = 1) => new(FlexType.UInt, w, (long)v, 0, 0, false);
        public static Item Bool(bool v) => new(FlexType.Bool, 1, v ? 1 : 0, 0, 0, false);
        public static Item Float(double v, int w = 4) => new(FlexType.Float, w, 0, v, 0, false);

        public Item Key(string s)
        {
            int at = Pos;
            _b.AddRange(Encoding.UTF8.GetBytes(s));
            _b.Add(0);
            return new Item(FlexType.Key, 1, 0, 0, at, true);
        }

        public Item String(string s, int w = 1)
        {
            var bytes = Encoding.UTF8.GetBytes(s);
            Align(w);
            Put((ulong)bytes.Length, w);
            int at = Pos;
            _b.AddRange(bytes);
            _b.Add(0);
            return new Item(FlexType.String, w, 0, 0, at, true);
        }

        public Item Indirect(Item scalar)
        {
            Align(scalar.Width);
            int at = Pos;
            Slot(scalar, scalar.Width);
            var t = scalar.Type switch { FlexType.Int => FlexType.IndirectInt, FlexType.UInt => FlexType.IndirectUInt, _ => FlexType.IndirectFloat };
            return new Item(t, scalar.Width, 0, 0, at, true);
        }

        /// <summary>A typed vector (VectorInt/UInt/Float/Bool, sized) or a fixed one (VectorInt2..Float4, unsized).</summary>
        public Item Typed(FlexType vectorType, Item[] items, int w, bool sized = true)
        {
            Align(w);
            if (sized)
                Put((ulong)items.Length, w);
            int at = Pos;
            foreach (var it in items)
                Slot(it, w);
            return new Item(vectorType, w, 0, 0, at, true);
        }

        public Item Vector(Item[] items, int w)
        {
            Align(w);
            Put((ulong)items.Length, w);
            int at = Pos;
            foreach (var it in items)
                Slot(it, w);
            foreach (var it in items)
                _b.Add(Packed(it));
            return new Item(FlexType.Vector, w, 0, 0, at, true);
        }

        /// <summary>A map: the keys (sorted, as the format requires), its keys vector of width <paramref name="kw"/>,
        /// then the values vector of width <paramref name="w"/> preceded by the keys offset, keys width and size.</summary>
        public Item Map((string Key, Item Value)[] entries, int w, int kw = 1)
        {
            var sorted = entries.OrderBy(e => e.Key, StringComparer.Ordinal).ToArray();
            var keys = sorted.Select(e => Key(e.Key)).ToArray();
            var kv = Typed(FlexType.VectorKey, keys, kw);
            Align(w);
            Put((ulong)(Pos - kv.Target), w);
            Put((ulong)kw, w);
            Put((ulong)sorted.Length, w);
            int at = Pos;
            foreach (var e in sorted)
                Slot(e.Value, w);
            foreach (var e in sorted)
                _b.Add(Packed(e.Value));
            return new Item(FlexType.Map, w, 0, 0, at, true);
        }

        private static byte Packed(Item it) => (byte)(((int)it.Type << 2) | BitOperations.Log2((uint)it.Width));

        private void Slot(Item it, int w)
        {
            if (it.IsOffset)
                Put((ulong)(Pos - it.Target), w);
            else if (it.Type == FlexType.Float)
                Put(w == 4 ? BitConverter.SingleToUInt32Bits((float)it.Real) : w == 8 ? BitConverter.DoubleToUInt64Bits(it.Real) : 0, w);
            else
                Put((ulong)it.Bits, w);
        }

        public byte[] Finish(Item root, int w = 1)
        {
            Slot(root, w);
            _b.Add(Packed(root));
            _b.Add((byte)w);
            return _b.ToArray();
        }
    }

    private static byte[] One(Item root, int w) => new Writer().Finish(root, w);

    // ------------------------------------------------------------------ hand-built buffers

    [TestCase(1, -2L)]
    [TestCase(2, -30000L)]
    [TestCase(4, -2_000_000_000L)]
    [TestCase(8, long.MinValue)]
    public void RootSignedIntegersOfEachWidth(int w, long v)
    {
        var r = Root(One(Writer.Int(v, w), w));
        Assert.That(r.Type, Is.EqualTo(FlexType.Int));
        Assert.That(r.AsInt64(), Is.EqualTo(v));
        Assert.That(r.AsDouble(), Is.EqualTo((double)v));
        Assert.That(r.AsBool(), Is.True);
        if (w < 8)
            Assert.That(r.AsInt32(), Is.EqualTo((int)v));
        else
            Assert.That(Bad(() => r.AsInt32()).Message, Does.Contain("does not fit in a 32-bit integer"));
    }

    [TestCase(1, 255UL)]
    [TestCase(2, 65535UL)]
    [TestCase(4, 4_000_000_000UL)]
    [TestCase(8, (ulong)long.MaxValue)]
    public void RootUnsignedIntegersOfEachWidth(int w, ulong v)
    {
        var r = Root(One(Writer.UInt(v, w), w));
        Assert.That(r.Type, Is.EqualTo(FlexType.UInt));
        Assert.That(r.AsInt64(), Is.EqualTo((long)v));
        Assert.That(Root(One(Writer.UInt(0, w), w)).AsBool(), Is.False);
    }

    [Test]
    public void AnUnsignedValueAboveLongMaxIsAnError()
    {
        var r = Root(One(Writer.UInt(ulong.MaxValue, 8), 8));
        Assert.That(Bad(() => r.AsInt64()).Message, Does.Contain("does not fit in a signed 64-bit integer"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    public void RootBooleansOfEachWidth(int w)
    {
        Assert.That(Root(One(Writer.Bool(true) with { Width = w }, w)).AsBool(), Is.True);
        Assert.That(Root(One(Writer.Bool(false) with { Width = w }, w)).AsBool(), Is.False);
        Assert.That(Root(One(Writer.Bool(true) with { Width = w }, w)).AsInt64(), Is.EqualTo(1));
    }

    [Test]
    public void RootFloatsOfWidthFourAndEight()
    {
        Assert.That(Root(One(Writer.Float(0.6f, 4), 4)).AsDouble(), Is.EqualTo((double)0.6f));
        Assert.That(Root(One(Writer.Float(0.6, 8), 8)).AsDouble(), Is.EqualTo(0.6));
        Assert.That(Root(One(Writer.Float(-1e300, 8), 8)).AsDouble(), Is.EqualTo(-1e300));
        var bad = new byte[] { 0, 0, (3 << 2) | 1, 2 }; // a float of width 2
        Assert.That(Bad(() => Root(bad).AsDouble()).Message, Does.Contain("float of width 2"));
        Assert.That(Bad(() => Root(One(Writer.Float(1, 4), 4)).AsBool()).Message, Does.Contain("is Float, expected a boolean"));
        Assert.That(Bad(() => Root(One(Writer.Float(1, 4), 4)).AsInt64()).Message, Does.Contain("expected an integer"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    public void IndirectScalarsOfEachWidth(int w)
    {
        var wr = new Writer();
        Assert.That(Root(wr.Finish(wr.Indirect(Writer.Int(-5, w)), 1)).AsInt64(), Is.EqualTo(-5));
        wr = new Writer();
        Assert.That(Root(wr.Finish(wr.Indirect(Writer.UInt(200, w)), 2)).AsInt64(), Is.EqualTo(200));
        if (w >= 4)
        {
            wr = new Writer();
            var r = Root(wr.Finish(wr.Indirect(Writer.Float(2.5, w)), 1));
            Assert.That(r.Type, Is.EqualTo(FlexType.IndirectFloat));
            Assert.That(r.AsDouble(), Is.EqualTo(2.5));
        }
    }

    [Test]
    public void StringsKeysAndTheirErrors()
    {
        var wr = new Writer();
        Assert.That(Root(wr.Finish(wr.String("héllo", 2), 1)).AsString(), Is.EqualTo("héllo"));
        wr = new Writer();
        Assert.That(Root(wr.Finish(wr.Key("max_detections"), 1)).AsString(), Is.EqualTo("max_detections"));
        // A key without its NUL: the bytes "ab" then the root pointing at them.
        var noNul = new byte[] { (byte)'a', (byte)'b', 2, (4 << 2), 1 };
        Assert.That(Bad(() => Root(noNul).AsString()).Message, Does.Contain("no terminating NUL"));
        // A string whose size runs past the end.
        var longString = new byte[] { 6, (byte)'a', 0, 2, (5 << 2), 1 };
        Assert.That(Bad(() => Root(longString).AsString()).Message, Does.Contain("lies outside"));
        var badUtf8 = new byte[] { 1, 0xFF, 0, 2, (5 << 2), 1 };
        Assert.That(Bad(() => Root(badUtf8).AsString()).Message, Does.Contain("not valid UTF-8"));
    }

    [TestCase(1)]
    [TestCase(2)]
    [TestCase(4)]
    [TestCase(8)]
    public void VectorsOfEachWidth(int w)
    {
        var wr = new Writer();
        var ints = wr.Typed(FlexType.VectorInt, new[] { Writer.Int(-1), Writer.Int(2), Writer.Int(3) }, w);
        var v = Root(wr.Finish(ints, 1)).AsVector();
        Assert.That(v.Count, Is.EqualTo(3));
        Assert.That(Enumerable.Range(0, 3).Select(i => v[i].AsInt64()), Is.EqualTo(new long[] { -1, 2, 3 }));
        Assert.That(Bad(() => _ = v[3]).Message, Does.Contain("index 3 outside the 3 elements"));

        wr = new Writer();
        var s = wr.String("x");
        var mixed = wr.Vector(new[] { Writer.Int(7), Writer.Bool(true), s, Writer.Float(1.5, Math.Max(w, 4)) }, Math.Max(w, 4));
        var m = Root(wr.Finish(mixed, 1)).AsVector();
        Assert.That(m[0].AsInt64(), Is.EqualTo(7));
        Assert.That(m[1].AsBool(), Is.True);
        Assert.That(m[2].AsString(), Is.EqualTo("x"));
        Assert.That(m[3].AsDouble(), Is.EqualTo(1.5));

        if (w >= 4)
        {
            wr = new Writer();
            var f3 = wr.Typed(FlexType.VectorFloat3, new[] { Writer.Float(1), Writer.Float(2), Writer.Float(3) }, w, sized: false);
            var f = Root(wr.Finish(f3, 1)).AsVector();
            Assert.That(f.Count, Is.EqualTo(3));
            Assert.That(f[2].AsDouble(), Is.EqualTo(3.0));
        }
    }

    [TestCase(1, 1)]
    [TestCase(2, 1)]
    [TestCase(4, 2)]
    [TestCase(8, 4)]
    public void MapsOfEachWidth(int w, int keysWidth)
    {
        // Floats need a width of 4 or 8, so the maps of width 1 and 2 hold integers, a boolean and a string only.
        var wr = new Writer();
        var name = wr.String("ssd");
        var entries = new List<(string, Item)>
        {
            ("num_classes", Writer.Int(90, Math.Min(w, 2))),
            ("flag", Writer.Bool(true)),
            ("name", name),
            ("big", Writer.UInt(250)),
        };
        if (w >= 4)
            entries.Add(("scale", Writer.Float(10, w)));
        var m = Root(wr.Finish(wr.Map(entries.ToArray(), w, keysWidth), 1)).AsMap();
        var expectedKeys = new List<string> { "big", "flag", "name", "num_classes" };
        if (w >= 4)
            expectedKeys.Add("scale");
        Assert.That(m.Keys(), Is.EqualTo(expectedKeys));
        Assert.That(m.TryGet("num_classes", out var n) && n.AsInt32() == 90);
        Assert.That(m.TryGet("flag", out var f) && f.AsBool());
        if (w >= 4)
            Assert.That(m.TryGet("scale", out var s) && s.AsDouble() == 10.0);
        Assert.That(m.TryGet("name", out var nm) && nm.AsString() == "ssd");
        Assert.That(m.TryGet("big", out var b) && b.AsInt64() == 250);
        Assert.That(m.TryGet("absent", out _), Is.False);
        Assert.That(m.TryGet("nam", out _), Is.False, "a prefix of a key is not the key");
        Assert.That(Bad(() => m.ValueAt(3).AsString()).Message, Does.Contain("value of 'num_classes'"));
    }

    // ------------------------------------------------------------------ the detector's options

    private static (string Key, Item Value)[] DetectorEntries() => new[]
    {
        ("max_detections", Writer.Int(10)),
        ("max_classes_per_detection", Writer.Int(1)),
        ("nms_score_threshold", Writer.Float(1e-8)),
        ("nms_iou_threshold", Writer.Float(0.6)),
        ("num_classes", Writer.Int(90)),
        ("y_scale", Writer.Float(10)),
        ("x_scale", Writer.Float(10)),
        ("h_scale", Writer.Float(5)),
        ("w_scale", Writer.Float(5)),
        ("_output_quantized", Writer.Bool(true)),
    };

    private static byte[] DetectorMap(IEnumerable<(string Key, Item Value)> entries, int w = 4)
    {
        var wr = new Writer();
        return wr.Finish(wr.Map(entries.ToArray(), w), 1);
    }

    private static DetectionPostProcessOptions Parse(byte[] b) =>
        TfliteCustomOperators.ParseDetectionPostProcessOptions(b, "test.tflite", "operator 63 custom options");

    [Test]
    public void HandBuiltDetectorOptionsParseToTheReadmesValues()
    {
        Assert.That(Parse(DetectorMap(DetectorEntries())), Is.EqualTo(DetectionPostProcessTests.ReadmeOptions));
        Assert.That(Parse(DetectorMap(DetectorEntries(), 8)), Is.EqualTo(DetectionPostProcessTests.ReadmeOptions), "doubles at width 8");
        var more = DetectorEntries().Append(("use_regular_nms", Writer.Bool(true))).Append(("detections_per_class", Writer.Int(7)))
            .Append(("unknown_key", Writer.Int(1)));
        var o = Parse(DetectorMap(more));
        Assert.That(o.UseRegularNms, Is.True);
        Assert.That(o.DetectionsPerClass, Is.EqualTo(7));
        // Integers are accepted where TFLite reads a float.
        var intScale = DetectorEntries().Select(e => e.Key == "y_scale" ? (e.Key, Writer.Int(10)) : e);
        Assert.That(Parse(DetectorMap(intScale)).YScale, Is.EqualTo(10f));
    }

    [TestCase("max_detections", "custom option 'max_detections' is missing")]
    [TestCase("y_scale", "custom option 'y_scale' is missing")]
    public void AMissingRequiredOptionIsNamed(string key, string message)
    {
        var e = Bad(() => Parse(DetectorMap(DetectorEntries().Where(x => x.Key != key))));
        Assert.That(e.Message, Does.Contain(message).And.Contain("test.tflite").And.Contain("operator 63 custom options"));
    }

    [Test]
    public void WrongTypesAndValuesAreNamed()
    {
        static byte[] Replace(string key, Item v, int w = 4) => DetectorMap(DetectorEntries().Select(e => e.Key == key ? (e.Key, v) : e), w);
        Assert.That(Bad(() => Parse(Replace("max_detections", Writer.Float(10)))).Message,
            Does.Contain("value of 'max_detections': is Float, expected an integer"));
        Assert.That(Bad(() => Parse(Replace("num_classes", Writer.Int(1L << 40, 8), 8))).Message, Does.Contain("does not fit in a 32-bit integer"));
        Assert.That(Bad(() => Parse(Replace("nms_iou_threshold", Writer.Float(0)))).Message, Does.Contain("nms_iou_threshold 0 is outside (0, 1]"));
        Assert.That(Bad(() => Parse(Replace("h_scale", Writer.Float(-5)))).Message, Does.Contain("h_scale -5 must be positive"));
        Assert.That(Bad(() => Parse(Replace("max_detections", Writer.Int(0)))).Message, Does.Contain("max_detections 0"));
        Assert.That(Bad(() => Parse(DetectorMap(DetectorEntries().Append(("use_regular_nms", Writer.Float(1)))))).Message,
            Does.Contain("value of 'use_regular_nms': is Float, expected a boolean"));
        Assert.That(Bad(() => Parse(One(Writer.Int(3), 1))).Message, Does.Contain("root: is Int, expected a map"));
    }

    [Test]
    public void MalformedBuffersAreNamedNotCrashed()
    {
        Assert.That(Bad(() => Root(Array.Empty<byte>())).Message, Does.Contain("too short"));
        Assert.That(Bad(() => Root(new byte[] { 1, 2 })).Message, Does.Contain("too short"));
        Assert.That(Bad(() => Root(new byte[] { 0, 4, 3 })).Message, Does.Contain("root width 3"));
        Assert.That(Bad(() => Root(new byte[] { 0, 4, 8 })).Message, Does.Contain("does not fit"));
        // A map root whose offset points before the buffer.
        Assert.That(Bad(() => Root(new byte[] { 9, (9 << 2) | 2, 1 }).AsMap()).Message, Does.Contain("pointing before the start"));
        // Keys and values of different lengths.
        var ok = DetectorMap(DetectorEntries());
        var keysLen = (byte[])ok.Clone();
        int keysSizeAt = Array.IndexOf(keysLen, (byte)10); // the keys vector's size byte (width 1) is the first 10
        keysLen[keysSizeAt] = 9;
        Assert.That(Bad(() => Parse(keysLen)).Message, Does.Contain("has 9 keys but 10 values"));
        // A size claiming more than the buffer.
        var rootAt = ok.Length - 3;
        var huge = (byte[])ok.Clone();
        int valuesAt = rootAt - huge[rootAt];
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(valuesAt - 4), 0x7FFFFFFF);
        Assert.That(Bad(() => Parse(huge)).Message, Does.Contain("claims 2147483647 elements"));
    }

    private static byte[] RealOptions()
    {
        string path = TestData.Require("models/detection/ssd_mobilenet_v1_coco_quant.tflite");
        var ops = TfliteCustomOperators.Read(File.ReadAllBytes(path), path);
        Assert.That(ops, Has.Count.EqualTo(1));
        Assert.That(ops[0].OptionsFormat, Is.Zero);
        return ops[0].Options;
    }

    [Test]
    public void TheDetectorsRealBufferReadsAsTenTypedEntries()
    {
        var b = RealOptions();
        var root = Root(b);
        Assert.That(root.Type, Is.EqualTo(FlexType.Map));
        var m = root.AsMap();
        Assert.That(m.Keys(), Is.EqualTo(new[]
        {
            "_output_quantized", "h_scale", "max_classes_per_detection", "max_detections", "nms_iou_threshold",
            "nms_score_threshold", "num_classes", "w_scale", "x_scale", "y_scale",
        }));
        var types = Enumerable.Range(0, 10).Select(i => m.ValueAt(i).Type).ToArray();
        Assert.That(types, Is.EqualTo(new[]
        {
            FlexType.Bool, FlexType.Float, FlexType.Int, FlexType.Int, FlexType.Float, FlexType.Float, FlexType.Int,
            FlexType.Float, FlexType.Float, FlexType.Float,
        }));
        Assert.That(Parse(b), Is.EqualTo(DetectionPostProcessTests.ReadmeOptions));
    }

    // ------------------------------------------------------------------ fuzzing

    private static byte[] Mutate(byte[] original, Random rng, out string what)
    {
        var b = (byte[])original.Clone();
        int kind = rng.Next(8);
        switch (kind)
        {
            case 0:
            {
                int n = rng.Next(1, 5);
                for (int i = 0; i < n; i++)
                    b[rng.Next(b.Length)] ^= (byte)(1 << rng.Next(8));
                what = $"flip {n} bits";
                return b;
            }
            case 1:
            {
                int at = rng.Next(b.Length);
                byte[] special = { 0, 1, 2, 3, 4, 7, 8, 0x7F, 0x80, 0xFE, 0xFF };
                b[at] = rng.Next(2) == 0 ? special[rng.Next(special.Length)] : (byte)rng.Next(256);
                what = $"set byte {at} to {b[at]}";
                return b;
            }
            case 2:
            {
                // The tail: root width, root type, root offset.
                int at = b.Length - 1 - rng.Next(Math.Min(6, b.Length));
                b[at] = (byte)rng.Next(256);
                what = $"set tail byte {at} to {b[at]}";
                return b;
            }
            case 3:
            {
                int keep = rng.Next(b.Length);
                what = $"keep the last {keep} bytes";
                return b[^keep..];
            }
            case 4:
            {
                int keep = rng.Next(b.Length);
                what = $"keep the first {keep} bytes";
                return b[..keep];
            }
            case 5:
            {
                int at = rng.Next(b.Length + 1), n = rng.Next(1, 9);
                var ins = new byte[n];
                rng.NextBytes(ins);
                what = $"insert {n} bytes at {at}";
                return b[..at].Concat(ins).Concat(b[at..]).ToArray();
            }
            case 6:
            {
                int at = rng.Next(b.Length), n = Math.Min(rng.Next(1, 9), b.Length - at);
                what = $"delete {n} bytes at {at}";
                return b[..at].Concat(b[(at + n)..]).ToArray();
            }
            default:
            {
                // A 4-byte field (the map's values are 4 wide) set to a boundary value.
                int at = rng.Next(Math.Max(1, b.Length - 3));
                uint[] vals = { 0, 1, 0x7FFFFFFF, 0x80000000, 0xFFFFFFFF, (uint)b.Length, (uint)at, (uint)at + 1 };
                uint v = vals[rng.Next(vals.Length)];
                if (at + 4 <= b.Length)
                    BinaryPrimitives.WriteUInt32LittleEndian(b.AsSpan(at), v);
                what = $"set u32 at {at} to {v}";
                return b;
            }
        }
    }

    /// <summary>Reads everything reachable from the root with every accessor; only <see cref="ModelFormatException"/> may escape each.</summary>
    private static void Walk(byte[] b)
    {
        FlexRef root;
        try
        {
            root = Root(b);
        }
        catch (ModelFormatException)
        {
            return;
        }
        var values = new List<FlexRef> { root };
        try
        {
            var m = root.AsMap();
            for (long i = 0; i < Math.Min(m.Count, 64); i++)
            {
                try
                {
                    _ = m.KeyAt(i);
                    values.Add(m.ValueAt(i));
                }
                catch (ModelFormatException)
                {
                }
            }
        }
        catch (ModelFormatException)
        {
        }
        foreach (var v in values)
        {
            Action[] reads =
            {
                () => v.AsInt64(), () => v.AsDouble(), () => v.AsBool(), () => v.AsString(), () => v.AsBlob(),
                () =>
                {
                    var vec = v.AsVector();
                    for (long i = 0; i < Math.Min(vec.Count, 16); i++)
                        _ = vec[i].AsDouble();
                },
            };
            foreach (var read in reads)
            {
                try
                {
                    read();
                }
                catch (ModelFormatException)
                {
                }
            }
        }
    }

    [Test]
    public void MutatedRealOptionsEitherParseOrRaiseModelFormatException()
    {
        const int seed = 20261203, variants = 6000;
        var original = RealOptions();
        var rng = new Random(seed);
        int parsed = 0, rejected = 0, sameOptions = 0;
        var reasons = new Dictionary<string, int>();
        var sw = Stopwatch.StartNew();
        for (int i = 0; i < variants; i++)
        {
            int caseSeed = rng.Next();
            var b = Mutate(original, new Random(caseSeed), out string what);
            try
            {
                var o = Parse(b);
                parsed++;
                if (o == DetectionPostProcessTests.ReadmeOptions)
                    sameOptions++;
            }
            catch (ModelFormatException e)
            {
                rejected++;
                string key = e.Problem.Length > 40 ? e.Problem[..40] : e.Problem;
                reasons[key] = reasons.GetValueOrDefault(key) + 1;
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, variant {i} (case seed {caseSeed}: {what}): {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
            try
            {
                Walk(b);
            }
            catch (Exception e)
            {
                Assert.Fail($"seed {seed}, variant {i} (case seed {caseSeed}: {what}), generic walk: {e.GetType().Name}: {e.Message}\n{e.StackTrace}");
            }
        }
        TestContext.Out.WriteLine($"seed {seed}: {variants} variants, {parsed} parsed ({sameOptions} to the original options), {rejected} rejected, " +
            $"{sw.Elapsed.TotalMilliseconds:F0} ms");
        foreach (var (k, n) in reasons.OrderByDescending(kv => kv.Value).Take(8))
            TestContext.Out.WriteLine($"  {n,5}  {k}");
        Assert.That(parsed + rejected, Is.EqualTo(variants));
        Assert.That(rejected, Is.GreaterThan(variants / 10), "the mutations should break most structure");
    }
}
