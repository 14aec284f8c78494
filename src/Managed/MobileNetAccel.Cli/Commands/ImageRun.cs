using System.CommandLine;
using MobileNetAccel.Imaging;

namespace MobileNetAccel.Cli.Commands;

/// <summary>
/// The driver behind <c>classify</c>, <c>detect</c> and <c>segment</c>: walks the files and folders given
/// (<see cref="ImageFiles.Expand"/>), decodes them in groups of <c>--batch N</c> photographs, runs each group through
/// the command's inference (one batched run where the model allows it), then prints each file's result (or its error)
/// in input order, counting images in the <see cref="Progress"/>. A file that cannot be read or decoded
/// (<see cref="ImageFiles.IsFileProblem"/>) is reported and skipped without losing the other results of its group;
/// any other exception ends the run. A single image file is run alone and its decoding error is the command's error.
/// </summary>
internal static class ImageRun
{
    /// <summary>The <c>--batch N</c> option, the same for the three commands.</summary>
    public static Option<int> BatchOption(string note)
    {
        var batch = new Option<int>("--batch") { Description = "Photographs per inference (default 1). " + note, DefaultValueFactory = _ => 1 };
        batch.Validators.Add(r => { if (r.GetValueOrDefault<int>() < 1) r.AddError("--batch must be at least 1"); });
        return batch;
    }

    /// <summary>Whether the paths name several images (more than one, or a folder): then there is a summary line and
    /// per-file failures are skipped rather than the command's error.</summary>
    public static bool Several(string[] paths) => paths.Length > 1 || paths.Any(Directory.Exists);

    /// <summary>The note on stderr when <c>--batch N</c> cannot group the images into one inference.</summary>
    public static void OneAtATime(string command, int batch, string why) =>
        Console.Error.WriteLine($"mobilenet {command}: note: --batch {batch}: {why}; the images run one at a time (results are the same)");

    /// <summary>Runs <paramref name="infer"/> on groups of up to <paramref name="batch"/> decoded images (its results
    /// in the images' order) and <paramref name="emit"/> on each result in input order. Returns the exit code
    /// (<see cref="Progress.Summary"/>).</summary>
    public static int Run<T>(string[] paths, int batch, bool json, string verb,
                             Func<IReadOnlyList<RgbImage>, IReadOnlyList<T>> infer, Action<string, RgbImage, T> emit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        var progress = new Progress(verb);
        if (!Several(paths))
        {
            var image = RgbImage.Load(paths[0]); // one file: a decoding error is the command's error (one line, exit 2)
            var result = Infer(infer, new[] { image })[0];
            emit(paths[0], image, result);
            return 0;
        }
        if (progress.Interactive)
            progress.Total = ImageFiles.Expand(paths).Count(); // for the bar; the run lists the folders again as it goes
        int ok = 0, failed = 0;
        var group = new List<(string Path, RgbImage? Image, Exception? Error)>(batch);
        int images = 0;
        void Flush()
        {
            var good = group.Where(g => g.Image is not null).Select(g => g.Image!).ToList();
            var results = good.Count == 0 ? Array.Empty<T>() : Infer(infer, good);
            int next = 0;
            foreach (var (path, image, error) in group)
            {
                var e = error;
                if (image is not null)
                {
                    try
                    {
                        progress.Clear();
                        emit(path, image, results[next++]);
                        progress.Done();
                        ok++;
                        continue;
                    }
                    catch (Exception x) when (ImageFiles.IsFileProblem(x))
                    {
                        e = x; // e.g. an output PNG that cannot be written
                    }
                }
                failed++;
                progress.Failed(path, e!, json);
            }
            group.Clear();
            images = 0;
        }
        foreach (var file in ImageFiles.Expand(paths))
        {
            try
            {
                group.Add((file, RgbImage.Load(file), null));
                images++;
            }
            catch (Exception e) when (ImageFiles.IsFileProblem(e))
            {
                group.Add((file, null, e));
            }
            if (images == batch)
                Flush();
        }
        Flush();
        return progress.Summary(ok, failed, several: true);
    }

    private static IReadOnlyList<T> Infer<T>(Func<IReadOnlyList<RgbImage>, IReadOnlyList<T>> infer, IReadOnlyList<RgbImage> images)
    {
        var results = infer(images);
        if (results.Count != images.Count)
            throw new InvalidOperationException($"{images.Count} images gave {results.Count} results");
        return results;
    }
}
