using System.Runtime.InteropServices;
using System.Xml.Linq;
using Vince.FeatureStore.Packaging.Tests.Support;
using Xunit.Abstractions;

namespace Vince.FeatureStore.Packaging.Tests;

/// <summary>A new bot project that takes the packages from a local feed, as the Onnx package's README tells it to.</summary>
[Collection(PackedSolution.Collection)]
public sealed class ConsumerTests(PackedSolution packed, ITestOutputHelper output)
{
    [Fact]
    public async Task A_new_bot_restores_the_onnx_package_from_a_local_feed_and_built_for_its_runtime_gets_only_that_runtime()
    {
        string rid = RuntimeInformation.RuntimeIdentifier;
        string bot = packed.Scratch("bot");
        Directory.CreateDirectory(bot);
        string packages = packed.Scratch("bot-packages");

        // Nothing of the repository around it: no Directory.Build.props, central versions or global.json apply.
        File.WriteAllText(Path.Combine(bot, "Directory.Build.props"), "<Project />");
        File.WriteAllText(Path.Combine(bot, "Directory.Packages.props"), "<Project />");
        File.WriteAllText(Path.Combine(bot, "nuget.config"), NugetConfig());
        File.WriteAllText(Path.Combine(bot, "Bot.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <RuntimeIdentifier>{rid}</RuntimeIdentifier>
                <SelfContained>false</SelfContained>
                <!-- Its own package folder: the packed version lands nowhere else; everything already cached is read from the user's. -->
                <RestorePackagesPath>{packages}</RestorePackagesPath>
                <RestoreAdditionalProjectFallbackFolders>{GlobalPackagesFolder()}</RestoreAdditionalProjectFallbackFolders>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Vince.FeatureStore.Onnx" Version="{packed.Version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(bot, "Program.cs"), """
            using Microsoft.Extensions.DependencyInjection;
            using Vince.FeatureStore;
            using Vince.FeatureStore.Flattening;
            using Vince.FeatureStore.Onnx;

            using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = args[0], WatchForChanges = false });
            SignalQualityScore score = scorer.Score(new FeatureRecord { Id = "1", Timestamp = 1769100000000, Asset = "BTC" }, new FeatureHistory());
            Console.WriteLine(score.HasModel ? "model" : "no model");

            static void Configure(IServiceCollection services) => services.AddVinceFeatureStore().AddOnnxScoring();
            """);

        ProcessResult build = await DotnetProcess.RunAsync(["build", bot, "-c", "Release", "-nologo"], bot, null, TimeSpan.FromMinutes(8));
        Assert.True(build.ExitCode == 0, $"the bot does not build against the packages:\n{build}");

        string bin = Path.Combine(bot, "bin", "Release", "net10.0", rid);
        string[] files = Directory.GetFiles(bin, "*", SearchOption.AllDirectories);
        long bytes = files.Sum(f => new FileInfo(f).Length);
        output.WriteLine($"bin/ of a bot referencing Vince.FeatureStore.Onnx, built for {rid}: {bytes / 1024.0 / 1024.0:F1} MiB in {files.Length} files");
        Assert.False(Directory.Exists(Path.Combine(bin, "runtimes")), "a bot built for one runtime still has a runtimes/ folder of every platform");
        Assert.Contains(files, f => Path.GetFileName(f).Contains("onnxruntime", StringComparison.Ordinal));

        // The scorer loads ONNX Runtime's native library of this platform and answers "no model" for an empty directory.
        string models = packed.Scratch("bot-models");
        Directory.CreateDirectory(models);
        ProcessResult run = await DotnetProcess.RunAsync([Path.Combine(bin, "Bot.dll"), models], bot, null, TimeSpan.FromMinutes(2));
        Assert.True(run.ExitCode == 0, run.ToString());
        Assert.Contains("no model", run.Output, StringComparison.Ordinal);
    }

    /// <summary>The local feed first, then the sources the repository restores from.</summary>
    private string NugetConfig()
    {
        XDocument repository = XDocument.Load(Path.Combine(packed.Root, "nuget.config"));
        XElement sources = repository.Root!.Element("packageSources")!;
        var config = new XElement("configuration",
            new XElement("packageSources",
                new XElement("clear"),
                new XElement("add", new XAttribute("key", "local"), new XAttribute("value", packed.Feed)),
                sources.Elements("add")));
        return config.ToString();
    }

    private static string GlobalPackagesFolder()
        => Environment.GetEnvironmentVariable("NUGET_PACKAGES") is { Length: > 0 } folder
            ? folder
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
}
