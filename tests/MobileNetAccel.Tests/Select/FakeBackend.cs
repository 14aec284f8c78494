using System.Diagnostics;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using MobileNetAccel.Backends;
using MobileNetAccel.Backends.Native;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;

namespace MobileNetAccel.Tests.Select;

/// <summary>
/// A test backend on a pretend device: it runs a subset of ops (computed by the native CPU kernels) in its own
/// "device memory" (separately allocated buffers), so every partition input is really copied in (an upload) and every
/// output copied out (a download), and the copies are counted. An optional busy-wait per run makes it slow.
/// </summary>
internal sealed class FakeBackend : IBackend
{
    private readonly Func<Node, bool> _supports;
    private readonly NativeCpuBackend _inner = new();
    private readonly DeviceInfo? _device;
    public int Compiles, Runs, Uploads, Downloads;

    public FakeBackend(string name, DeviceKind kind, Func<Node, bool> supports, double delayMs = 0, bool hasDevice = true, bool hostMemory = false)
    {
        Name = name;
        _supports = supports;
        DelayMs = delayMs;
        HostMemory = hostMemory;
        _device = !hasDevice ? null : hostMemory ? HostCpuDevice.Info : new DeviceInfo(name + ":0", "fake " + name, kind, 1 << 20, "test");
    }

    public string Name { get; }
    public double DelayMs { get; }
    /// <summary>Runs on the host CPU device (no device memory, no copies).</summary>
    public bool HostMemory { get; }
    public IReadOnlyList<DeviceInfo> Devices => _device is null ? Array.Empty<DeviceInfo>() : new[] { _device };

    public bool Supports(Node node, out string reason)
    {
        if (!_supports(node))
        {
            reason = $"{Name} has no {node.Op} kernel";
            return false;
        }
        return _inner.Supports(node, out reason);
    }

    public ICompiledPartition Compile(Partition partition, DeviceInfo device, CompileOptions options)
    {
        foreach (var n in partition.Nodes)
            if (!Supports(n, out string r))
                throw new NotSupportedException(r);
        Interlocked.Increment(ref Compiles);
        return new Compiled(this, partition, _inner.Compile(partition, HostCpuDevice.Info, options));
    }

    private sealed unsafe class Compiled : ICompiledPartition
    {
        private readonly FakeBackend _b;
        private readonly Partition _p;
        private readonly ICompiledPartition _inner;
        private readonly DeviceMemory? _memory;

        public Compiled(FakeBackend b, Partition p, ICompiledPartition inner)
        {
            _b = b;
            _p = p;
            _inner = inner;
            if (!b.HostMemory)
                _memory = new DeviceMemory(p.Nodes.SelectMany(n => n.Inputs.Concat(n.Outputs)).OfType<Value>().Where(v => !v.IsConstant));
        }

        public void Run(IArena arena)
        {
            Interlocked.Increment(ref _b.Runs);
            if (_memory is null)
                _inner.Run(arena);
            else
            {
                foreach (var v in _p.Inputs)
                {
                    Buffer.MemoryCopy(arena.Pointer(v), _memory.Pointer(v), v.SizeInBytes, v.SizeInBytes);
                    Interlocked.Increment(ref _b.Uploads);
                }
                _inner.Run(_memory);
                foreach (var v in _p.Outputs)
                {
                    Buffer.MemoryCopy(_memory.Pointer(v), arena.Pointer(v), v.SizeInBytes, v.SizeInBytes);
                    Interlocked.Increment(ref _b.Downloads);
                }
            }
            if (_b.DelayMs > 0)
            {
                var sw = Stopwatch.StartNew();
                while (sw.Elapsed.TotalMilliseconds < _b.DelayMs)
                    Thread.SpinWait(50);
            }
        }

        public void Dispose()
        {
            _inner.Dispose();
            _memory?.Dispose();
        }
    }

    /// <summary>Separate buffers per value: the pretend device's memory.</summary>
    private sealed unsafe class DeviceMemory : IArena, IDisposable
    {
        private readonly Dictionary<Value, nint> _buffers = new(ReferenceEqualityComparer.Instance);

        public DeviceMemory(IEnumerable<Value> values)
        {
            foreach (var v in values)
                if (!_buffers.ContainsKey(v))
                    _buffers[v] = (nint)NativeMemory.AlignedAlloc((nuint)Math.Max(v.SizeInBytes, 64), 64);
        }

        public byte* Pointer(Value value) => (byte*)_buffers[value];
        public Span<T> Span<T>(Value value) where T : unmanaged => new(Pointer(value), checked((int)(value.SizeInBytes / sizeof(T))));

        public void Dispose()
        {
            foreach (var p in _buffers.Values)
                NativeMemory.AlignedFree((void*)p);
            _buffers.Clear();
        }
    }
}

/// <summary>Collects log messages.</summary>
internal sealed class ListLoggerFactory : ILoggerFactory
{
    public List<(LogLevel Level, string Category, string Message)> Messages { get; } = new();

    public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);
    public void AddProvider(ILoggerProvider provider) { }
    public void Dispose() { }

    private sealed class Logger(ListLoggerFactory owner, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner.Messages)
                owner.Messages.Add((logLevel, category, formatter(state, exception)));
        }
    }
}
