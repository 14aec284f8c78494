using System.Buffers.Binary;

namespace MobileNetAccel.Formats.Onnx;

internal static partial class OnnxReader
{
    /// <summary>Size in bytes of one element, or 0 for types without fixed-size storage here (string).</summary>
    public static int ElementSize(OnnxDataType t) => t switch
    {
        OnnxDataType.Float or OnnxDataType.Int32 or OnnxDataType.UInt32 => 4,
        OnnxDataType.UInt8 or OnnxDataType.Int8 or OnnxDataType.Bool => 1,
        OnnxDataType.UInt16 or OnnxDataType.Int16 or OnnxDataType.Float16 or OnnxDataType.BFloat16 => 2,
        OnnxDataType.Int64 or OnnxDataType.Double or OnnxDataType.UInt64 or OnnxDataType.Complex64 => 8,
        OnnxDataType.Complex128 => 16,
        _ => 0,
    };

    private static OnnxTensor ReadTensor(ProtoReader r, Context ctx)
    {
        var t = new OnnxTensor();
        var dims = new List<long>();
        byte[]? raw = null;
        List<float>? floats = null;
        List<long>? int32s = null, int64s = null, uint64s = null;
        List<double>? doubles = null;
        bool external = false, hasStrings = false, hasSegment = false;
        var externalInfo = new Dictionary<string, string>();
        while (r.Next(out int field, out var wire))
        {
            switch (field)
            {
                case 1: r.ReadRepeatedVarint(wire, dims); break;
                case 2:
                    int dt = r.ReadInt32(wire);
                    t.DataType = (OnnxDataType)dt;
                    break;
                case 3: r.Skip(wire); hasSegment = true; break;
                case 4: r.ReadRepeatedFloat(wire, floats ??= new()); break;
                case 5: r.ReadRepeatedVarint(wire, int32s ??= new()); break;
                case 6: r.Skip(wire); hasStrings = true; break;
                case 7: r.ReadRepeatedVarint(wire, int64s ??= new()); break;
                case 8: Expect(ref r, wire); t.Name = r.ReadString(); break;
                case 9: Expect(ref r, wire); raw = r.ReadBytes(); break;
                case 10: r.ReadRepeatedDouble(wire, doubles ??= new()); break;
                case 11: r.ReadRepeatedVarint(wire, uint64s ??= new()); break;
                case 13:
                    Expect(ref r, wire);
                    var e = r.ReadMessage("StringStringEntryProto");
                    string key = "", value = "";
                    while (e.Next(out int f2, out var w2))
                    {
                        if (f2 == 1) { e.Expect(w2, WireType.LengthDelimited); key = e.ReadString(); }
                        else if (f2 == 2) { e.Expect(w2, WireType.LengthDelimited); value = e.ReadString(); }
                        else e.Skip(w2);
                    }
                    externalInfo[key] = value;
                    break;
                case 14: external = r.ReadInt32(wire) == 1; break;
                default: r.Skip(wire); break;
            }
        }
        string what = $"tensor '{t.Name}'";
        if (hasSegment)
            throw new ModelFormatException(ctx.Source, what, $"segmented tensors are not supported");
        foreach (long d in dims)
            if (d < 0 || d > int.MaxValue)
                throw new ModelFormatException(ctx.Source, what, $"dimension {d} is out of range");
        t.Dims = dims.ToArray();
        if (t.DataType == OnnxDataType.String || hasStrings)
        {
            if (t.DataType != OnnxDataType.String)
                throw new ModelFormatException(ctx.Source, what, $"string_data in a tensor of type {t.DataType}");
            t.Data = Array.Empty<byte>();
            return t;
        }
        int size = ElementSize(t.DataType);
        if (size == 0)
            throw new ModelFormatException(ctx.Source, what, $"unknown or unsupported data type {(int)t.DataType}");
        long count = 1;
        foreach (long d in dims)
        {
            count *= d;
            if (count * size > MaxTensorBytes)
                throw new ModelFormatException(ctx.Source, what, $"shape [{string.Join(",", dims)}] is larger than {MaxTensorBytes} bytes");
        }
        long bytes = count * size;

        int sources = (raw is not null ? 1 : 0) + (external ? 1 : 0) + (floats is not null ? 1 : 0) + (int32s is not null ? 1 : 0)
            + (int64s is not null ? 1 : 0) + (doubles is not null ? 1 : 0) + (uint64s is not null ? 1 : 0);
        if (sources > 1)
            throw new ModelFormatException(ctx.Source, what, $"data is given in more than one field");
        if (external)
        {
            t.Data = ReadExternal(externalInfo, ctx, what, bytes);
            return t;
        }
        if (raw is not null)
        {
            if (raw.LongLength != bytes)
                throw new ModelFormatException(ctx.Source, what, $"raw_data has {raw.Length} bytes; shape [{string.Join(",", dims)}] {t.DataType} needs {bytes}");
            t.Data = raw;
            return t;
        }
        var data = new byte[bytes];
        long have;
        switch (t.DataType)
        {
            case OnnxDataType.Float or OnnxDataType.Complex64:
                have = floats?.Count ?? 0;
                Check(have, count * (t.DataType == OnnxDataType.Complex64 ? 2 : 1), "float_data", ctx, what, int32s, int64s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteSingleLittleEndian(data.AsSpan(i * 4), floats![i]);
                break;
            case OnnxDataType.Int32 or OnnxDataType.Int16 or OnnxDataType.Int8 or OnnxDataType.UInt16 or OnnxDataType.UInt8
                or OnnxDataType.Bool or OnnxDataType.Float16 or OnnxDataType.BFloat16:
                have = int32s?.Count ?? 0;
                Check(have, count, "int32_data", ctx, what, floats, int64s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                {
                    long v = int32s![i];
                    switch (size)
                    {
                        case 4: BinaryPrimitives.WriteInt32LittleEndian(data.AsSpan(i * 4), (int)v); break;
                        case 2: BinaryPrimitives.WriteUInt16LittleEndian(data.AsSpan(i * 2), (ushort)v); break;
                        default: data[i] = (byte)v; break;
                    }
                }
                break;
            case OnnxDataType.Int64:
                have = int64s?.Count ?? 0;
                Check(have, count, "int64_data", ctx, what, floats, int32s, doubles, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), int64s![i]);
                break;
            case OnnxDataType.Double or OnnxDataType.Complex128:
                have = doubles?.Count ?? 0;
                Check(have, count * (t.DataType == OnnxDataType.Complex128 ? 2 : 1), "double_data", ctx, what, floats, int32s, int64s, uint64s);
                for (int i = 0; i < have; i++)
                    BinaryPrimitives.WriteDoubleLittleEndian(data.AsSpan(i * 8), doubles![i]);
                break;
            case OnnxDataType.UInt32 or OnnxDataType.UInt64:
                have = uint64s?.Count ?? 0;
                Check(have, count, "uint64_data", ctx, what, floats, int32s, int64s, doubles);
                for (int i = 0; i < have; i++)
                {
                    if (size == 4) BinaryPrimitives.WriteUInt32LittleEndian(data.AsSpan(i * 4), (uint)uint64s![i]);
                    else BinaryPrimitives.WriteInt64LittleEndian(data.AsSpan(i * 8), uint64s![i]);
                }
                break;
            default:
                throw new ModelFormatException(ctx.Source, what, $"unsupported data type {t.DataType}");
        }
        t.Data = data;
        return t;
    }

    private static void Check(long have, long need, string field, Context ctx, string what, params object?[] others)
    {
        if (others.Any(o => o is not null))
            throw new ModelFormatException(ctx.Source, what, $"data is stored in a field that does not match its data type (expected {field})");
        if (have != need)
            throw new ModelFormatException(ctx.Source, what, $"{field} has {have} elements; the shape needs {need}");
    }

    private static byte[] ReadExternal(Dictionary<string, string> info, Context ctx, string what, long bytes)
    {
        if (ctx.Directory is null)
            throw new ModelFormatException(ctx.Source, what, $"external data needs the model's folder (load the model from a file)");
        if (!info.TryGetValue("location", out string? location) || location.Length == 0)
            throw new ModelFormatException(ctx.Source, what, $"external data without a 'location'");
        long offset = 0, length = -1;
        if (info.TryGetValue("offset", out string? o) && (!long.TryParse(o, out offset) || offset < 0))
            throw new ModelFormatException(ctx.Source, what, $"external data offset '{o}' is invalid");
        if (info.TryGetValue("length", out string? l) && (!long.TryParse(l, out length) || length < 0))
            throw new ModelFormatException(ctx.Source, what, $"external data length '{l}' is invalid");
        if (length >= 0 && length != bytes)
            throw new ModelFormatException(ctx.Source, what, $"external data length {length} does not match the {bytes} bytes its shape needs");
        if (Path.IsPathRooted(location) || location.Contains('\0'))
            throw new ModelFormatException(ctx.Source, what, $"external data location '{location}' must be a relative path inside the model's folder");
        string root = Path.GetFullPath(ctx.Directory);
        string rootWithSep = root.EndsWith(Path.DirectorySeparatorChar) ? root : root + Path.DirectorySeparatorChar;
        string full = Path.GetFullPath(Path.Combine(root, location));
        if (!full.StartsWith(rootWithSep, StringComparison.Ordinal))
            throw new ModelFormatException(ctx.Source, what, $"external data location '{location}' leaves the model's folder");
        try
        {
            var file = new FileInfo(full);
            if (!file.Exists)
                throw new ModelFormatException(ctx.Source, what, $"external data file '{location}' does not exist");
            // A symbolic link must not lead outside the folder either.
            if (file.LinkTarget is not null)
            {
                var target = file.ResolveLinkTarget(returnFinalTarget: true);
                if (target is null || !Path.GetFullPath(target.FullName).StartsWith(rootWithSep, StringComparison.Ordinal))
                    throw new ModelFormatException(ctx.Source, what, $"external data file '{location}' is a link that leaves the model's folder");
            }
            if (offset > file.Length || bytes > file.Length - offset)
                throw new ModelFormatException(ctx.Source, what, $"external data '{location}' has {file.Length} bytes; {bytes} needed at offset {offset}");
            var data = new byte[bytes];
            using var stream = new FileStream(full, FileMode.Open, FileAccess.Read, FileShare.Read);
            stream.Seek(offset, SeekOrigin.Begin);
            stream.ReadExactly(data);
            return data;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ModelFormatException(ctx.Source, what, $"cannot read external data '{location}': {e.Message}", e);
        }
    }
}
