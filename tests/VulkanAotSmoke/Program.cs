using System.Runtime.InteropServices;
using MobileNetAccel.Backends;
using MobileNetAccel.Execution;
using MobileNetAccel.Graph;
using MobileNetAccel.Interop;
using MobileNetAccel.Vulkan;

// conv 3x3 s2 (+ReLU6) -> depthwise 3x3 -> global average pool -> reshape -> fully connected -> softmax, batch 2,
// on the best Vulkan device through the registry, compared with straight C# loops.
VulkanBackend.Register();
var backend = BackendRegistry.All().FirstOrDefault(b => b.Name == "vulkan") ?? throw new InvalidOperationException("vulkan backend not registered");
if (backend.Devices.Count == 0)
{
    string reason = ((VulkanBackend)backend).UnavailableReason;
    Console.WriteLine($"vulkan-aot-smoke: {reason}");
    return string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase) ? 1 : 2;
}
var device = backend.Devices[0];
Console.WriteLine($"vulkan-aot-smoke: {device.Id} {device.Name} ({device.Kind}); {device.Features}");

const int n = 2, h = 9, w = 9, cin = 3, c = 8, classes = 5;
var rnd = new Random(42);
float[] R(int count) => Enumerable.Range(0, count).Select(_ => (float)(rnd.NextDouble() - 0.5)).ToArray();
float[] input = R(n * h * w * cin), cw = R(c * 9 * cin), cb = R(c), dw = R(9 * c), fw = R(classes * c), fb = R(classes);
var x = new Value("x", new[] { n, h, w, cin });
Value t1 = new("t1", Array.Empty<int>()), t2 = new("t2", Array.Empty<int>()), t3 = new("t3", Array.Empty<int>()),
    t4 = new("t4", Array.Empty<int>()), logits = new("logits", Array.Empty<int>()), probs = new("probs", Array.Empty<int>());
var nodes = new List<Node>
{
    new Conv2DNode("conv", x, Value.Constant("cw", new[] { c, 3, 3, cin }, cw), Value.Constant("cb", new[] { c }, cb), t1)
        { StrideH = 2, StrideW = 2, Padding = new Padding(1, 1, 1, 1), Activation = Activation.Relu6 },
    new DepthwiseConv2DNode("dw", t1, Value.Constant("dw", new[] { 1, 3, 3, c }, dw), null, t2) { Padding = new Padding(1, 1, 1, 1) },
    new GlobalAveragePoolNode("gap", t2, t3),
    new ReshapeNode("flatten", t3, t4, new[] { n, c }),
    new FullyConnectedNode("fc", t4, Value.Constant("fw", new[] { classes, c }, fw), Value.Constant("fb", new[] { classes }, fb), logits),
    new SoftmaxNode("softmax", logits, probs),
};
foreach (var node in nodes)
    node.InferShapes();
using var compiled = backend.Compile(new Partition(nodes, new[] { x }, new[] { probs }), device, new CompileOptions());
using var arena = new Arena();
input.CopyTo(arena.Span<float>(x));
compiled.Run(arena);
var got = arena.Span<float>(probs).ToArray();

// Reference.
int oh = 5, ow = 5;
var a = new double[n, oh, ow, c];
for (int b = 0; b < n; b++) for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) for (int o = 0; o < c; o++)
{
    double s = cb[o];
    for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++)
    {
        int iy = y * 2 + ky - 1, ix = xx * 2 + kx - 1;
        if (iy < 0 || iy >= h || ix < 0 || ix >= w) continue;
        for (int i = 0; i < cin; i++) s += input[((b * h + iy) * w + ix) * cin + i] * cw[((o * 3 + ky) * 3 + kx) * cin + i];
    }
    a[b, y, xx, o] = Math.Clamp(s, 0, 6);
}
var want = new double[n * classes];
for (int b = 0; b < n; b++)
{
    var g = new double[c];
    for (int y = 0; y < oh; y++) for (int xx = 0; xx < ow; xx++) for (int o = 0; o < c; o++)
    {
        double s = 0;
        for (int ky = 0; ky < 3; ky++) for (int kx = 0; kx < 3; kx++)
        {
            int iy = y + ky - 1, ix = xx + kx - 1;
            if (iy < 0 || iy >= oh || ix < 0 || ix >= ow) continue;
            s += a[b, iy, ix, o] * dw[(ky * 3 + kx) * c + o];
        }
        g[o] += s / (oh * ow);
    }
    var l = new double[classes];
    for (int k = 0; k < classes; k++) { l[k] = fb[k]; for (int o = 0; o < c; o++) l[k] += g[o] * fw[k * c + o]; }
    double max = l.Max(), sum = l.Sum(v => Math.Exp(v - max));
    for (int k = 0; k < classes; k++) want[b * classes + k] = Math.Exp(l[k] - max) / sum;
}
double worst = got.Select((v, i) => Math.Abs(v - want[i])).Max();
Console.WriteLine($"vulkan-aot-smoke: max |Δ| = {worst:G3} over {got.Length} probabilities");
if (!(worst <= 1e-5))
{
    Console.WriteLine("vulkan-aot-smoke: FAILED");
    return 1;
}
Console.WriteLine("vulkan-aot-smoke: passed");
return 0;

sealed unsafe class Arena : IArena, IDisposable
{
    private readonly Dictionary<Value, nint> _blocks = new(ReferenceEqualityComparer.Instance);
    public byte* Pointer(Value value)
    {
        if (!_blocks.TryGetValue(value, out var p))
            _blocks[value] = p = (nint)NativeMemory.AlignedAlloc((nuint)value.SizeInBytes, 64);
        return (byte*)p;
    }
    public Span<T> Span<T>(Value value) where T : unmanaged => new(Pointer(value), (int)(value.SizeInBytes / sizeof(T)));
    public void Dispose()
    {
        foreach (var p in _blocks.Values)
            NativeMemory.AlignedFree((void*)p);
    }
}
