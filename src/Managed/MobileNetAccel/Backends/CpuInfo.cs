namespace MobileNetAccel.Backends;

/// <summary>Facts about the host CPU used for defaults and reports.</summary>
public static class CpuInfo
{
    private static readonly Lazy<int> PhysicalCoresLazy = new(ProbePhysicalCores);
    private static readonly Lazy<string> ModelNameLazy = new(ProbeModelName);
    private static readonly Lazy<IReadOnlyList<CpuCache>> CachesLazy = new(ProbeCaches);

    /// <summary>Logical processors this process may use.</summary>
    public static int LogicalCores => Environment.ProcessorCount;

    /// <summary>Caches of cpu0 as the OS reports them (/sys/devices/system/cpu/cpu0/cache/index*/ on Linux); empty when
    /// the OS does not say.</summary>
    public static IReadOnlyList<CpuCache> Caches => CachesLazy.Value;

    /// <summary>Memory available to this process (the GC's view of physical memory or the container limit).</summary>
    public static long MemoryBytes => GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;

    /// <summary>Physical cores (hyper-threads not counted). On Linux, distinct (physical id, core id) pairs of
    /// /proc/cpuinfo, capped by the processors this process may use; elsewhere, or when that fails,
    /// <see cref="Environment.ProcessorCount"/>.</summary>
    public static int PhysicalCores => PhysicalCoresLazy.Value;

    /// <summary>CPU model name ("model name" of /proc/cpuinfo), or the OS architecture when unknown.</summary>
    public static string ModelName => ModelNameLazy.Value;

    private static int ProbePhysicalCores()
    {
        int logical = Environment.ProcessorCount;
        try
        {
            if (!OperatingSystem.IsLinux() || !File.Exists("/proc/cpuinfo"))
                return logical;
            var cores = new HashSet<(string, string)>();
            string physical = "0", core = "";
            bool sawCore = false;
            foreach (var line in File.ReadLines("/proc/cpuinfo"))
            {
                int colon = line.IndexOf(':');
                if (colon < 0)
                {
                    if (sawCore)
                        cores.Add((physical, core));
                    sawCore = false;
                    continue;
                }
                string key = line[..colon].Trim(), value = line[(colon + 1)..].Trim();
                if (key == "physical id")
                    physical = value;
                else if (key == "core id")
                {
                    core = value;
                    sawCore = true;
                }
            }
            if (sawCore)
                cores.Add((physical, core));
            return cores.Count == 0 ? logical : Math.Clamp(cores.Count, 1, logical);
        }
        catch (IOException)
        {
            return logical;
        }
        catch (UnauthorizedAccessException)
        {
            return logical;
        }
    }

    private static string ProbeModelName()
    {
        try
        {
            if (OperatingSystem.IsLinux() && File.Exists("/proc/cpuinfo"))
                foreach (var line in File.ReadLines("/proc/cpuinfo"))
                    if (line.StartsWith("model name", StringComparison.Ordinal) || line.StartsWith("Model", StringComparison.Ordinal))
                    {
                        int colon = line.IndexOf(':');
                        if (colon > 0)
                            return line[(colon + 1)..].Trim();
                    }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return System.Runtime.InteropServices.RuntimeInformation.OSArchitecture.ToString();
    }

    private static IReadOnlyList<CpuCache> ProbeCaches()
    {
        var list = new List<CpuCache>();
        try
        {
            const string root = "/sys/devices/system/cpu/cpu0/cache";
            if (!OperatingSystem.IsLinux() || !Directory.Exists(root))
                return list;
            foreach (var dir in Directory.GetDirectories(root, "index*").Order(StringComparer.Ordinal))
            {
                string Read(string f) => File.Exists(Path.Combine(dir, f)) ? File.ReadAllText(Path.Combine(dir, f)).Trim() : "";
                if (!int.TryParse(Read("level"), System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out int level))
                    continue;
                long bytes = ParseSize(Read("size"));
                if (bytes <= 0)
                    continue;
                list.Add(new CpuCache(level, Read("type"), bytes));
            }
        }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
        return list;
    }

    /// <summary>Parses sysfs sizes such as "32K", "1024K", "16M".</summary>
    internal static long ParseSize(string text)
    {
        if (string.IsNullOrEmpty(text))
            return 0;
        long mult = 1;
        char last = char.ToUpperInvariant(text[^1]);
        if (last is 'K' or 'M' or 'G')
        {
            mult = last == 'K' ? 1024 : last == 'M' ? 1024 * 1024 : 1024L * 1024 * 1024;
            text = text[..^1];
        }
        return long.TryParse(text, System.Globalization.NumberStyles.Integer, System.Globalization.CultureInfo.InvariantCulture, out long v) ? v * mult : 0;
    }
}

/// <summary>One CPU cache: level (1, 2, 3), type ("Data", "Instruction", "Unified") and size.</summary>
public sealed record CpuCache(int Level, string Type, long SizeBytes)
{
    public override string ToString() => $"L{Level}{(Type switch { "Data" => "d", "Instruction" => "i", _ => "" })} {(SizeBytes >= 1 << 20 ? $"{SizeBytes >> 20} MiB" : $"{SizeBytes >> 10} KiB")}";
}
