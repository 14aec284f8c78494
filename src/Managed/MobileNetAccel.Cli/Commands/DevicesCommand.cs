using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;

namespace MobileNetAccel.Cli.Commands;

/// <summary><c>mobilenet devices [--json]</c>: the devices of this machine (the host CPU and every device a registered
/// backend lists) with kind, memory, features and the backends that can use each.</summary>
internal static class DevicesCommand
{
    public static Command Create()
    {
        var json = new Option<bool>("--json") { Description = "Print a JSON array: id, name, kind (cpu|gpu|cpu-emulated-gpu), memory_bytes, features, backends" };
        var command = new Command("devices", "List the devices of this machine and the backends that can use each");
        command.Options.Add(json);
        command.SetAction(result =>
        {
            var devices = DeviceCatalog.All();
            if (result.GetValue(json))
            {
                using var stdout = Console.OpenStandardOutput();
                using (var w = new Utf8JsonWriter(stdout, new JsonWriterOptions { Indented = true }))
                {
                    w.WriteStartArray();
                    foreach (var d in devices)
                    {
                        w.WriteStartObject();
                        w.WriteString("id", d.Device.Id);
                        w.WriteString("name", d.Device.Name);
                        w.WriteString("kind", d.KindName);
                        w.WriteNumber("memory_bytes", d.Device.MemoryBytes);
                        w.WriteString("features", d.Device.Features);
                        w.WriteStartArray("backends");
                        foreach (var b in d.Backends)
                            w.WriteStringValue(b);
                        w.WriteEndArray();
                        w.WriteEndObject();
                    }
                    w.WriteEndArray();
                }
                stdout.WriteByte((byte)'\n');
                return 0;
            }
            foreach (var d in devices)
            {
                Console.WriteLine($"{d.Device.Id}: {d.Device.Name} [{d.KindName}]");
                Console.WriteLine($"  memory:   {Memory(d.Device.MemoryBytes)}");
                Console.WriteLine($"  features: {d.Device.Features}");
                Console.WriteLine($"  backends: {(d.Backends.Count == 0 ? "none" : string.Join(", ", d.Backends))}");
            }
            var idle = BackendRegistry.All().Where(b => DeviceCatalog.SafeDevices(b).Count == 0).Select(b => b.Name).ToList();
            if (idle.Count > 0)
                Console.WriteLine($"backends without a device here: {string.Join(", ", idle)}");
            return 0;
        });
        return command;
    }

    private static string Memory(long bytes) =>
        bytes <= 0 ? "unknown"
        : bytes >= 1L << 50 ? $"{bytes} bytes as reported (no real limit: host memory)"
        : (bytes / (1024.0 * 1024 * 1024)).ToString("F1", CultureInfo.InvariantCulture) + " GiB";
}
