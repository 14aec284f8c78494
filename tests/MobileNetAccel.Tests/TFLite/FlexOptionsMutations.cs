using System.Buffers.Binary;
using MobileNetAccel.Formats.TFLite;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// Where the parts of a valid FlexBuffers options map lie (root width/type/slot, the map's size, keys-offset and
/// keys-width fields, value slots and type bytes, the keys vector and key strings), found by reading it with
/// <see cref="FlexBufferReader"/>, and mutations aimed at those parts. <see cref="Mutate"/> works on a copy of the whole
/// model file, the blob lying at <c>blobAt</c> with its FlatBuffers length prefix just before it, so that the mutations
/// reach the reader the way a corrupted file would.
/// </summary>
internal sealed class FlexOptionsMutations
{
    public static readonly string[] KindNames =
    {
        "bit flips", "type bytes", "widths", "offsets", "sizes", "edge values", "blob length", "key strings",
    };

    private readonly int _length, _rootWidth, _rootSlot, _valuesAt, _width, _count, _keysAt, _keysWidth;
    private readonly FlexType[] _types;
    private readonly (int Start, int Length)[] _keyStrings;
    private readonly string[] _keys;

    public FlexOptionsMutations(byte[] blob)
    {
        _length = blob.Length;
        var reader = new FlexBufferReader(blob, "blob", "options");
        var root = reader.Root();
        _rootWidth = blob[^1];
        _rootSlot = blob.Length - 2 - _rootWidth;
        var values = root.AsVector();
        _valuesAt = (int)values.Start;
        _width = values.ElementWidth;
        _count = (int)values.Count;
        _keysAt = (int)reader.Indirect(_valuesAt - 3 * _width, _width, "keys offset");
        _keysWidth = (int)reader.ReadUInt(_valuesAt - 2 * _width, _width, "keys width");
        _types = Enumerable.Range(0, _count).Select(i => values[i].Type).ToArray();
        _keyStrings = Enumerable.Range(0, _count).Select(i =>
        {
            int at = (int)reader.Indirect(_keysAt + i * _keysWidth, _keysWidth, "key");
            return (at, Array.IndexOf(blob, (byte)0, at) - at + 1);
        }).ToArray();
        var map = root.AsMap();
        _keys = Enumerable.Range(0, _count).Select(i => map.KeyAt(i)).ToArray();
    }

    public int Count => _count;

    /// <summary>The blob offset of <paramref name="key"/>'s value slot, its type and the slot width.</summary>
    public (int At, FlexType Type, int Width) Slot(string key)
    {
        int i = Array.IndexOf(_keys, key);
        if (i < 0)
            throw new ArgumentException($"no key '{key}' in the options", nameof(key));
        return (_valuesAt + i * _width, _types[i], _width);
    }

    /// <summary>The blob offset and byte length (with its NUL) of <paramref name="key"/>'s string.</summary>
    public (int At, int Length) KeyString(string key) => _keyStrings[Array.IndexOf(_keys, key)];

    /// <summary>A mutated copy of <paramref name="file"/>, whose options blob starts at <paramref name="blobAt"/>.</summary>
    public (byte[] Data, string What) Mutate(byte[] file, int blobAt, int kind, Random rng)
    {
        var d = (byte[])file.Clone();
        var b = d.AsSpan(blobAt, _length);
        switch (kind)
        {
            case 0:
            {
                int flips = 1 + rng.Next(3);
                var where = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int p = rng.Next(_length);
                    b[p] ^= (byte)(1 << rng.Next(8));
                    where.Add(p);
                }
                return (d, $"options bit flips at blob bytes {string.Join(",", where)}");
            }
            case 1:
            {
                int which = rng.Next(_count + 1);
                int p = which == _count ? _length - 2 : _valuesAt + _count * _width + which;
                byte old = b[p];
                b[p] = rng.Next(2) == 0 ? (byte)((rng.Next(38) << 2) | (old & 3)) : (byte)rng.Next(256);
                return (d, $"options type byte {(which == _count ? "root" : $"of value {which}")} at blob byte {p}: {old} -> {b[p]}");
            }
            case 2:
            {
                byte[] widths = { 0, 1, 2, 3, 4, 5, 8, 16, 255 };
                switch (rng.Next(3))
                {
                    case 0:
                        b[^1] = widths[rng.Next(widths.Length)];
                        return (d, $"options root width {_rootWidth} -> {b[^1]}");
                    case 1:
                    {
                        int which = rng.Next(_count + 1);
                        int p = which == _count ? _length - 2 : _valuesAt + _count * _width + which;
                        b[p] ^= (byte)(1 + rng.Next(3));
                        return (d, $"options width bits of type byte at blob byte {p} -> {b[p] & 3}");
                    }
                    default:
                    {
                        ulong w = widths[rng.Next(widths.Length)];
                        Write(b, _valuesAt - 2 * _width, _width, w);
                        return (d, $"options keys width {_keysWidth} -> {w}");
                    }
                }
            }
            case 3:
            {
                // An offset slot: the root's, the map's keys offset, or one key's.
                int which = rng.Next(_count + 2);
                (int p, int w, string name) = which switch
                {
                    0 => (_rootSlot, _rootWidth, "root offset"),
                    1 => (_valuesAt - 3 * _width, _width, "keys offset"),
                    _ => (_keysAt + (which - 2) * _keysWidth, _keysWidth, $"key {which - 2} offset"),
                };
                ulong old = Read(b, p, w);
                ulong v = NearOrFar(old, w, rng);
                Write(b, p, w, v);
                return (d, $"options {name} at blob byte {p}: {old} -> {v}");
            }
            case 4:
            {
                bool keys = rng.Next(2) == 0;
                int p = keys ? _keysAt - _keysWidth : _valuesAt - _width;
                int w = keys ? _keysWidth : _width;
                ulong old = Read(b, p, w);
                ulong v = NearOrFar(old, w, rng);
                Write(b, p, w, v);
                return (d, $"options {(keys ? "keys" : "map")} size at blob byte {p}: {old} -> {v}");
            }
            case 5:
                return EdgeValue(d, b, rng);
            case 6:
            {
                // The custom_options vector's own length: shorter (the root is then read from inside the map) or longer.
                var prefix = d.AsSpan(blobAt - 4, 4);
                uint v = rng.Next(4) switch
                {
                    0 or 1 => (uint)rng.Next(_length),
                    2 => (uint)(_length + 1 + rng.Next(16)),
                    _ => (uint)rng.Next(),
                };
                BinaryPrimitives.WriteUInt32LittleEndian(prefix, v);
                return (d, $"options blob length {_length} -> {v}");
            }
            default:
            {
                var (start, n) = _keyStrings[rng.Next(_count)];
                int p = start + rng.Next(n);
                byte old = b[p];
                b[p] = rng.Next(3) == 0 ? (byte)'x' : (byte)rng.Next(256);
                return (d, $"options key string byte at blob byte {p}: {old} -> {b[p]}");
            }
        }
    }

    /// <summary>A value slot set to a boundary of its own type (the reader's option checks are what is tested).</summary>
    private (byte[] Data, string What) EdgeValue(byte[] d, Span<byte> b, Random rng)
    {
        int i = rng.Next(_count);
        int p = _valuesAt + i * _width;
        switch (_types[i])
        {
            case FlexType.Float when _width is 4 or 8:
            {
                float[] edge =
                {
                    float.NaN, float.PositiveInfinity, float.NegativeInfinity, 0f, -0f, -1f, float.Epsilon, 1e-30f,
                    float.MaxValue, 1f, 0.5f, 2f, 1.0000001f,
                };
                float f = edge[rng.Next(edge.Length)];
                if (_width == 4)
                    BinaryPrimitives.WriteSingleLittleEndian(b[p..], f);
                else
                    BinaryPrimitives.WriteDoubleLittleEndian(b[p..], f);
                return (d, $"options value {i} (float) -> {f}");
            }
            default:
            {
                long[] edge =
                {
                    0, 1, -1, 2, 89, 90, 91, 99_999, 100_000, 100_001, 9_999, 10_000, 10_001, 1_000_000, int.MaxValue,
                    int.MinValue, 1L << 31, long.MaxValue,
                };
                long v = edge[rng.Next(edge.Length)];
                Write(b, p, _width, (ulong)v);
                return (d, $"options value {i} ({_types[i]}) -> {v} (as {_width} bytes)");
            }
        }
    }

    private ulong NearOrFar(ulong old, int w, Random rng) => rng.Next(6) switch
    {
        0 => 0,
        1 => old + 1 + (ulong)rng.Next(8),
        2 => old - 1 - (ulong)rng.Next((int)Math.Min(old, 8) + 1),
        3 => (ulong)_length + (ulong)rng.Next(4),
        4 => ulong.MaxValue,
        _ => (ulong)rng.NextInt64(),
    } & (w == 8 ? ulong.MaxValue : (1UL << (8 * w)) - 1);

    private static ulong Read(Span<byte> b, int p, int w) => w switch
    {
        1 => b[p],
        2 => BinaryPrimitives.ReadUInt16LittleEndian(b[p..]),
        4 => BinaryPrimitives.ReadUInt32LittleEndian(b[p..]),
        _ => BinaryPrimitives.ReadUInt64LittleEndian(b[p..]),
    };

    private static void Write(Span<byte> b, int p, int w, ulong v)
    {
        switch (w)
        {
            case 1:
                b[p] = (byte)v;
                break;
            case 2:
                BinaryPrimitives.WriteUInt16LittleEndian(b[p..], (ushort)v);
                break;
            case 4:
                BinaryPrimitives.WriteUInt32LittleEndian(b[p..], (uint)v);
                break;
            default:
                BinaryPrimitives.WriteUInt64LittleEndian(b[p..], v);
                break;
        }
    }
}
