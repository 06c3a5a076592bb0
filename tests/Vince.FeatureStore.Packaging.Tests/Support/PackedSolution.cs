using System.Globalization;
using System.IO.Compression;
using System.Reflection;
using System.Xml.Linq;

namespace Vince.FeatureStore.Packaging.Tests.Support;

/// <summary>
/// One <c>dotnet pack</c> of the built solution, shared by every packaging test. It runs as a GitHub Actions build
/// would (repository from <c>GITHUB_SERVER_URL</c>/<c>GITHUB_REPOSITORY</c>) and with a version of its own, so a
/// consumer restoring it can never get a stale copy of an earlier pack from a package cache.
/// </summary>
public sealed class PackedSolution : IAsyncLifetime
{
    /// <summary>The test collection that shares the one pack.</summary>
    public const string Collection = "Packed solution";

    public const string ServerUrl = "https://github.com";
    public const string Repository = "example-owner/vince-feature-store";
    public const string RepositoryUrl = ServerUrl + "/" + Repository;

    /// <summary>The tool's package: a pointer to one package per runtime (.NET 10 RID-specific tool packages).</summary>
    public const string ToolPackageId = "Vince.FeatureStore.Cli";

    /// <summary>The platforms the tool has a package for, each carrying that platform's natives only.</summary>
    public static readonly IReadOnlyList<string> ToolRuntimes = ["linux-arm64", "linux-x64", "osx-arm64", "win-x64"];

    /// <summary>The tool's package of each runtime.</summary>
    public static readonly IReadOnlyList<string> ToolRuntimePackageIds = ToolRuntimes.Select(rid => $"{ToolPackageId}.{rid}").ToArray();

    /// <summary>Every package the solution ships.</summary>
    public static readonly IReadOnlyList<string> PackageIds =
    [
        "Vince.FeatureStore",
        "Vince.FeatureStore.Postgres",
        "Vince.FeatureStore.Supabase",
        "Vince.FeatureStore.Onnx",
        "Vince.FeatureStore.Training",
        ToolPackageId,
        .. ToolRuntimePackageIds,
    ];

    /// <summary>The packages that hold assemblies, each with its symbol package: all but the tool's pointer package.</summary>
    public static readonly IReadOnlyList<string> AssemblyPackageIds = PackageIds.Where(id => id != ToolPackageId).ToArray();

    /// <summary>The project (under src/) a package is packed from: the tool's runtime packages come from the tool's.</summary>
    public static string ProjectOf(string id) => ToolRuntimePackageIds.Contains(id) ? ToolPackageId : id;

    private readonly TempDirectory _dir = new();

    public static string Configuration { get; } = typeof(PackedSolution).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;

    public string Root { get; } = RepositoryPaths.Root();

    public string Feed => _dir.File("feed");

    public string Version { get; } = "0.1.0-packtest." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", CultureInfo.InvariantCulture);

    public string Scratch(string name) => _dir.File(name);

    public string PackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.nupkg");

    public string SymbolPackagePath(string id) => Path.Combine(Feed, $"{id}.{Version}.snupkg");

    public async Task InitializeAsync()
    {
        string solution = Path.Combine(Root, "Vince.FeatureStore.sln");
        string builtCore = Path.Combine(Root, "src", "Vince.FeatureStore", "bin", Configuration, "net10.0", "Vince.FeatureStore.dll");
        Assert.True(File.Exists(builtCore), $"Build the solution first ({Configuration}): {builtCore} is missing.");

        ProcessResult pack = await DotnetProcess.RunAsync(
            ["pack", solution, "-c", Configuration, "--no-build", "-o", Feed, $"-p:Version={Version}", "-nologo"],
            Root,
            new Dictionary<string, string> { ["GITHUB_SERVER_URL"] = ServerUrl, ["GITHUB_REPOSITORY"] = Repository },
            TimeSpan.FromMinutes(10));
        Assert.True(pack.ExitCode == 0, $"dotnet pack failed:\n{pack}");
    }

    /// <summary>The nuspec of a package, with its namespace.</summary>
    public static (XElement Metadata, XNamespace Ns) Nuspec(ZipArchive package)
    {
        ZipArchiveEntry entry = Assert.Single(package.Entries, e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal) && !e.FullName.Contains('/', StringComparison.Ordinal));
        using Stream stream = entry.Open();
        XElement root = XDocument.Load(stream).Root!;
        XNamespace ns = root.Name.Namespace;
        return (root.Element(ns + "metadata")!, ns);
    }

    public static byte[] Read(ZipArchiveEntry entry)
    {
        using Stream stream = entry.Open();
        using var memory = new MemoryStream();
        stream.CopyTo(memory);
        return memory.ToArray();
    }

    public Task DisposeAsync()
    {
        _dir.Dispose();
        return Task.CompletedTask;
    }
}

/// <summary>Every test class of <see cref="PackedSolution.Collection"/> reads the same pack.</summary>
[CollectionDefinition(PackedSolution.Collection)]
public sealed class PackedSolutionGroup : ICollectionFixture<PackedSolution>;
