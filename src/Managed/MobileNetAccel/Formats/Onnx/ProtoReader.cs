using System.Buffers.Binary;
using System.Text;

namespace MobileNetAccel.Formats.Onnx;

/// <summary>Protobuf wire types.</summary>
internal enum WireType
{
    Varint = 0,
    Fixed64 = 1,
    LengthDelimited = 2,
    StartGroup = 3,
    EndGroup = 4,
    Fixed32 = 5,
}

/// <summary>
/// A minimal protobuf wire-format reader over a byte range: fields are read by number, unknown fields skipped.
/// Every read is bounds-checked; malformed input raises <see cref="ModelFormatException"/> with the context given.
/// </summary>
internal struct ProtoReader
{
    private readonly byte[] _buffer;
    private int _position;
    private readonly int _end;
    private readonly string _file;
    private readonly string _context;

    /// <summary>A reader over buffer[start, start+length); <paramref name="file"/> and <paramref name="context"/>
    /// (which message is being read, e.g. "node #3") name the place in error messages.</summary>
    public ProtoReader(byte[] buffer, int start, int length, string file, string context)
    {
        _buffer = buffer;
        _position = start;
        _end = start + length;
        _file = file;
        _context = context;
    }

    public readonly bool AtEnd => _position >= _end;
    public readonly int Position => _position;

    private readonly ModelFormatException Fail(string problem) => new(_file, _context, $"{problem} (at byte {_position})");

    /// <summary>Reads the next tag; false at the end of the message.</summary>
    public bool Next(out int field, out WireType wire)
    {
        if (_position >= _end)
        {
            field = 0;
            wire = 0;
            return false;
        }
        ulong tag = ReadVarint();
        field = (int)(tag >> 3);
        wire = (WireType)(tag & 7);
        if (tag >> 3 == 0 || tag >> 3 > 536_870_911)
            throw Fail($"invalid field number {tag >> 3}");
        if (wire is not (WireType.Varint or WireType.Fixed64 or WireType.LengthDelimited or WireType.Fixed32))
            throw Fail($"field {field} has unsupported wire type {(int)wire}");
        return true;
    }

    public ulong ReadVarint()
    {
        ulong result = 0;
        for (int shift = 0; shift < 70; shift += 7)
        {
            if (_position >= _end)
                throw Fail("truncated varint");
            byte b = _buffer[_position++];
            if (shift == 63 && b > 1)
                throw Fail("varint longer than 64 bits");
            result |= (ulong)(b & 0x7F) << shift;
            if ((b & 0x80) == 0)
                return result;
        }
        throw Fail("varint longer than 10 bytes");
    }

    public uint ReadFixed32()
    {
        if (_end - _position < 4)
            throw Fail("truncated fixed32");
        uint v = BinaryPrimitives.ReadUInt32LittleEndian(_buffer.AsSpan(_position, 4));
        _position += 4;
        return v;
    }

    public ulong ReadFixed64()
    {
        if (_end - _position < 8)
            throw Fail("truncated fixed64");
        ulong v = BinaryPrimitives.ReadUInt64LittleEndian(_buffer.AsSpan(_position, 8));
        _position += 8;
        return v;
    }

    /// <summary>Reads a length prefix and returns (start, length) of the payload, advancing past it.</summary>
    public (int Start, int Length) ReadLengthDelimited()
    {
        ulong len = ReadVarint();
        if (len > (ulong)(_end - _position))
            throw Fail($"length {len} runs past the end of the enclosing message ({_end - _position} bytes left)");
        int start = _position;
        _position += (int)len;
        return (start, (int)len);
    }

    public ProtoReader ReadMessage(string context)
    {
        var (start, length) = ReadLengthDelimited();
        return new ProtoReader(_buffer, start, length, _file, context);
    }

    public string ReadString()
    {
        var (start, length) = ReadLengthDelimited();
        try
        {
            return new UTF8Encoding(false, true).GetString(_buffer, start, length);
        }
        catch (DecoderFallbackException e)
        {
            throw new ModelFormatException(_file, _context, $"string is not valid UTF-8 (at byte {start})", e);
        }
    }

    public byte[] ReadBytes()
    {
        var (start, length) = ReadLengthDelimited();
        return _buffer.AsSpan(start, length).ToArray();
    }

    public long ReadInt64(WireType wire)
    {
        Expect(wire, WireType.Varint);
        return (long)ReadVarint();
    }

    public int ReadInt32(WireType wire)
    {
        Expect(wire, WireType.Varint);
        return (int)(long)ReadVarint();
    }

    public float ReadFloat(WireType wire)
    {
        Expect(wire, WireType.Fixed32);
        return BitConverter.Int32BitsToSingle((int)ReadFixed32());
    }

    /// <summary>Repeated varint field: packed (length-delimited) or one element.</summary>
    public void ReadRepeatedVarint(WireType wire, List<long> into)
    {
        if (wire == WireType.Varint)
        {
            into.Add((long)ReadVarint());
            return;
        }
        Expect(wire, WireType.LengthDelimited);
        var (start, length) = ReadLengthDelimited();
        var inner = new ProtoReader(_buffer, start, length, _file, _context);
        while (!inner.AtEnd)
            into.Add((long)inner.ReadVarint());
    }

    /// <summary>Repeated fixed32 float field: packed or one element.</summary>
    public void ReadRepeatedFloat(WireType wire, List<float> into)
    {
        if (wire == WireType.Fixed32)
        {
            into.Add(BitConverter.Int32BitsToSingle((int)ReadFixed32()));
            return;
        }
        Expect(wire, WireType.LengthDelimited);
        var (start, length) = ReadLengthDelimited();
        if (length % 4 != 0)
            throw Fail($"packed float field of {length} bytes is not a multiple of 4");
        for (int i = 0; i < length; i += 4)
            into.Add(BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadInt32LittleEndian(_buffer.AsSpan(start + i, 4))));
    }

    /// <summary>Repeated fixed64 double field: packed or one element.</summary>
    public void ReadRepeatedDouble(WireType wire, List<double> into)
    {
        if (wire == WireType.Fixed64)
        {
            into.Add(BitConverter.Int64BitsToDouble((long)ReadFixed64()));
            return;
        }
        Expect(wire, WireType.LengthDelimited);
        var (start, length) = ReadLengthDelimited();
        if (length % 8 != 0)
            throw Fail($"packed double field of {length} bytes is not a multiple of 8");
        for (int i = 0; i < length; i += 8)
            into.Add(BitConverter.Int64BitsToDouble(BinaryPrimitives.ReadInt64LittleEndian(_buffer.AsSpan(start + i, 8))));
    }

    public void Expect(WireType actual, WireType expected)
    {
        if (actual != expected)
            throw Fail($"wire type {(int)actual} where {(int)expected} was expected");
    }

    public void Skip(WireType wire)
    {
        switch (wire)
        {
            case WireType.Varint: ReadVarint(); break;
            case WireType.Fixed64: ReadFixed64(); break;
            case WireType.Fixed32: ReadFixed32(); break;
            case WireType.LengthDelimited: ReadLengthDelimited(); break;
            default: throw Fail($"cannot skip wire type {(int)wire}");
        }
    }
}
