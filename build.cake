// Cake build script: `dotnet tool restore && dotnet cake [--target=X]`.
// Targets: Native, NativeArm64, Build, Test (default), Bench, PublishAot, GpuBundle.
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

RunTarget(target);
