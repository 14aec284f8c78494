using System.Text;
using Google.FlatBuffers;

namespace MobileNetAccel.Formats.TFLite;

/// <summary>
/// Bounds-checked access to a FlatBuffers buffer (little-endian reads through <see cref="ByteBuffer"/>). Every offset,
/// vtable and vector is checked against the buffer before it is read; a violation raises
/// <see cref="ModelFormatException"/> naming the file and the table being read. No recursion, so corrupted
/// offsets cannot cause a hang.
/// </summary>
internal sealed class FlatBufferView
{
    private readonly ByteBuffer _bb;

    public FlatBufferView(byte[] data, string file)
    {
        Data = data;
        File = file;
        _bb = new ByteBuffer(data);
    }

    public byte[] Data { get; }
    public string File { get; }
    public int Length => Data.Length;

    public ModelFormatException Fail(string where, string problem) => new(File, where, problem);

    private void Need(long pos, long size, string where, string what)
    {
        if (pos < 0 || size < 0 || pos + size > Data.Length)
            throw Fail(where, $"{what} at byte {pos} (+{size}) lies outside the {Data.Length}-byte file");
    }

    public byte U8(int pos) => _bb.Get(pos);
    public ushort U16(int pos) => _bb.GetUshort(pos);
    public int I32(int pos) => _bb.GetInt(pos);
    public uint U32(int pos) => _bb.GetUint(pos);
    public long I64(int pos) => _bb.GetLong(pos);
    public ulong U64(int pos) => _bb.GetUlong(pos);
    public float F32(int pos) => _bb.GetFloat(pos);

    /// <summary>The root table (uoffset at byte 0), after checking the 4-byte file identifier at bytes 4..8.</summary>
    public FbTable Root(string identifier)
    {
        if (Data.Length < 8)
            throw Fail("", $"file is {Data.Length} bytes, too short for a FlatBuffer");
        string id = Encoding.ASCII.GetString(Data, 4, 4);
        if (id != identifier)
            throw Fail("", $"file identifier is '{Escape(id)}', expected '{identifier}' (not a TFLite model)");
        return Table(Target(0, "root", "root offset"), "model");
    }

    private static string Escape(string s) => new(s.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    /// <summary>Follows the uoffset stored at <paramref name="pos"/>.</summary>
    public int Target(int pos, string where, string what)
    {
        Need(pos, 4, where, what);
        long target = pos + (long)U32(pos);
        if (target >= Data.Length)
            throw Fail(where, $"{what} points to byte {target}, past the end of the {Data.Length}-byte file");
        return (int)target;
    }

    /// <summary>A table starting at <paramref name="pos"/> with its vtable checked.</summary>
    public FbTable Table(int pos, string where)
    {
        Need(pos, 4, where, "table");
        long vt = pos - (long)I32(pos);
        Need(vt, 4, where, "vtable");
        int vtSize = U16((int)vt), objSize = U16((int)vt + 2);
        if (vtSize < 4 || (vtSize & 1) != 0)
            throw Fail(where, $"vtable size {vtSize} is invalid");
        Need(vt, vtSize, where, "vtable");
        if (objSize < 4)
            throw Fail(where, $"table size {objSize} is invalid");
        Need(pos, objSize, where, "table");
        return new FbTable(this, pos, (int)vt, vtSize, objSize, where);
    }

    /// <summary>A vector at <paramref name="pos"/>: element count and the start of its elements, checked to fit.</summary>
    public (int Start, int Count) Vector(int pos, int elementSize, string where, string what)
    {
        Need(pos, 4, where, what);
        uint count = U32(pos);
        long start = pos + 4L;
        if (count > (Data.Length - start) / elementSize)
            throw Fail(where, $"{what} claims {count} elements of {elementSize} bytes, more than the file holds");
        return ((int)start, (int)count);
    }
}

/// <summary>A checked FlatBuffers table: field access by schema field index (vtable slot 4 + 2·index).</summary>
internal readonly struct FbTable
{
    private readonly FlatBufferView _v;
    private readonly int _vt, _vtSize, _objSize;

    public FbTable(FlatBufferView view, int pos, int vt, int vtSize, int objSize, string where)
    {
        _v = view;
        Pos = pos;
        _vt = vt;
        _vtSize = vtSize;
        _objSize = objSize;
        Where = where;
    }

    public int Pos { get; }
    public string Where { get; }
    public FlatBufferView View => _v;

    /// <summary>Offset of field <paramref name="index"/> within the table, 0 when absent; checked to fit in the table.</summary>
    private int Field(int index, int size, string name)
    {
        int slot = 4 + 2 * index;
        if (slot + 2 > _vtSize)
            return 0;
        int off = _v.U16(_vt + slot);
        if (off == 0)
            return 0;
        if (off < 4 || off + size > _objSize)
            throw _v.Fail(Where, $"field '{name}' at table offset {off} (+{size}) lies outside the {_objSize}-byte table");
        return off;
    }

    public bool Has(int index) => Field(index, 1, "?") != 0;

    public byte U8(int index, string name, byte dflt = 0)
    {
        int o = Field(index, 1, name);
        return o == 0 ? dflt : _v.U8(Pos + o);
    }

    public bool Bool(int index, string name) => U8(index, name) != 0;

    public int I32(int index, string name, int dflt = 0)
    {
        int o = Field(index, 4, name);
        return o == 0 ? dflt : _v.I32(Pos + o);
    }

    public uint U32(int index, string name, uint dflt = 0)
    {
        int o = Field(index, 4, name);
        return o == 0 ? dflt : _v.U32(Pos + o);
    }

    public ulong U64(int index, string name, ulong dflt = 0)
    {
        int o = Field(index, 8, name);
        return o == 0 ? dflt : _v.U64(Pos + o);
    }

    public float F32(int index, string name, float dflt = 0)
    {
        int o = Field(index, 4, name);
        return o == 0 ? dflt : _v.F32(Pos + o);
    }

    public FbTable? Table(int index, string name, string where)
    {
        int o = Field(index, 4, name);
        return o == 0 ? null : _v.Table(_v.Target(Pos + o, Where, name), where);
    }

    private (int Start, int Count)? Vec(int index, int elementSize, string name)
    {
        int o = Field(index, 4, name);
        if (o == 0)
            return null;
        return _v.Vector(_v.Target(Pos + o, Where, name), elementSize, Where, name);
    }

    public string? String(int index, string name)
    {
        var v = Vec(index, 1, name);
        return v is { } s ? Encoding.UTF8.GetString(_v.Data, s.Start, s.Count) : null;
    }

    /// <summary>The bytes of a [ubyte] vector (a view into the file), or null when absent.</summary>
    public ArraySegment<byte>? Bytes(int index, string name)
    {
        if (Vec(index, 1, name) is not { } s)
            return null;
        return new ArraySegment<byte>(_v.Data, s.Start, s.Count);
    }

    public int[]? Int32s(int index, string name)
    {
        if (Vec(index, 4, name) is not { } s)
            return null;
        var r = new int[s.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = _v.I32(s.Start + 4 * i);
        return r;
    }

    public long[]? Int64s(int index, string name)
    {
        if (Vec(index, 8, name) is not { } s)
            return null;
        var r = new long[s.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = _v.I64(s.Start + 8 * i);
        return r;
    }

    public float[]? Floats(int index, string name)
    {
        if (Vec(index, 4, name) is not { } s)
            return null;
        var r = new float[s.Count];
        for (int i = 0; i < r.Length; i++)
            r[i] = _v.F32(s.Start + 4 * i);
        return r;
    }

    /// <summary>Count of a vector of tables (0 when absent) and an accessor for element i.</summary>
    public int TableCount(int index, string name) => Vec(index, 4, name)?.Count ?? 0;

    public FbTable TableAt(int index, string name, int i, string where)
    {
        var s = Vec(index, 4, name) ?? throw _v.Fail(Where, $"vector '{name}' is absent");
        if ((uint)i >= (uint)s.Count)
            throw _v.Fail(Where, $"index {i} outside vector '{name}' of {s.Count}");
        int p = s.Start + 4 * i;
        return _v.Table(_v.Target(p, where, name), where);
    }
}
