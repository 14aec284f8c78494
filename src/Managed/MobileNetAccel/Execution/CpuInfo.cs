namespace MobileNetAccel.Execution;

/// <summary>Facts about the host CPU used for defaults and reports.</summary>
public static class CpuInfo
{
    private static readonly Lazy<int> PhysicalCoresLazy = new(ProbePhysicalCores);
    private static readonly Lazy<string> ModelNameLazy = new(ProbeModelName);

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
}
