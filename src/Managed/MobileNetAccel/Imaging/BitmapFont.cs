namespace MobileNetAccel.Imaging;

/// <summary>
/// A built-in 5x7 bitmap font for printable ASCII (32..126; anything else is drawn as '?'), drawn at an integer scale
/// straight into RGB pixels: text renders the same everywhere, with no font files, fontconfig or text shaper (the CLI
/// runs on bare machines and as a native-AOT binary). A glyph cell is 6x8 (one column and one row of spacing).
/// </summary>
internal static class BitmapFont
{
    /// <summary>Width and height of a glyph's ink, in font pixels.</summary>
    public const int GlyphWidth = 5, GlyphHeight = 7;

    /// <summary>Advance per character and line height, in font pixels.</summary>
    public const int CellWidth = GlyphWidth + 1, CellHeight = GlyphHeight + 1;

    // Seven rows per glyph, top first, two hex digits a row; bit 4 = the leftmost column. Drawn for this project.
    private const string Glyphs =
        "00000000000000040404040400040A0A0A000000000A0A1F0A1F0A0A040F140E051E04181902040813030C12140815120D04040800000000" + //  !"#$%&'
        "02040808080402080402020204080004150E1504000004041F040400000000000C04080000001F00000000000000000C0C00010204081000" + // ()*+,-./
        "0E11131519110E040C040404040E0E11010204081F1F02040201110E02060A121F02021F101E0101110E0608101E11110E1F010204080808" + // 01234567
        "0E11110E11110E0E11110F01020C000C0C000C0C00000C0C000C04080204081008040200001F001F0000080402010204080E110102040004" + // 89:;<=>?
        "0E11010D15150E0E11111F1111111E11111E11111E0E11101010110E1C12111111121C1F10101E10101F1F10101E1010100E11101711110F" + // @ABCDEFG
        "1111111F1111110E04040404040E0702020202120C111214181412111010101010101F111B1515111111111119151311110E11111111110E" + // HIJKLMNO
        "1E11111E1010100E11111115120D1E11111E1412110F10100E01011E1F0404040404041111111111110E11111111110A041111111515150A" + // PQRSTUVW
        "11110A040A111111110A040404041F01020408101F0E08080808080E001008040201000E02020202020E040A11000000000000000000001F" + // XYZ[\\]^_
        "0804020000000000000E010F110F1010161911111E00000E1010110E01010D1311110F00000E111F100E0609081C080808000F11110F010E" + // `abcdefg
        "1010161911111104000C0404040E0200060202120C101012141814120C04040404040E00001A151511110000161911111100000E1111110E" + // hijklmno
        "00001E111E101000000D130F01010000161910101000000E100E011E08081C080809060000111111130D00001111110A040000111115150A" + // pqrstuvw
        "0000110A040A11000011110F010E00001F0204081F02040408040402040404040404040804040204040800000815020000"; // xyz{|}~

    /// <summary>Row <paramref name="row"/> (0 = top) of <paramref name="c"/>'s glyph, 5 bits, bit 4 leftmost.</summary>
    public static int Row(char c, int row)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(row);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(row, GlyphHeight);
        int g = c is >= ' ' and <= '~' ? c - ' ' : '?' - ' ';
        return Convert.ToInt32(Glyphs.Substring((g * GlyphHeight + row) * 2, 2), 16);
    }

    /// <summary>Whether font pixel (<paramref name="x"/>, <paramref name="y"/>) of <paramref name="c"/>'s glyph is ink.</summary>
    public static bool Ink(char c, int x, int y) => x is >= 0 and < GlyphWidth && y is >= 0 and < GlyphHeight && (Row(c, y) >> (GlyphWidth - 1 - x) & 1) != 0;

    /// <summary>Size of <paramref name="text"/> in image pixels at <paramref name="scale"/> (one line, no trailing spacing).</summary>
    public static (int Width, int Height) Measure(string text, int scale) =>
        (text.Length == 0 ? 0 : (text.Length * CellWidth - 1) * scale, GlyphHeight * scale);

    /// <summary>Draws <paramref name="text"/> with its top-left corner at (<paramref name="x"/>, <paramref name="y"/>)
    /// into <paramref name="pixels"/> (RGB, <paramref name="width"/> x <paramref name="height"/>), each font pixel a
    /// <paramref name="scale"/>² square of <paramref name="color"/>; what falls outside the image is clipped.</summary>
    public static void Draw(byte[] pixels, int width, int height, string text, int x, int y, int scale, (byte R, byte G, byte B) color)
    {
        ArgumentNullException.ThrowIfNull(pixels);
        ArgumentNullException.ThrowIfNull(text);
        ArgumentOutOfRangeException.ThrowIfLessThan(scale, 1);
        for (int i = 0; i < text.Length; i++)
        {
            int left = x + i * CellWidth * scale;
            for (int gy = 0; gy < GlyphHeight; gy++)
            {
                int bits = Row(text[i], gy);
                for (int gx = 0; gx < GlyphWidth; gx++)
                    if ((bits >> (GlyphWidth - 1 - gx) & 1) != 0)
                        Fill(pixels, width, height, left + gx * scale, y + gy * scale, scale, scale, color);
            }
        }
    }

    /// <summary>Fills a rectangle of <paramref name="pixels"/>, clipped to the image.</summary>
    public static void Fill(byte[] pixels, int width, int height, int x, int y, int w, int h, (byte R, byte G, byte B) color)
    {
        int x0 = Math.Max(x, 0), y0 = Math.Max(y, 0);
        int x1 = (int)Math.Min((long)x + w, width), y1 = (int)Math.Min((long)y + h, height);
        for (int py = y0; py < y1; py++)
            for (int px = x0; px < x1; px++)
            {
                long p = ((long)py * width + px) * 3;
                (pixels[p], pixels[p + 1], pixels[p + 2]) = color;
            }
    }
}
