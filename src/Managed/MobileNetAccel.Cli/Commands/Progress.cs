using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// The reporting of a run over many images (<c>classify</c>, <c>detect</c>, <c>segment</c>, driven by <see cref="ImageRun"/>), counted in images: a file that failed is one line on stderr
/// (and, with --json, an <c>{image, error}</c> line on stdout); the summary line on stderr says how many succeeded and
/// failed, with images/s; the exit code is 1 when some failed (or none was found). On a terminal (stderr not
/// redirected) a progress line (a bar of images done out of <see cref="Total"/>, images/s) is redrawn in place on
/// stderr, cleared before each result line; redirected, there are only plain lines. The line is drawn here rather
/// than by Spectre.Console's live progress, which redraws by moving the cursor up over the lines it drew and so is
/// broken by the result lines streamed to stdout between its redraws.
/// </summary>
internal sealed class Progress
{
    private readonly string _verb;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private long _lastDrawMs = -1000;
    private bool _shown;
    private int _done, _failed;

    public Progress(string verb) => _verb = verb;

    /// <summary>Whether the progress line is drawn (stderr is a terminal).</summary>
    public bool Interactive => _interactive;

    /// <summary>How many images the run has, when known: the line then has a bar.</summary>
    public int? Total { get; set; }

    private double Rate => _done + _failed == 0 ? 0 : (_done + _failed) / Math.Max(_clock.Elapsed.TotalSeconds, 1e-9);

    /// <summary>Clears the progress line before a result line is written.</summary>
    public void Clear()
    {
        if (_shown)
            Console.Error.Write("\r\x1b[K");
        _shown = false;
    }

    /// <summary>One image done: redraws the progress line (at most ten times a second) on a terminal.</summary>
    public void Done()
    {
        _done++;
        Draw();
    }

    private void Draw()
    {
        if (!_interactive || _clock.ElapsedMilliseconds - _lastDrawMs < 100)
            return;
        _lastDrawMs = _clock.ElapsedMilliseconds;
        Console.Error.Write("\r\x1b[K" + Line(_done, _failed, Total, _verb, Rate));
        _shown = true;
    }

    /// <summary>The progress line: <c>[########------------] 12/30 classified, 0 failed, 31.2 images/s</c> with a
    /// total (the bar counts done and failed images, 20 steps), <c>12 classified, 0 failed, 31.2 images/s</c> without.</summary>
    internal static string Line(int done, int failed, int? total, string verb, double rate)
    {
        string counts = string.Create(CultureInfo.InvariantCulture, $"{done} {verb}, {failed} failed, {rate:F1} images/s");
        if (total is not > 0)
            return counts;
        int n = Math.Min(done + failed, total.Value), filled = (int)((long)n * 20 / total.Value);
        return string.Create(CultureInfo.InvariantCulture, $"[{new string('#', filled)}{new string('-', 20 - filled)}] {n}/{total} ") + counts;
    }

    /// <summary>One file that could not be read or decoded: reported, then skipped.</summary>
    public void Failed(string path, Exception e, bool json)
    {
        _failed++;
        Clear();
        string message = e.Message.Contains(path, StringComparison.Ordinal) ? e.Message : $"{path}: {e.Message}";
        Console.Error.WriteLine($"mobilenet: skipped {message}");
        if (json)
        {
            using var buffer = new MemoryStream();
            using (var w = new Utf8JsonWriter(buffer))
            {
                w.WriteStartObject();
                w.WriteString("image", path);
                w.WriteString("error", e.Message);
                w.WriteEndObject();
            }
            Console.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
        }
        Draw();
    }

    /// <summary>The summary line (when there were several images or a failure) and the exit code: 0 when every
    /// image succeeded, 1 when some failed or none was found.</summary>
    public int Summary(int succeeded, int failed, bool several)
    {
        Clear();
        if (succeeded + failed == 0)
        {
            Console.Error.WriteLine("mobilenet: no image found (folders are searched for .jpg .jpeg .png .bmp)");
            return 1;
        }
        if (several || failed > 0)
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{succeeded} {_verb}, {failed} failed ({_clock.Elapsed.TotalSeconds:F1} s, {Rate:F1} images/s)"));
        return failed > 0 ? 1 : 0;
    }
}
