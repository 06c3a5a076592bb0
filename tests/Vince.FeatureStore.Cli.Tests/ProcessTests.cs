using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Xml.Linq;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// The tool as a user gets it: <c>dotnet pack</c> makes a pointer package and one package per runtime that
/// <c>dotnet tool install</c> installs and that runs (ONNX Runtime's native library included), and the process's Ctrl+C (SIGINT) and SIGTERM cancel a running command cleanly.
/// </summary>
public sealed class ProcessTests : IDisposable
{
    private static readonly string Configuration = typeof(ProcessTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
    private readonly TempDirectory _dir = new();

    private static string ProjectDirectory => Path.Combine(RepositoryPaths.Root(), "src", "Vince.FeatureStore.Cli");

    private static string BuiltToolDll(string framework)
    {
        string path = Path.Combine(ProjectDirectory, "bin", Configuration, framework, "Vince.FeatureStore.Cli.dll");
        Assert.True(File.Exists(path), $"Build the solution first ({framework} of the tool): {path} is missing.");
        return path;
    }

    /// <summary>A real model and a record to score, with the probability the trees give by hand.</summary>
    private (string Models, string Record, double Probability) ScoringInputs()
    {
        string models = _dir.File("models");
        Directory.CreateDirectory(models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), Path.Combine(models, "signal_quality.onnx"));
        MetadataJson.For(SignalQualityRecords.FeatureNames).Save(Path.Combine(models, "training_metadata.json"));
        FeatureRecord record = SignalQualityRecords.Decision(3, "ETH", priceChange: -1.1, strength: 72);
        string path = _dir.File("record.json");
        File.WriteAllText(path, FeatureJson.Serialize(record));
        return (models, path, OnnxModels.Probability(SignalQualityRecords.Trees, SignalQualityRecords.ExpectedVector(record)));
    }

    /// <summary>The platforms the tool has a package for (.NET 10 RID-specific tool packages).</summary>
    private static readonly string[] ToolRuntimes = ["linux-arm64", "linux-x64", "osx-arm64", "win-x64"];

    /// <summary>The limit for every package (decimal megabytes).</summary>
    private const long MaxPackageBytes = 40L * 1000 * 1000;

    [Fact]
    public async Task Dotnet_pack_makes_a_pointer_package_and_one_package_per_runtime_under_40_MB_that_dotnet_tool_install_installs_and_runs()
    {
        BuiltToolDll("net10.0");
        string output = _dir.File("packages");
        // A version of its own: the install can never take a stale copy of an earlier pack from the package cache.
        string version = "0.1.0-processtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

        CliResult pack = await ChildProcess.RunAsync("dotnet",
            ["pack", Path.Combine(ProjectDirectory, "Vince.FeatureStore.Cli.csproj"), "-c", Configuration, "--no-build", "-o", output, $"-p:Version={version}", "-nologo"],
            TimeSpan.FromMinutes(10));
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack}");

        string[] expected = ToolRuntimes.Select(rid => $"Vince.FeatureStore.Cli.{rid}.{version}.nupkg").Append($"Vince.FeatureStore.Cli.{version}.nupkg").Order(StringComparer.Ordinal).ToArray();
        string[] packages = Directory.GetFiles(output, "*.nupkg").Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, packages);
        foreach (string package in packages)
        {
            long size = new FileInfo(Path.Combine(output, package)).Length;
            Assert.True(size <= MaxPackageBytes, $"{package} has {size:N0} bytes (at most {MaxPackageBytes:N0}).");
        }

        using (ZipArchive pointer = ZipFile.OpenRead(Path.Combine(output, $"Vince.FeatureStore.Cli.{version}.nupkg")))
        {
            XDocument settings = XDocument.Load(pointer.GetEntry("tools/any/any/DotnetToolSettings.xml")!.Open());
            Assert.Equal(ToolRuntimes, settings.Descendants("RuntimeIdentifierPackage").Select(p => (string?)p.Attribute("RuntimeIdentifier")).Order(StringComparer.Ordinal));
            Assert.DoesNotContain(pointer.Entries, e => e.Name.EndsWith(".dll", StringComparison.Ordinal));
        }

        foreach (string rid in ToolRuntimes)
        {
            using ZipArchive zip = ZipFile.OpenRead(Path.Combine(output, $"Vince.FeatureStore.Cli.{rid}.{version}.nupkg"));
            XDocument nuspec = XDocument.Load(zip.GetEntry($"Vince.FeatureStore.Cli.{rid}.nuspec")!.Open());
            XNamespace ns = nuspec.Root!.Name.Namespace;
            Assert.Contains(nuspec.Descendants(ns + "packageType"), p => (string?)p.Attribute("name") == "DotnetToolRidPackage");
            Assert.NotNull(zip.GetEntry($"tools/net10.0/{rid}/Vince.FeatureStore.Cli.dll"));
            XElement command = Assert.Single(XDocument.Load(zip.GetEntry($"tools/net10.0/{rid}/DotnetToolSettings.xml")!.Open()).Descendants("Command"));
            Assert.Equal(("vince-features", "Vince.FeatureStore.Cli.dll"), ((string?)command.Attribute("Name"), (string?)command.Attribute("EntryPoint")));
            string[] natives = zip.Entries.Where(e => e.Name.Contains("onnxruntime", StringComparison.Ordinal) && !e.Name.StartsWith("Microsoft.", StringComparison.Ordinal)).Select(e => e.FullName).ToArray();
            Assert.NotEmpty(natives);
            Assert.All(natives, n => Assert.StartsWith($"tools/net10.0/{rid}/", n, StringComparison.Ordinal));
            Assert.DoesNotContain(zip.Entries, e => e.FullName.Contains("/runtimes/", StringComparison.Ordinal)
                || e.FullName.EndsWith(".dbg", StringComparison.Ordinal) || e.FullName.EndsWith(".dwarf", StringComparison.Ordinal));
        }

        // Installed as a user installs it: the pointer package from the local feed, then the package of this machine's runtime.
        string toolPath = _dir.File("tool");
        CliResult install = await ChildProcess.RunAsync("dotnet",
            ["tool", "install", "--tool-path", toolPath, "--add-source", output, "Vince.FeatureStore.Cli", "--version", version],
            TimeSpan.FromMinutes(5));
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed:\n{install}");
        string host = RuntimeInformation.RuntimeIdentifier;
        string[] installed = Directory.GetDirectories(Path.Combine(toolPath, ".store", "vince.featurestore.cli", version)).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(["vince.featurestore.cli", $"vince.featurestore.cli.{host}"], installed); // the pointer and this runtime's package only

        string executable = Path.Combine(toolPath, OperatingSystem.IsWindows() ? "vince-features.exe" : "vince-features");
        CliResult versionRun = await ChildProcess.RunAsync(executable, ["--version"], TimeSpan.FromMinutes(1));
        Assert.True(versionRun.ExitCode == 0, versionRun.ToString());
        Assert.Equal($"vince-features {version}", versionRun.Stdout.Trim());

        // Scoring loads ONNX Runtime's native library from the runtime package.
        (string models, string record, double probability) = ScoringInputs();
        CliResult score = await ChildProcess.RunAsync(executable, ["score", "--models", models, "--record", record, "--json"], TimeSpan.FromMinutes(2));
        Assert.True(score.ExitCode == 0, score.ToString());
        using JsonDocument json = JsonDocument.Parse(score.Stdout);
        Assert.Equal(probability, json.RootElement.GetProperty("probability").GetDouble(), 6);
    }

    [Theory]
    [InlineData("INT")]
    [InlineData("TERM")]
    public async Task A_signal_cancels_a_running_training_kills_the_trainer_and_exits_130(string signal)
    {
        string data = _dir.File("features");
        await TradeData.WriteAsync(data, 10);
        string pidFile = _dir.File("trainer.pid");
        string script = _dir.File("slow_train.sh");
        File.WriteAllText(script, $"""
            echo $$ > '{pidFile}'
            echo "training started"
            sleep 60
            echo "never reached"
            """);
        string models = _dir.File("models");

        using ChildProcess tool = ChildProcess.Start("dotnet",
            [BuiltToolDll("net10.0"), "train", "--data", data, "--output", models, "--command", "sh", "--script", script]);
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        while (!tool.Stderr.Contains("training started", StringComparison.Ordinal))
        {
            await Task.Delay(50, deadline.Token);
        }

        int trainerPid = int.Parse(File.ReadAllText(pidFile).Trim(), System.Globalization.CultureInfo.InvariantCulture);
        await tool.SignalAsync(signal);
        int exitCode = await tool.WaitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 130, $"exit {exitCode}\nstdout:\n{tool.Stdout}\nstderr:\n{tool.Stderr}");
        Assert.Contains("vince-features train: interrupted.", tool.Stderr);
        Assert.DoesNotContain("never reached", tool.Stderr);
        Assert.False(IsRunning(trainerPid), $"the trainer process {trainerPid} is still running");
        Assert.False(File.Exists(Path.Combine(models, "training_metadata.json")));
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".*")); // the staging directory is gone
    }

    /// <summary>Whether a process exists and is not a zombie (an orphan may wait for a reaper that a container lacks).</summary>
    private static bool IsRunning(int pid)
    {
        string stat = $"/proc/{pid}/stat";
        try
        {
            string text = File.ReadAllText(stat);
            return text[(text.LastIndexOf(')') + 2)..].StartsWith('Z') is false;
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException or IOException)
        {
            return false;
        }
    }

    public void Dispose() => _dir.Dispose();
}
