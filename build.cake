// Cake build script: `dotnet tool restore && dotnet cake [--target=X]`.
// Targets: Native, NativeArm64, Build, Test (default), Bench, PublishAot, GpuBundle, Pack.
var target = Argument("target", "Test");
var configuration = Argument("configuration", "Release");
var benchFilter = Argument("filter", "*");
var root = MakeAbsolute(Directory("."));

void Run(string tool, string args)
{
    var code = StartProcess(tool, new ProcessSettings { Arguments = args, WorkingDirectory = root });
    if (code != 0)
        throw new Exception($"{tool} {args} exited with {code}");
}

Task("Native")
    .Does(() =>
{
    Run("cmake", "-S native -B native/build/linux-x64 -DCMAKE_BUILD_TYPE=Release");
    Run("cmake", "--build native/build/linux-x64 -j 2");
    Run("ctest", "--test-dir native/build/linux-x64 --output-on-failure");
});

Task("NativeArm64")
    .Does(() =>
{
    Run("cmake", $"-S native -B native/build/linux-arm64 -DCMAKE_BUILD_TYPE=Release -DCMAKE_TOOLCHAIN_FILE={root}/native/cmake/toolchain-aarch64.cmake");
    Run("cmake", "--build native/build/linux-arm64 -j 2");
    Run("ctest", "--test-dir native/build/linux-arm64 --output-on-failure");
});

Task("Build")
    .Does(() => Run("dotnet", $"build MobileNetAccel.sln -c {configuration}"));

Task("Test")
    .IsDependentOn("Native")
    .IsDependentOn("Build")
    .Does(() => Run("dotnet", $"test MobileNetAccel.sln -c {configuration} --no-build"));

Task("Bench")
    .Does(() => Run("dotnet", $"run -c Release --project perf/MobileNetAccel.Benchmarks -- --filter \"{benchFilter}\""));

Task("PublishAot")
    .Does(() =>
{
    Run("dotnet", $"publish src/Managed/MobileNetAccel.Cli -c Release -r linux-x64 -p:PublishAot=true -o artifacts/aot/linux-x64");
    Run("dotnet", $"publish tests/AotSmoke -c Release -r linux-x64 -o artifacts/aot-smoke/linux-x64");
});

// A self-contained linux-x64 JIT publish of the CLI (with the ILGPU backend, and every other GPU backend the CLI
// references) plus perf/gpu-check.sh and perf/torch_peer.py, in one xz archive of at most 45 MB: for a GPU machine
// that has a driver but no .NET SDK and no network. Trimming is not an option (ILGPU reflects over kernel IL), so the
// size comes from compression (no pdb/xml files; xz -9).
Task("GpuBundle")
    .Does(() =>
{
    var stage = root.Combine("artifacts/gpu-bundle/stage");
    var archive = root.CombineWithFilePath("artifacts/gpu-bundle/mobilenet-gpu-linux-x64.tar.xz");
    if (DirectoryExists(stage))
        DeleteDirectory(stage, new DeleteDirectorySettings { Recursive = true, Force = true });
    CreateDirectory(stage.Combine("perf"));
    Run("dotnet", $"publish src/Managed/MobileNetAccel.Cli -c Release -r linux-x64 --self-contained true -p:PublishAot=false -p:IncludeIlgpu=true " +
        $"-p:DebugType=none -p:GenerateDocumentationFile=false -o {stage.Combine("mobilenet")}");
    CopyFile("perf/gpu-check.sh", stage.CombineWithFilePath("perf/gpu-check.sh"));
    CopyFile("perf/torch_peer.py", stage.CombineWithFilePath("perf/torch_peer.py"));
    if (FileExists(archive))
        DeleteFile(archive);
    var code = StartProcess("tar", new ProcessSettings
    {
        Arguments = $"-C {stage} -cJf {archive} mobilenet perf",
        WorkingDirectory = root,
        EnvironmentVariables = new Dictionary<string, string> { ["XZ_OPT"] = "-9 -T2" },
    });
    if (code != 0)
        throw new Exception($"tar exited with {code}");
    long bytes = new System.IO.FileInfo(archive.FullPath).Length;
    Information($"{archive}: {bytes / 1e6:F1} MB");
    if (bytes > 45_000_000)
        throw new Exception($"{archive} is {bytes / 1e6:F1} MB; the limit is 45 MB");
});

// The NuGet packages, into artifacts/packages: MobileNetAccel (with libmna.so for linux-x64 and linux-arm64, the
// latter from the cross toolchain), MobileNetAccel.Vulkan, MobileNetAccel.Ilgpu and the mobilenet .NET tool. Versions
// from git (MinVer). Checks what a user would otherwise find out: both libraries present and of the right
// architecture, and the size limits (core < 10 MB, tool < 60 MB).
Task("Pack")
    .Does(() =>
{
    var packages = root.Combine("artifacts/packages");
    if (DirectoryExists(packages))
        DeleteDirectory(packages, new DeleteDirectorySettings { Recursive = true, Force = true });
    Run("dotnet", $"pack MobileNetAccel.sln -c {configuration}"); // PackageOutputPath (Directory.Build.props): artifacts/packages
    var expected = new[] { "MobileNetAccel", "MobileNetAccel.Vulkan", "MobileNetAccel.Ilgpu", "mobilenet" };
    foreach (var id in expected)
    {
        var found = GetFiles($"{packages}/{id}.[0-9]*.nupkg");
        if (found.Count != 1)
            throw new Exception($"expected one {id} package in {packages}, found {found.Count}");
        long bytes = new System.IO.FileInfo(found.First().FullPath).Length;
        long limit = id == "mobilenet" ? 60_000_000 : 10_000_000;
        Information($"{found.First().GetFilename()}: {bytes / 1e6:F2} MB (limit {limit / 1e6:F0} MB)");
        if (bytes > limit)
            throw new Exception($"{found.First()} is {bytes / 1e6:F1} MB; the limit is {limit / 1e6:F0} MB");
    }
    var core = GetFiles($"{packages}/MobileNetAccel.[0-9]*.nupkg").First();
    using (var zip = System.IO.Compression.ZipFile.OpenRead(core.FullPath))
    {
        foreach (var (rid, machine) in new[] { ("linux-x64", 62), ("linux-arm64", 183) })
        {
            var entry = zip.GetEntry($"runtimes/{rid}/native/libmna.so")
                ?? throw new Exception($"{core.GetFilename()} has no runtimes/{rid}/native/libmna.so");
            using var s = entry.Open();
            var header = new byte[20];
            int n = 0;
            while (n < header.Length) { int r = s.Read(header, n, header.Length - n); if (r == 0) break; n += r; }
            int eMachine = header[18] | (header[19] << 8);
            if (n < 20 || header[1] != (byte)'E' || eMachine != machine)
                throw new Exception($"runtimes/{rid}/native/libmna.so in {core.GetFilename()} is not an ELF for {rid} (e_machine {eMachine})");
        }
        foreach (var name in new[] { "README.md", "LICENSE", "THIRD-PARTY-NOTICES.md", "lib/net10.0/MobileNetAccel.xml" })
            if (zip.GetEntry(name) is null)
                throw new Exception($"{core.GetFilename()} has no {name}");
    }
});

RunTarget(target);
