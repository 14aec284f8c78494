using System.Globalization;

namespace MobileNetAccel.Imaging;

/// <summary>
/// What <see cref="Detector.Annotate"/> draws: each detection's box (3 pixels wide, a colour per class), then its label
/// ("cat 0.74": label and score) in black on a filled label box of the box's colour, in the <see cref="BitmapFont"/>
/// at a scale that grows with the photograph (1 up to 299 pixels on its shorter side, 2 from 300, ...). The label sits
/// above the box's top-left corner, inside the box's top when there is no room above, and is moved left/up to stay
/// inside the photograph; a label wider than the photograph is clipped at its right edge.
/// </summary>
internal static class DetectionDrawing
{
    /// <summary>Label text colour.</summary>
    public static readonly (byte R, byte G, byte B) TextColor = (0, 0, 0);

    /// <summary>Box and label-box colour of a class: a bright colour from a fixed hash, the same across images.</summary>
    public static (byte R, byte G, byte B) ClassColor(int classIndex)
    {
        uint hash = (uint)(classIndex + 1) * 2654435761u;
        return ((byte)(128 + (hash >> 24) % 128), (byte)(128 + (hash >> 16) % 128), (byte)(128 + (hash >> 8) % 128));
    }

    /// <summary>The text of a detection's label: its label (the class number when it has none) and score, 2 decimals.</summary>
    public static string LabelText(Detection d) =>
        (d.Label.Length > 0 ? d.Label : d.ClassIndex.ToString(CultureInfo.InvariantCulture)) + " " + d.Score.ToString("F2", CultureInfo.InvariantCulture);

    /// <summary>Font scale for a photograph: its shorter side / 300, at least 1.</summary>
    public static int Scale(int width, int height) => Math.Max(1, Math.Min(width, height) / 300);

    /// <summary>Where a detection's label box goes (top-left, size) and the text's scale; see the class remarks.</summary>
    public static (int X, int Y, int Width, int Height, int Scale) LabelBox(Detection d, int width, int height)
    {
        int s = Scale(width, height);
        var (tw, th) = BitmapFont.Measure(LabelText(d), s);
        int bw = tw + 2 * s, bh = th + 2 * s; // one font pixel of padding around the text
        var (x0, y0, _, _) = d.PixelBox;
        int x = Math.Max(0, Math.Min(x0, width - bw));
        int y = y0 - bh >= 0 ? y0 - bh : y0; // above the box, else inside its top
        y = Math.Max(0, Math.Min(y, height - bh));
        return (x, y, bw, bh, s);
    }

    /// <summary>Draws the boxes, then the labels (so that no box crosses a label), into <paramref name="px"/>; labels
    /// in reverse order, so that where two overlap the first detection's (the best, in the post-process's order) is on top.</summary>
    public static void Draw(byte[] px, int w, int h, IReadOnlyList<Detection> detections)
    {
        foreach (var d in detections)
        {
            var (x0, y0, x1, y1) = d.PixelBox;
            var c = ClassColor(d.ClassIndex);
            for (int t = 0; t < 3; t++)
            {
                BitmapFont.Fill(px, w, h, x0, y0 + t, x1 - x0 + 1, 1, c);
                BitmapFont.Fill(px, w, h, x0, y1 - t, x1 - x0 + 1, 1, c);
                BitmapFont.Fill(px, w, h, x0 + t, y0, 1, y1 - y0 + 1, c);
                BitmapFont.Fill(px, w, h, x1 - t, y0, 1, y1 - y0 + 1, c);
            }
        }
        for (int i = detections.Count - 1; i >= 0; i--)
        {
            var d = detections[i];
            var (x, y, bw, bh, s) = LabelBox(d, w, h);
            BitmapFont.Fill(px, w, h, x, y, bw, bh, ClassColor(d.ClassIndex));
            BitmapFont.Draw(px, w, h, LabelText(d), x + s, y + s, s, TextColor);
        }
    }
}
