using System.Buffers.Binary;
using System.Text;

namespace MobileNetAccel.Formats.TFLite;

/// <summary>FlexBuffers value types (the high 6 bits of a packed type byte; the low 2 bits are log2 of the width).</summary>
internal enum FlexType
{
    Null = 0,
    Int = 1,
    UInt = 2,
    Float = 3,
    Key = 4,
    String = 5,
    IndirectInt = 6,
    IndirectUInt = 7,
    IndirectFloat = 8,
    Map = 9,
    Vector = 10,
    VectorInt = 11,
    VectorUInt = 12,
    VectorFloat = 13,
    VectorKey = 14,
    VectorStringDeprecated = 15,
    VectorInt2 = 16,
    VectorUInt2 = 17,
    VectorFloat2 = 18,
    VectorInt3 = 19,
    VectorUInt3 = 20,
    VectorFloat3 = 21,
    VectorInt4 = 22,
    VectorUInt4 = 23,
    VectorFloat4 = 24,
    Blob = 25,
    Bool = 26,
    VectorBool = 36,
}

/// <summary>
/// A small bounds-checked FlexBuffers reader (the schema-less format of TFLite custom operator options). The root is at
/// the end of the buffer: the last byte is the root's width in bytes, the byte before it its packed type, and the root
/// value (inline, or an offset back to the data) comes before those. Offsets point backwards (target = position −
/// offset). Every read is checked against the buffer; anything malformed raises <see cref="ModelFormatException"/>
/// naming the file, the location and what is wrong. Nothing recurses and nothing is allocated from a count that was
/// not first checked to fit in the buffer, so corrupted data cannot hang or exhaust memory.
/// </summary>
internal sealed class FlexBufferReader
{
    private readonly byte[] _data;

    public FlexBufferReader(byte[] data, string file, string where)
    {
        ArgumentNullException.ThrowIfNull(data);
        _data = data;
        File = file;
        Where = where;
    }

    public string File { get; }
    public string Where { get; }
    public int Length => _data.Length;

    public ModelFormatException Fail(string problem) => new(File, Where, problem);

    internal void Need(long pos, long size, string what)
    {
        if (pos < 0 || size < 0 || pos + size > _data.Length)
            throw Fail($"{what} at byte {pos} (+{size}) lies outside the {_data.Length}-byte flexbuffer");
    }

    internal static bool ValidWidth(long w) => w is 1 or 2 or 4 or 8;

    /// <summary>The root value.</summary>
    public FlexRef Root()
    {
        if (_data.Length < 3)
            throw Fail($"flexbuffer is {_data.Length} bytes, too short (a root needs at least 3)");
        int width = _data[^1];
        if (!ValidWidth(width))
            throw Fail($"root width {width} is not 1, 2, 4 or 8");
        byte packed = _data[^2];
        int pos = _data.Length - 2 - width;
        if (pos < 0)
            throw Fail($"root value of {width} bytes does not fit in the {_data.Length}-byte flexbuffer");
        return new FlexRef(this, pos, width, packed, "root");
    }

    /// <summary>Unsigned little-endian integer of <paramref name="width"/> bytes at <paramref name="pos"/>.</summary>
    internal ulong ReadUInt(long pos, int width, string what)
    {
        Need(pos, width, what);
        var s = _data.AsSpan((int)pos, width);
        return width switch
        {
            1 => s[0],
            2 => BinaryPrimitives.ReadUInt16LittleEndian(s),
            4 => BinaryPrimitives.ReadUInt32LittleEndian(s),
            8 => BinaryPrimitives.ReadUInt64LittleEndian(s),
            _ => throw Fail($"{what}: width {width} is not 1, 2, 4 or 8"),
        };
    }

    internal long ReadInt(long pos, int width, string what)
    {
        ulong u = ReadUInt(pos, width, what);
        return width switch
        {
            1 => (sbyte)u,
            2 => (short)u,
            4 => (int)u,
            _ => (long)u,
        };
    }

    internal double ReadFloat(long pos, int width, string what)
    {
        ulong u = ReadUInt(pos, width, what);
        return width switch
        {
            4 => BitConverter.Int32BitsToSingle((int)(uint)u),
            8 => BitConverter.Int64BitsToDouble((long)u),
            _ => throw Fail($"{what} is a float of width {width}; floats are 4 or 8 bytes"),
        };
    }

    /// <summary>Follows the backward offset of <paramref name="width"/> bytes stored at <paramref name="pos"/>.</summary>
    internal long Indirect(long pos, int width, string what)
    {
        ulong off = ReadUInt(pos, width, what);
        if (off > (ulong)pos)
            throw Fail($"{what} at byte {pos} has offset {off}, pointing before the start of the flexbuffer");
        return pos - (long)off;
    }

    /// <summary>The size field stored just before the data of a sized vector/string/map at <paramref name="pos"/>.</summary>
    internal long Size(long pos, int width, string what)
    {
        ulong n = ReadUInt(pos - width, width, $"{what} size");
        if (n > (ulong)_data.Length)
            throw Fail($"{what} claims {n} elements, more than the {_data.Length}-byte flexbuffer holds");
        return (long)n;
    }

    /// <summary>The NUL-terminated string starting at <paramref name="pos"/> (a key).</summary>
    internal string CString(long pos, string what)
    {
        Need(pos, 1, what);
        int end = Array.IndexOf(_data, (byte)0, (int)pos);
        if (end < 0)
            throw Fail($"{what} at byte {pos} has no terminating NUL");
        return Utf8(pos, end - pos, what);
    }

    internal string Utf8(long pos, long count, string what)
    {
        Need(pos, count, what);
        try
        {
            return new UTF8Encoding(false, true).GetString(_data, (int)pos, (int)count);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException(File, Where, $"{what} at byte {pos} is not valid UTF-8", e);
        }
    }

    internal byte Byte(long pos, string what)
    {
        Need(pos, 1, what);
        return _data[pos];
    }

    internal ReadOnlySpan<byte> Span(long pos, long count, string what)
    {
        Need(pos, count, what);
        return _data.AsSpan((int)pos, (int)count);
    }
}

/// <summary>A reference to one FlexBuffers value: where it is stored, the width of its slot (the parent's width), and
/// its packed type.</summary>
internal readonly struct FlexRef
{
    private readonly FlexBufferReader _r;
    private readonly long _pos;
    private readonly int _parentWidth;

    internal FlexRef(FlexBufferReader r, long pos, int parentWidth, byte packedType, string what)
    {
        _r = r;
        _pos = pos;
        _parentWidth = parentWidth;
        Type = (FlexType)(packedType >> 2);
        ByteWidth = 1 << (packedType & 3);
        What = what;
    }

    public FlexType Type { get; }
    /// <summary>Width in bytes of the value's own data (elements of a vector, an indirect scalar).</summary>
    public int ByteWidth { get; }
    /// <summary>What this value is, for error messages (e.g. "value of 'max_detections'").</summary>
    public string What { get; }

    public bool IsNull => Type == FlexType.Null;
    public bool IsInteger => Type is FlexType.Int or FlexType.UInt or FlexType.IndirectInt or FlexType.IndirectUInt;
    public bool IsFloat => Type is FlexType.Float or FlexType.IndirectFloat;

    private ModelFormatException Fail(string problem) => _r.Fail($"{What}: {problem}");

    private static string Name(FlexType t) => Enum.IsDefined(t) ? t.ToString() : $"type {(int)t}";

    private ModelFormatException Wrong(string expected) => Fail($"is {Name(Type)}, expected {expected}");

    private long Target() => _r.Indirect(_pos, _parentWidth, What);

    /// <summary>A signed integer (Int, UInt, their indirect forms, or Bool as 0/1).</summary>
    public long AsInt64()
    {
        switch (Type)
        {
            case FlexType.Int:
                return _r.ReadInt(_pos, _parentWidth, What);
            case FlexType.UInt:
            case FlexType.Bool:
            {
                ulong u = _r.ReadUInt(_pos, _parentWidth, What);
                return u <= long.MaxValue ? (long)u : throw Fail($"unsigned value {u} does not fit in a signed 64-bit integer");
            }
            case FlexType.IndirectInt:
                return _r.ReadInt(Target(), ByteWidth, What);
            case FlexType.IndirectUInt:
            {
                ulong u = _r.ReadUInt(Target(), ByteWidth, What);
                return u <= long.MaxValue ? (long)u : throw Fail($"unsigned value {u} does not fit in a signed 64-bit integer");
            }
            default:
                throw Wrong("an integer");
        }
    }

    /// <summary>A 32-bit integer; a value outside int's range is an error.</summary>
    public int AsInt32()
    {
        long v = AsInt64();
        return v is >= int.MinValue and <= int.MaxValue ? (int)v : throw Fail($"value {v} does not fit in a 32-bit integer");
    }

    /// <summary>A floating-point number (Float of width 4 or 8, IndirectFloat, or an integer converted exactly as a double).</summary>
    public double AsDouble() => Type switch
    {
        FlexType.Float => _r.ReadFloat(_pos, _parentWidth, What),
        FlexType.IndirectFloat => _r.ReadFloat(Target(), ByteWidth, What),
        FlexType.Int or FlexType.UInt or FlexType.IndirectInt or FlexType.IndirectUInt => AsInt64(),
        _ => throw Wrong("a number"),
    };

    /// <summary>A boolean (Bool, or an integer: non-zero is true).</summary>
    public bool AsBool() => Type switch
    {
        FlexType.Bool => _r.ReadUInt(_pos, _parentWidth, What) != 0,
        FlexType.Int or FlexType.UInt or FlexType.IndirectInt or FlexType.IndirectUInt => AsInt64() != 0,
        _ => throw Wrong("a boolean"),
    };

    /// <summary>A String (sized, UTF-8) or Key (NUL-terminated).</summary>
    public string AsString()
    {
        if (Type == FlexType.Key)
            return _r.CString(Target(), What);
        if (Type != FlexType.String)
            throw Wrong("a string");
        long start = Target();
        long n = _r.Size(start, ByteWidth, What);
        return _r.Utf8(start, n, What);
    }

    /// <summary>The bytes of a Blob.</summary>
    public byte[] AsBlob()
    {
        if (Type != FlexType.Blob)
            throw Wrong("a blob");
        long start = Target();
        long n = _r.Size(start, ByteWidth, What);
        return _r.Span(start, n, What).ToArray();
    }

    /// <summary>A vector of any kind (untyped, typed, fixed-length typed); a map is also readable as the vector of its values.</summary>
    public FlexVector AsVector()
    {
        (FlexType? elem, int fixedCount) = Type switch
        {
            FlexType.Vector or FlexType.Map => ((FlexType?)null, -1),
            FlexType.VectorInt => (FlexType.Int, -1),
            FlexType.VectorUInt => (FlexType.UInt, -1),
            FlexType.VectorFloat => (FlexType.Float, -1),
            FlexType.VectorKey => (FlexType.Key, -1),
            FlexType.VectorStringDeprecated => (FlexType.String, -1),
            FlexType.VectorBool => (FlexType.Bool, -1),
            FlexType.VectorInt2 => (FlexType.Int, 2),
            FlexType.VectorUInt2 => (FlexType.UInt, 2),
            FlexType.VectorFloat2 => (FlexType.Float, 2),
            FlexType.VectorInt3 => (FlexType.Int, 3),
            FlexType.VectorUInt3 => (FlexType.UInt, 3),
            FlexType.VectorFloat3 => (FlexType.Float, 3),
            FlexType.VectorInt4 => (FlexType.Int, 4),
            FlexType.VectorUInt4 => (FlexType.UInt, 4),
            FlexType.VectorFloat4 => (FlexType.Float, 4),
            _ => throw Wrong("a vector"),
        };
        long start = Target();
        long count = fixedCount >= 0 ? fixedCount : _r.Size(start, ByteWidth, What);
        return new FlexVector(_r, start, count, ByteWidth, elem, What);
    }

    /// <summary>A map: a vector of values (untyped, with a type byte per value) preceded by its keys vector's offset
    /// and width and its size.</summary>
    public FlexMap AsMap()
    {
        if (Type != FlexType.Map)
            throw Wrong("a map");
        var values = AsVector();
        long start = values.Start;
        int w = ByteWidth;
        long keysAt = _r.Indirect(start - 3L * w, w, $"{What} keys offset");
        ulong keysWidth = _r.ReadUInt(start - 2L * w, w, $"{What} keys width");
        if (!FlexBufferReader.ValidWidth((long)keysWidth))
            throw Fail($"keys width {keysWidth} is not 1, 2, 4 or 8");
        long keyCount = _r.Size(keysAt, (int)keysWidth, $"{What} keys");
        if (keyCount != values.Count)
            throw Fail($"has {keyCount} keys but {values.Count} values");
        var keys = new FlexVector(_r, keysAt, keyCount, (int)keysWidth, FlexType.Key, $"{What} keys");
        return new FlexMap(keys, values, What);
    }
}

/// <summary>A checked FlexBuffers vector: <see cref="Count"/> elements of <see cref="ElementWidth"/> bytes from
/// <see cref="Start"/>; an untyped vector has one packed type byte per element after the elements.</summary>
internal readonly struct FlexVector
{
    private readonly FlexBufferReader _r;
    private readonly FlexType? _elementType;
    private readonly string _what;

    internal FlexVector(FlexBufferReader r, long start, long count, int elementWidth, FlexType? elementType, string what)
    {
        _r = r;
        Start = start;
        Count = count;
        ElementWidth = elementWidth;
        _elementType = elementType;
        _what = what;
        long bytes = count * elementWidth + (elementType is null ? count : 0);
        r.Need(start, bytes, $"{what} ({count} elements of {elementWidth} bytes{(elementType is null ? " + type bytes" : "")})");
    }

    public long Start { get; }
    public long Count { get; }
    public int ElementWidth { get; }

    public FlexRef this[long i] => At(i, $"{_what}[{i}]");

    /// <summary>Element <paramref name="i"/>, described as <paramref name="what"/> in error messages.</summary>
    public FlexRef At(long i, string what)
    {
        if ((ulong)i >= (ulong)Count)
            throw _r.Fail($"{_what}: index {i} outside the {Count} elements");
        byte packed = _elementType is { } t
            ? (byte)(((int)t << 2) | Log2(ElementWidth))
            : _r.Byte(Start + Count * ElementWidth + i, $"{what} type byte");
        return new FlexRef(_r, Start + i * ElementWidth, ElementWidth, packed, what);
    }

    /// <summary>Whether key element <paramref name="i"/> (a Key vector) spells <paramref name="key"/>, reading at most
    /// its length + 1 bytes.</summary>
    internal bool KeyEquals(long i, ReadOnlySpan<byte> key)
    {
        long p = _r.Indirect(Start + i * ElementWidth, ElementWidth, $"{_what}[{i}]");
        for (int k = 0; k <= key.Length; k++)
        {
            byte b = _r.Byte(p + k, $"{_what}[{i}] key");
            if (b != (k < key.Length ? key[k] : 0))
                return false;
        }
        return true;
    }

    private static int Log2(int w) => w switch { 1 => 0, 2 => 1, 4 => 2, _ => 3 };
}

/// <summary>A checked FlexBuffers map: keys (a vector of Key offsets) and values (an untyped vector) of equal length.</summary>
internal readonly struct FlexMap
{
    private readonly FlexVector _keys, _values;
    private readonly string _what;

    internal FlexMap(FlexVector keys, FlexVector values, string what)
    {
        _keys = keys;
        _values = values;
        _what = what;
    }

    public long Count => _values.Count;

    public string KeyAt(long i) => _keys[i].AsString();

    public FlexRef ValueAt(long i) => _values.At(i, $"value of '{KeyAt(i)}'");

    /// <summary>The value stored under <paramref name="key"/> (the first, if a corrupted map repeats it), or false.
    /// Keys are compared in place, so the cost is bounded by the entry count times the key's length.</summary>
    public bool TryGet(string key, out FlexRef value)
    {
        byte[] k = Encoding.UTF8.GetBytes(key);
        for (long i = 0; i < Count; i++)
            if (_keys.KeyEquals(i, k))
            {
                value = _values.At(i, $"value of '{key}'");
                return true;
            }
        value = default;
        return false;
    }

    /// <summary>All keys in stored order.</summary>
    public List<string> Keys()
    {
        var r = new List<string>((int)Math.Min(Count, 1024));
        for (long i = 0; i < Count; i++)
            r.Add(KeyAt(i));
        return r;
    }

    public override string ToString() => $"{_what} ({Count} entries)";
}
