using System.IO.Compression;
using System.Reflection;
using System.Text.Json;
using System.Xml.Linq;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// The tool as a user gets it: <c>dotnet pack</c> makes a .NET tool package that runs (ONNX Runtime's native library
/// included), and the process's Ctrl+C (SIGINT) and SIGTERM cancel a running command cleanly.
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

    [Fact]
    public async Task Dotnet_pack_makes_a_tool_package_for_net10_that_runs_and_scores()
    {
        BuiltToolDll("net10.0");
        string output = _dir.File("packages");

        CliResult pack = await ChildProcess.RunAsync("dotnet",
            ["pack", Path.Combine(ProjectDirectory, "Vince.FeatureStore.Cli.csproj"), "-c", Configuration, "--no-build", "-o", output, "-nologo"],
            TimeSpan.FromMinutes(8));
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack}");

        string package = Assert.Single(Directory.GetFiles(output, "*.nupkg"));
        Assert.Matches(@"Vince\.FeatureStore\.Cli\.\d+\.\d+\.\d+\.nupkg$", package);
        string tool = _dir.File("tool");
        using (ZipArchive zip = ZipFile.OpenRead(package))
        {
            var names = zip.Entries.Select(e => e.FullName).ToHashSet(StringComparer.Ordinal);
            XNamespace ns = XDocument.Load(zip.GetEntry("Vince.FeatureStore.Cli.nuspec")!.Open()).Root!.Name.Namespace;
            XDocument nuspec = XDocument.Load(zip.GetEntry("Vince.FeatureStore.Cli.nuspec")!.Open());
            Assert.Contains(nuspec.Descendants(ns + "packageType"), p => (string?)p.Attribute("name") == "DotnetTool");
            foreach (string framework in new[] { "net10.0" })
            {
                Assert.Contains($"tools/{framework}/any/Vince.FeatureStore.Cli.dll", names);
                Assert.Contains($"tools/{framework}/any/runtimes/linux-x64/native/libonnxruntime.so", names);
                XDocument settings = XDocument.Load(zip.GetEntry($"tools/{framework}/any/DotnetToolSettings.xml")!.Open());
                XElement command = Assert.Single(settings.Descendants("Command"));
                Assert.Equal(("vince-features", "Vince.FeatureStore.Cli.dll"), ((string?)command.Attribute("Name"), (string?)command.Attribute("EntryPoint")));
            }

            Assert.DoesNotContain(names, n => n.Contains("/runtimes/android/", StringComparison.Ordinal) || n.Contains("/runtimes/ios/", StringComparison.Ordinal)
                || n.EndsWith(".dbg", StringComparison.Ordinal) || n.EndsWith(".dwarf", StringComparison.Ordinal));
            foreach (ZipArchiveEntry entry in zip.Entries.Where(e => e.FullName.StartsWith("tools/net10.0/any/", StringComparison.Ordinal) && e.Name.Length > 0))
            {
                string target = Path.Combine(tool, entry.FullName["tools/net10.0/any/".Length..]);
                Directory.CreateDirectory(Path.GetDirectoryName(target)!);
                entry.ExtractToFile(target);
            }
        }

        // The packaged program, run as dotnet runs an installed tool.
        (string models, string record, double probability) = ScoringInputs();
        CliResult score = await ChildProcess.RunAsync("dotnet", [Path.Combine(tool, "Vince.FeatureStore.Cli.dll"), "score", "--models", models, "--record", record, "--json"], TimeSpan.FromMinutes(2));
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
