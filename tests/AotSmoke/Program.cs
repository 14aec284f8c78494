using MobileNetAccel.Interop;

// 1 image, 4x4x2 input, 3 output channels, 3x3 kernel, stride 2, padding 1 on every side; checked against a
// straightforward loop computed here.
var p = new Conv2DParams
{
    Batch = 1, InH = 4, InW = 4, InC = 2, OutC = 3, KernelH = 3, KernelW = 3, StrideH = 2, StrideW = 2,
    PadTop = 1, PadLeft = 1, PadBottom = 1, PadRight = 1, Activation = NativeActivation.Relu6,
};
var input = new float[1 * 4 * 4 * 2];
var weights = new float[3 * 3 * 3 * 2];
var bias = new float[] { 0.5f, -0.25f, 1f };
for (int i = 0; i < input.Length; i++) input[i] = (i % 7 - 3) * 0.25f;
for (int i = 0; i < weights.Length; i++) weights[i] = (i % 5 - 2) * 0.125f;
var output = new float[1 * p.OutH * p.OutW * 3];
NativeKernels.Conv2D(p, input, weights, bias, output);

int bad = 0;
for (int oy = 0; oy < p.OutH; oy++)
    for (int ox = 0; ox < p.OutW; ox++)
        for (int oc = 0; oc < 3; oc++)
        {
            float acc = bias[oc];
            for (int ky = 0; ky < 3; ky++)
                for (int kx = 0; kx < 3; kx++)
                {
                    int iy = oy * 2 - 1 + ky, ix = ox * 2 - 1 + kx;
                    if (iy < 0 || iy >= 4 || ix < 0 || ix >= 4) continue;
                    for (int ic = 0; ic < 2; ic++)
                        acc += input[(iy * 4 + ix) * 2 + ic] * weights[((oc * 3 + ky) * 3 + kx) * 2 + ic];
                }
            acc = Math.Clamp(acc, 0f, 6f);
            float got = output[(oy * p.OutW + ox) * 3 + oc];
            if (Math.Abs(got - acc) > 1e-5f)
            {
                Console.Error.WriteLine($"mismatch at ({oy},{ox},{oc}): native {got}, expected {acc}");
                bad++;
            }
        }
Console.WriteLine($"native library {NativeKernels.Version}, cpu: {NativeKernels.CpuFeatures}, kernels: {NativeKernels.CurrentIsa}");
try
{
    NativeKernels.Conv2D(p, input.AsSpan(1), weights, bias, output);
    Console.Error.WriteLine("a short input buffer was not rejected");
    bad++;
}
catch (ArgumentException e)
{
    Console.WriteLine($"short buffer rejected: {e.ParamName}");
}
Console.WriteLine(bad == 0 ? "AOT smoke: OK" : $"AOT smoke: {bad} failures");
return bad == 0 ? 0 : 1;
