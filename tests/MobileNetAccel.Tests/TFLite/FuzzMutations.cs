using MobileNetAccel.Formats;

namespace MobileNetAccel.Tests.TFLite;

/// <summary>
/// The mutations and the per-variant harness shared by the model-file fuzz fixtures (<c>FuzzTests</c>,
/// <c>VisionFuzzTests</c>): structure-targeted bit flips, truncations and 32-bit word corruption, and a loop
/// body that runs one variant under a timeout and sorts the outcome into loaded / rejected with
/// <see cref="ModelFormatException"/> / failure (anything else, or a hang).
/// </summary>
internal static class FuzzMutations
{
    /// <summary>The mutation kinds of <see cref="Mutate"/>, in the order of its <c>kind</c> argument.</summary>
    public static readonly string[] KindNames = { "bit flips", "truncations", "offset corruptions" };

    /// <summary>Every byte position of a file of <paramref name="length"/> bytes outside the given ranges (e.g. the
    /// weight buffers' data, whose bytes the reader does not interpret).</summary>
    public static int[] StructurePositions(int length, IEnumerable<(int Start, int Length)> excluded)
    {
        var skip = new bool[length];
        foreach (var (s, n) in excluded)
            Array.Fill(skip, true, s, n);
        return Enumerable.Range(0, length).Where(p => !skip[p]).ToArray();
    }

    /// <summary>One mutated copy of <paramref name="original"/>: kind 0 flips 1–4 bits (4 in 5 times at structure
    /// positions, else anywhere), kind 1 truncates (a third of the time to under 64 bytes), kind 2 overwrites an aligned
    /// 32-bit word of the structure with a random value, a nearby offset, all ones, a value near the file length or
    /// zero. <c>Structural</c> says whether the change can alter what the reader builds.</summary>
    public static (byte[] Data, string What, bool Structural) Mutate(byte[] original, int[] structure, int kind, Random rng)
    {
        switch (kind)
        {
            case 0:
            {
                var d = (byte[])original.Clone();
                int flips = 1 + rng.Next(4);
                bool structural = rng.Next(5) != 0;
                var where = new List<int>();
                for (int f = 0; f < flips; f++)
                {
                    int pos = structural ? structure[rng.Next(structure.Length)] : rng.Next(d.Length);
                    d[pos] ^= (byte)(1 << rng.Next(8));
                    where.Add(pos);
                }
                return (d, $"bit flips at {string.Join(",", where)}", structural);
            }
            case 1:
            {
                int len = rng.Next(3) == 0 ? rng.Next(64) : rng.Next(original.Length);
                return (original.AsSpan(0, len).ToArray(), $"truncated to {len} bytes", true);
            }
            default:
            {
                var d = (byte[])original.Clone();
                int pos = structure[rng.Next(structure.Length)] & ~3;
                pos = Math.Min(pos, d.Length - 4);
                uint old = BitConverter.ToUInt32(d, pos);
                uint value = rng.Next(5) switch
                {
                    0 => (uint)rng.Next(),
                    1 => old + (uint)(4 * (rng.Next(33) - 16)),
                    2 => 0xFFFFFFFF,
                    3 => (uint)d.Length - (uint)rng.Next(16),
                    _ => 0,
                };
                BitConverter.GetBytes(value).CopyTo(d, pos);
                return (d, $"word at {pos}: {old} -> {value}", true);
            }
        }
    }
}

/// <summary>Counts of one fuzz run and its failures (each naming the variant and its mutation).</summary>
internal sealed class FuzzTally
{
    public int Loaded, Rejected;
    public readonly List<string> Failures = new();

    /// <summary>Stop after this many failures (the first ones are what matters).</summary>
    public bool Stop => Failures.Count >= 5;

    /// <summary>Runs <paramref name="work"/> (read, perhaps compile and run, one variant) on the thread pool under
    /// <paramref name="timeout"/>: success counts as loaded, <see cref="ModelFormatException"/> as rejected, any other
    /// exception or the timeout is a failure naming <paramref name="variant"/> and <paramref name="what"/>. Returns
    /// false on a hang (the caller stops: the hung task still runs).</summary>
    public bool Check(int variant, string what, Action work, TimeSpan timeout)
    {
        var task = Task.Run(work);
        try
        {
            if (!task.Wait(timeout))
            {
                Failures.Add($"variant {variant} ({what}): no result after {timeout.TotalSeconds} s (hang)");
                return false;
            }
            Loaded++;
        }
        catch (AggregateException e) when (e.InnerException is ModelFormatException)
        {
            Rejected++;
        }
        catch (AggregateException e)
        {
            var inner = e.InnerException!;
            Failures.Add($"variant {variant} ({what}): {inner.GetType().Name}: {inner.Message}\n{inner.StackTrace}");
        }
        return true;
    }
}
