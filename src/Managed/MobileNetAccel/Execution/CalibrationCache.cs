using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MobileNetAccel.Backends;

namespace MobileNetAccel.Execution;

/// <summary>
/// Calibration results on disk: one JSON file per model shape (and thread count and library version), holding the
/// measured time of each (backend, device, run of nodes). A file that cannot be parsed, has another format version or
/// key (stale: another library version, a hash collision), or holds a non-finite or non-positive time is ignored (and
/// rebuilt by the caller), never trusted. Entries of a device whose name changed are ignored.
/// </summary>
internal sealed class CalibrationCache
{
    public const string Format = "mna-calibration";
    public const int Version = 1;
    private readonly Dictionary<string, double> _entries = new(StringComparer.Ordinal);

    private CalibrationCache(string path, string key)
    {
        Path = path;
        Key = key;
    }

    public string Path { get; }
    public string Key { get; }
    /// <summary>Why the file on disk was not used ("" when it was, or when there was none).</summary>
    public string IgnoredBecause { get; private set; } = "";
    public bool LoadedFromDisk { get; private set; }
    public int Count => _entries.Count;

    /// <summary>The directory used when none is given: MNA_CALIBRATION_CACHE, else $XDG_CACHE_HOME/mobilenetaccel,
    /// else ~/.cache/mobilenetaccel. Null when MNA_CALIBRATION_CACHE is "off", "none", "0" or "false".</summary>
    public static string? DefaultDirectory()
    {
        var env = Environment.GetEnvironmentVariable("MNA_CALIBRATION_CACHE");
        if (!string.IsNullOrWhiteSpace(env))
            return IsOff(env) ? null : env;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrWhiteSpace(xdg))
            return System.IO.Path.Combine(xdg, "mobilenetaccel");
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        return string.IsNullOrEmpty(home) ? null : System.IO.Path.Combine(home, ".cache", "mobilenetaccel");
    }

    public static bool IsOff(string value) =>
        value.Trim().ToLowerInvariant() is "off" or "none" or "0" or "false" or "no";

    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    /// <summary>Opens (reads when present) the cache file for <paramref name="key"/> in <paramref name="directory"/>.</summary>
    public static CalibrationCache Open(string directory, string key)
    {
        string hash = Hash(key);
        var cache = new CalibrationCache(System.IO.Path.Combine(directory, $"calibration-{hash[..24]}.json"), hash);
        cache.Load();
        return cache;
    }

    private void Load()
    {
        if (!File.Exists(Path))
            return;
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path));
            var root = doc.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new FormatException("not a JSON object");
            if (!root.TryGetProperty("format", out var f) || f.ValueKind != JsonValueKind.String || f.GetString() != Format)
                throw new FormatException("not a calibration file");
            if (!root.TryGetProperty("version", out var v) || v.ValueKind != JsonValueKind.Number || v.GetInt32() != Version)
                throw new FormatException("stale: another format version");
            if (!root.TryGetProperty("key", out var k) || k.ValueKind != JsonValueKind.String || k.GetString() != Key)
                throw new FormatException("stale: another model shape, thread count or library version");
            if (!root.TryGetProperty("entries", out var entries) || entries.ValueKind != JsonValueKind.Object)
                throw new FormatException("no entries");
            var read = new Dictionary<string, double>(StringComparer.Ordinal);
            foreach (var e in entries.EnumerateObject())
            {
                if (e.Value.ValueKind != JsonValueKind.Number || !e.Value.TryGetDouble(out double ms) || !double.IsFinite(ms) || ms <= 0)
                    throw new FormatException($"entry '{e.Name}' is not a positive time");
                read[e.Name] = ms;
            }
            foreach (var (name, ms) in read)
                _entries[name] = ms;
            LoadedFromDisk = true;
        }
        catch (Exception e) when (e is JsonException or FormatException or IOException or UnauthorizedAccessException or InvalidOperationException)
        {
            _entries.Clear();
            IgnoredBecause = $"{Path} ignored ({e.Message})";
        }
    }

    public static string EntryName(string backend, DeviceInfo device, string segmentSignature) =>
        $"{backend}|{device.Id}|{Hash(device.Name + "|" + device.Features)[..12]}|{Hash(segmentSignature)[..24]}";

    public bool TryGet(string entry, out double ms) => _entries.TryGetValue(entry, out ms);

    public void Set(string entry, double ms) => _entries[entry] = ms;

    /// <summary>Writes the file (atomically: a temporary file renamed over it). Returns the error message, or null.</summary>
    public string? Save()
    {
        try
        {
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(Path)!);
            string tmp = Path + "." + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + ".tmp";
            using (var stream = File.Create(tmp))
            using (var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true }))
            {
                w.WriteStartObject();
                w.WriteString("format", Format);
                w.WriteNumber("version", Version);
                w.WriteString("key", Key);
                w.WriteStartObject("entries");
                foreach (var (name, ms) in _entries.OrderBy(e => e.Key, StringComparer.Ordinal))
                    w.WriteNumber(name, ms);
                w.WriteEndObject();
                w.WriteEndObject();
            }
            File.Move(tmp, Path, overwrite: true);
            return null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return e.Message;
        }
    }
}
