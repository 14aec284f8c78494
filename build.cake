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

RunTarget(target);
