using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.Arm;
using System.Runtime.Intrinsics.X86;
using MobileNetAccel.Interop;
using NUnit.Framework;

namespace MobileNetAccel.Tests.Kernels;

/// <summary>The native CPU probe and kernel-table selection (mna_cpu_features, mna_select_isa).</summary>
[TestFixture, NonParallelizable]
public sealed class CpuFeatureTests
{
    private const ulong BitSse41 = 1u << 0, BitAvx = 1u << 1, BitAvx2 = 1u << 2, BitFma3 = 1u << 3, BitAvx512F = 1u << 4, BitAvx512BW = 1u << 5,
        BitAvx512VL = 1u << 6, BitAvx512Vnni = 1u << 7, BitAvxVnni = 1u << 8, BitAvx512DQ = 1u << 9, BitAsimd = 1u << 16, BitDotProd = 1u << 17, BitFp16 = 1u << 18;

    private static readonly (ulong Bit, string Name)[] Names =
    [
        (BitSse41, "sse4.1"), (BitAvx, "avx"), (BitAvx2, "avx2"), (BitFma3, "fma3"), (BitAvx512F, "avx512f"), (BitAvx512BW, "avx512bw"),
        (BitAvx512VL, "avx512vl"), (BitAvx512Vnni, "avx512vnni"), (BitAvxVnni, "avxvnni"), (BitAvx512DQ, "avx512dq"),
        (BitAsimd, "asimd"), (BitDotProd, "dotprod"), (BitFp16, "fp16arith"),
    ];

    private static bool IsX64 => RuntimeInformation.ProcessArchitecture == Architecture.X64;
    private static bool IsArm64 => RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    [TearDown]
    public void RestoreAuto() => NativeKernels.SelectIsa(KernelIsa.Auto);

    [Test]
    public void VersionIsReported() => Assert.That(NativeKernels.Version, Does.Match(@"^\d+\.\d+\.\d+"));

    [Test]
    public void FeaturesAreProbedOnX64AndArm64()
    {
        if (!IsX64 && !IsArm64)
            Assert.Ignore($"no feature list is defined for {RuntimeInformation.ProcessArchitecture}");
        string features = NativeKernels.CpuFeatures;
        ulong bits = NativeKernels.CpuFeatureBits;
        TestContext.Out.WriteLine($"cpu features: \"{features}\" (0x{bits:x}); supported ISAs: {string.Join(", ", KernelTestSupport.SupportedIsas())}");
        Assert.That(features, Is.Not.Empty);
        // x86-64-v2 (SSE4.1) is the .NET 10 x64 baseline; every aarch64 CPU has ASIMD.
        Assert.That(bits & (IsX64 ? BitSse41 : BitAsimd), Is.Not.Zero, $"baseline feature missing from \"{features}\"");
        Assert.That(bits & (IsX64 ? BitAsimd | BitDotProd | BitFp16 : BitSse41 | BitAvx | BitAvx2 | BitFma3 | BitAvx512F), Is.Zero, "features of the other architecture reported");
    }

    [Test]
    public void FeatureStringMatchesBits()
    {
        ulong bits = NativeKernels.CpuFeatureBits;
        string[] words = NativeKernels.CpuFeatures.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        foreach ((ulong bit, string name) in Names)
            Assert.That(words.Contains(name), Is.EqualTo((bits & bit) != 0), $"\"{name}\" in the string vs bit 0x{bit:x} in 0x{bits:x}");
    }

    /// <summary>What .NET's JIT reports usable must be reported by the native probe too (the JIT also checks OS support).
    /// Only this direction: .NET may group features (e.g. Avx512F needs BW/CD/DQ/VL) or have them disabled by DOTNET_Enable*.</summary>
    [Test]
    public void AgreesWithTheRuntimesOwnDetection()
    {
        ulong bits = NativeKernels.CpuFeatureBits;
        void Implies(bool dotnet, ulong bit, string name) =>
            Assert.That(!dotnet || (bits & bit) != 0, $".NET reports {name} but the native probe (\"{NativeKernels.CpuFeatures}\") does not");
        Implies(Sse41.IsSupported, BitSse41, "SSE4.1");
        Implies(Avx.IsSupported, BitAvx, "AVX");
        Implies(Avx2.IsSupported, BitAvx2, "AVX2");
        Implies(Fma.IsSupported, BitFma3, "FMA3");
        Implies(Avx512F.IsSupported, BitAvx512F, "AVX-512F");
        Implies(Avx512BW.IsSupported, BitAvx512BW, "AVX-512BW");
        Implies(AdvSimd.IsSupported, BitAsimd, "ASIMD");
        Implies(Dp.IsSupported, BitDotProd, "dotprod");
    }

    [Test]
    public void ReferenceAndScalarAlwaysWork()
    {
        foreach (KernelIsa isa in new[] { KernelIsa.Reference, KernelIsa.Scalar })
        {
            Assert.That(NativeKernels.IsSupported(isa), Is.True, $"{isa} supported");
            NativeKernels.SelectIsa(isa);
            Assert.That(NativeKernels.CurrentIsa, Is.EqualTo(isa));
        }
    }

    [Test]
    public void AutoPicksTheBestSupportedTable()
    {
        NativeKernels.SelectIsa(KernelIsa.Auto);
        KernelIsa isa = NativeKernels.CurrentIsa;
        Assert.That(isa, Is.Not.EqualTo(KernelIsa.Auto).And.Not.EqualTo(KernelIsa.Reference), "Auto resolves to a concrete optimised table");
        Assert.That(NativeKernels.IsSupported(isa), Is.True);
        KernelIsa expected = NativeKernels.IsSupported(KernelIsa.Avx512) ? KernelIsa.Avx512
            : NativeKernels.IsSupported(KernelIsa.Avx2) ? KernelIsa.Avx2
            : NativeKernels.IsSupported(KernelIsa.Neon) ? KernelIsa.Neon : KernelIsa.Scalar;
        Assert.That(isa, Is.EqualTo(expected), "AVX-512 → AVX2 → scalar on x86, NEON → scalar on aarch64");
    }

    [Test]
    public void TablesFollowTheFeatureBits()
    {
        ulong bits = NativeKernels.CpuFeatureBits;
        Assert.That(NativeKernels.IsSupported(KernelIsa.Avx2), Is.EqualTo((bits & (BitAvx2 | BitFma3)) == (BitAvx2 | BitFma3)), "AVX2 table needs AVX2 + FMA3");
        Assert.That(NativeKernels.IsSupported(KernelIsa.Avx512), Is.EqualTo((bits & BitAvx512F) != 0), "AVX-512 table needs AVX-512F");
        Assert.That(NativeKernels.IsSupported(KernelIsa.Neon), Is.EqualTo((bits & BitAsimd) != 0), "NEON table needs ASIMD");
    }

    [Test]
    public void SelectingAnUnsupportedTableThrowsAndKeepsTheSelection()
    {
        KernelIsa foreign = IsX64 ? KernelIsa.Neon : IsArm64 ? KernelIsa.Avx2 : KernelIsa.Auto;
        if (foreign == KernelIsa.Auto)
            Assert.Ignore($"no foreign ISA defined for {RuntimeInformation.ProcessArchitecture}");
        Assert.That(NativeKernels.IsSupported(foreign), Is.False);
        NativeKernels.SelectIsa(KernelIsa.Reference);
        var e = Assert.Throws<NotSupportedException>(() => NativeKernels.SelectIsa(foreign))!;
        Assert.That(e.Message, Does.Contain("mna_select_isa"));
        Assert.That(e.InnerException, Is.InstanceOf<NativeKernelException>()
            .With.Property(nameof(NativeKernelException.Status)).EqualTo(NativeStatus.Unsupported));
        Assert.That(NativeKernels.CurrentIsa, Is.EqualTo(KernelIsa.Reference), "a failed selection must leave the selection unchanged");
    }

    [Test]
    public void EveryTableIsEitherSelectableOrRefused()
    {
        foreach (KernelIsa isa in Enum.GetValues<KernelIsa>())
        {
            if (NativeKernels.IsSupported(isa))
                Assert.DoesNotThrow(() => NativeKernels.SelectIsa(isa), isa.ToString());
            else
                Assert.Throws<NotSupportedException>(() => NativeKernels.SelectIsa(isa), isa.ToString());
        }
    }
}
