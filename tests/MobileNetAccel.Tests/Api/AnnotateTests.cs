using MobileNetAccel.Imaging;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Api;

/// <summary>
/// <see cref="Detector.Annotate"/> draws each detection's label and score ("cat 0.74") in the built-in bitmap font on
/// a filled label box: checked pixel by pixel against the glyph table (the label box holds only the box colour and
/// black text, the text's ink count is the glyphs'), placed above the box or inside it at the top edge, moved or
/// clipped to stay inside the photograph, and deterministic (no system font is involved).
/// </summary>
[TestFixture]
public class AnnotateTests
{
    private static readonly (byte, byte, byte) Grey = (90, 90, 90);

    private static RgbImage Plain(int w, int h)
    {
        var px = new byte[w * h * 3];
        for (int i = 0; i < px.Length; i++)
            px[i] = 90;
        return new RgbImage(w, h, px);
    }

    private static (byte, byte, byte) At(RgbImage image, int x, int y)
    {
        long p = ((long)y * image.Width + x) * 3;
        return (image.Pixels[p], image.Pixels[p + 1], image.Pixels[p + 2]);
    }

    /// <summary>Ink pixels of <paramref name="text"/> at <paramref name="scale"/> by the glyph table.</summary>
    private static int InkPixels(string text, int scale)
    {
        int n = 0;
        foreach (char c in text)
            for (int y = 0; y < BitmapFont.GlyphHeight; y++)
                for (int x = 0; x < BitmapFont.GlyphWidth; x++)
                    n += BitmapFont.Ink(c, x, y) ? scale * scale : 0;
        return n;
    }

    private static Detection Cat(float ymin, float xmin, float ymax, float xmax, int w, int h) => new(16, "cat", 0.74f, ymin, xmin, ymax, xmax, w, h);

    [Test]
    public void The_label_and_score_are_drawn_above_the_box_on_a_filled_label_box()
    {
        var image = Plain(640, 480); // scale 480 / 300 = 1
        var cat = Cat(0.5f, 0.25f, 0.9f, 0.75f, 640, 480);
        var annotated = Detector.Annotate(image, new[] { cat });
        Assert.That(DetectionDrawing.LabelText(cat), Is.EqualTo("cat 0.74"));
        var (x, y, bw, bh, s) = DetectionDrawing.LabelBox(cat, 640, 480);
        Assert.That(s, Is.EqualTo(1));
        // "cat 0.74": 8 cells of 6 less the last spacing column, plus one pixel of padding each side; 7 + 2 high
        Assert.That((x, y, bw, bh), Is.EqualTo((160, 240 - 9, 8 * 6 - 1 + 2, 7 + 2)), "above the box's top-left corner (160, 240)");
        var fill = DetectionDrawing.ClassColor(16);
        int ink = 0, background = 0;
        for (int py = y; py < y + bh; py++)
            for (int px = x; px < x + bw; px++)
            {
                var c = At(annotated, px, py);
                Assert.That(c == fill || c == DetectionDrawing.TextColor, Is.True, $"({px}, {py}) is {c}: neither the label box's colour nor the text's");
                bool glyph = BitmapFont.Ink("cat 0.74"[Math.Min((px - x - 1) / 6, 7)], (px - x - 1) % 6, py - y - 1) && px > x && py > y;
                Assert.That(c == DetectionDrawing.TextColor, Is.EqualTo(glyph), $"({px}, {py}) against the glyph table");
                if (c == DetectionDrawing.TextColor)
                    ink++;
                else
                    background++;
            }
        Assert.That(ink, Is.EqualTo(InkPixels("cat 0.74", 1)).And.GreaterThan(50));
        Assert.That(background, Is.GreaterThan(ink), "a filled label box around the text");
        Assert.That(At(annotated, x - 1, y), Is.EqualTo(Grey), "nothing drawn left of the label box");
        Assert.That(At(annotated, x + bw, y), Is.EqualTo(Grey), "nothing drawn right of the label box");
        Assert.That(At(annotated, 160, 240), Is.EqualTo(fill), "the box itself");
        Assert.That(image.Pixels.All(b => b == 90), Is.True, "the photograph itself is left as it was");
        Assert.That(Detector.Annotate(image, new[] { cat }).Pixels, Is.EqualTo(annotated.Pixels), "deterministic");
    }

    [Test]
    public void The_cat_photographs_detection_is_labelled()
    {
        using var detector = new Detector(TestData.Require("models/detection/ssd_mobilenet_v1_coco_quant.tflite"), TestData.Require("models/detection/coco_labels.txt"), new SessionOptions { Threads = 1 });
        var photo = RgbImage.Load(TestData.Require("images/cat.bmp"));
        var found = detector.Detect(photo, 0.5f);
        Assert.That(found, Has.Count.EqualTo(1));
        string text = DetectionDrawing.LabelText(found[0]);
        Assert.That(text, Does.Match(@"^cat 0\.7\d$"));
        var annotated = Detector.Annotate(photo, found);
        var (x, y, bw, bh, s) = DetectionDrawing.LabelBox(found[0], photo.Width, photo.Height);
        int ink = 0, fill = 0;
        for (int py = y; py < y + bh; py++)
            for (int px = x; px < x + bw; px++)
            {
                var c = At(annotated, px, py);
                ink += c == DetectionDrawing.TextColor ? 1 : 0;
                fill += c == DetectionDrawing.ClassColor(found[0].ClassIndex) ? 1 : 0;
            }
        Assert.That(ink, Is.EqualTo(InkPixels(text, s)));
        Assert.That(ink + fill, Is.EqualTo(bw * bh), "the label box holds only the text and its background");
    }

    [Test]
    public void The_font_grows_with_the_photograph()
    {
        var cat = Cat(0.5f, 0.25f, 0.9f, 0.75f, 1200, 900);
        var annotated = Detector.Annotate(Plain(1200, 900), new[] { cat });
        var (x, y, bw, bh, s) = DetectionDrawing.LabelBox(cat, 1200, 900);
        Assert.That((s, bw, bh), Is.EqualTo((3, 3 * (8 * 6 - 1 + 2), 3 * 9)));
        int ink = 0;
        for (int py = y; py < y + bh; py++)
            for (int px = x; px < x + bw; px++)
                ink += At(annotated, px, py) == DetectionDrawing.TextColor ? 1 : 0;
        Assert.That(ink, Is.EqualTo(InkPixels("cat 0.74", 3)));
    }

    [TestCase(0f, 0f, 0.5f, 0.5f, TestName = "At the top edge: inside the box's top")]
    [TestCase(0.5f, 0.97f, 1f, 1f, TestName = "At the right edge: moved left inside the photograph")]
    [TestCase(0.999f, 0.999f, 1f, 1f, TestName = "In the bottom-right corner: moved up and left")]
    public void A_label_near_the_edge_stays_inside_the_photograph(float ymin, float xmin, float ymax, float xmax)
    {
        var cat = Cat(ymin, xmin, ymax, xmax, 320, 240);
        var annotated = Detector.Annotate(Plain(320, 240), new[] { cat });
        var (x, y, bw, bh, _) = DetectionDrawing.LabelBox(cat, 320, 240);
        Assert.That(x >= 0 && y >= 0 && x + bw <= 320 && y + bh <= 240, Is.True, $"label box ({x}, {y}) {bw}x{bh}");
        int ink = 0;
        for (int py = y; py < y + bh; py++)
            for (int px = x; px < x + bw; px++)
                ink += At(annotated, px, py) == DetectionDrawing.TextColor ? 1 : 0;
        Assert.That(ink, Is.EqualTo(InkPixels("cat 0.74", 1)), "the whole text is drawn");
        if (ymin == 0)
            Assert.That(y, Is.Zero, "no room above: inside the box's top");
    }

    [Test]
    public void A_label_wider_than_a_tiny_photograph_is_clipped()
    {
        var cat = Cat(0.1f, 0.1f, 0.9f, 0.9f, 20, 6);
        var annotated = Detector.Annotate(Plain(20, 6), new[] { cat, cat with { Label = "", ClassIndex = 3 } });
        Assert.That((annotated.Width, annotated.Height), Is.EqualTo((20, 6)));
        Assert.That(annotated.Pixels.Any(b => b == 0), Is.True, "some text pixels are drawn");
        Assert.That(DetectionDrawing.LabelText(cat with { Label = "", ClassIndex = 3 }), Is.EqualTo("3 0.74"), "no label: the class number");
        Assert.That(Detector.Annotate(Plain(1, 1), new[] { Cat(0, 0, 1, 1, 1, 1) }).Pixels, Has.Length.EqualTo(3));
    }

    [Test]
    public void Where_two_labels_overlap_the_better_detections_is_on_top()
    {
        var best = Cat(0.5f, 0.25f, 0.9f, 0.75f, 640, 480);
        var next = best with { ClassIndex = 1, Label = "person", Score = 0.6f, XMin = 0.26f };
        var both = Detector.Annotate(Plain(640, 480), new[] { best, next });
        var alone = Detector.Annotate(Plain(640, 480), new[] { best });
        var (x, y, bw, bh, _) = DetectionDrawing.LabelBox(best, 640, 480);
        var (nx, _, _, _, _) = DetectionDrawing.LabelBox(next, 640, 480);
        Assert.That(nx, Is.InRange(x + 1, x + bw - 1), "the labels overlap");
        for (int py = y; py < y + bh; py++)
            for (int px = x; px < x + bw; px++)
                Assert.That(At(both, px, py), Is.EqualTo(At(alone, px, py)), $"({px}, {py}): the best detection's label is whole");
        Assert.That(At(both, x + bw, y + 1), Is.EqualTo(DetectionDrawing.ClassColor(1)).Or.EqualTo(DetectionDrawing.TextColor), "the other label shows past it");
    }

    [Test]
    public void Characters_outside_printable_ASCII_are_drawn_as_a_question_mark()
    {
        for (int y = 0; y < BitmapFont.GlyphHeight; y++)
            Assert.That(BitmapFont.Row('é', y), Is.EqualTo(BitmapFont.Row('?', y)));
        Assert.That(Enumerable.Range(' ' + 1, '~' - ' ').All(c => Enumerable.Range(0, 7).Any(y => BitmapFont.Row((char)c, y) != 0)), Is.True, "every printable character but the space has ink");
        Assert.That(Enumerable.Range(0, 7).All(y => BitmapFont.Row(' ', y) == 0), Is.True);
    }
}
