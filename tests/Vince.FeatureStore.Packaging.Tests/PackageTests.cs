using System.IO.Compression;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Text;
using System.Text.RegularExpressions;
using System.Xml.Linq;
using Vince.FeatureStore.Packaging.Tests.Support;

namespace Vince.FeatureStore.Packaging.Tests;

/// <summary>
/// What a team consuming the packages gets: metadata, an icon and a short README of its own per package, symbol
/// packages whose PDBs (like the DLLs) name no path of the build machine, and tool packages small enough to ship.
/// </summary>
[Collection(PackedSolution.Collection)]
public sealed partial class PackageTests(PackedSolution packed)
{
    /// <summary>The issue's limit for every package, the tool's runtime packages included (decimal megabytes).</summary>
    private const long MaxPackageBytes = 40L * 1000 * 1000;

    /// <summary>
    /// ONNX Runtime's native is most of a tool runtime package (6 to 13 MB compressed, 1.31.1); what the tool adds on top
    /// (its libraries, ML.NET, Npgsql) is held to 4 MiB.
    /// </summary>
    private const long MaxToolBytesBesideOnnxRuntime = 4L * 1024 * 1024;

    /// <summary>The pointer package holds the tool's settings, README and icon only.</summary>
    private const long MaxToolPointerPackageBytes = 64 * 1024;

    private static readonly byte[] PngSignature = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private const int MaxReadmeBytes = 8 * 1024;

    /// <summary>The PDB custom debug information that holds an embedded source file.</summary>
    private static readonly Guid EmbeddedSource = new("0E8A571B-6926-466E-B4AD-8AB04611F5FE");

    public static TheoryData<string> Ids => new(PackedSolution.PackageIds);

    public static TheoryData<string> AssemblyIds => new(PackedSolution.AssemblyPackageIds);

    public static TheoryData<string> ToolRuntimes => new(PackedSolution.ToolRuntimes);

    [Fact]
    public void Packing_the_solution_makes_each_package_and_its_symbol_package_and_nothing_else()
    {
        string[] expected = PackedSolution.PackageIds.Select(id => Path.GetFileName(packed.PackagePath(id)))
            .Concat(PackedSolution.AssemblyPackageIds.Select(id => Path.GetFileName(packed.SymbolPackagePath(id))))
            .Order(StringComparer.Ordinal).ToArray();
        string[] actual = Directory.GetFiles(packed.Feed).Select(Path.GetFileName).OfType<string>().Order(StringComparer.Ordinal).ToArray();
        Assert.Equal(expected, actual);
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void A_package_has_its_description_tags_icon_license_and_repository(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(packed.PackagePath(id));
        (XElement metadata, XNamespace ns) = PackedSolution.Nuspec(package);

        Assert.False(string.IsNullOrWhiteSpace((string?)metadata.Element(ns + "description")));
        string[] tags = ((string?)metadata.Element(ns + "tags") ?? "").Split(' ', StringSplitOptions.RemoveEmptyEntries);
        Assert.Contains("feature-store", tags);
        Assert.True(tags.Length >= 5, $"{id} has only the common tags: {string.Join(' ', tags)}");
        Assert.Equal("MIT", (string?)metadata.Element(ns + "license"));

        string icon = (string?)metadata.Element(ns + "icon") ?? "";
        Assert.Equal("package-icon.png", icon);
        byte[] png = PackedSolution.Read(package.GetEntry(icon)!);
        Assert.Equal(PngSignature, png[..8]);

        XElement repository = metadata.Element(ns + "repository")!;
        Assert.Equal(("git", PackedSolution.RepositoryUrl), ((string?)repository.Attribute("type"), (string?)repository.Attribute("url")));
        Assert.Equal(PackedSolution.RepositoryUrl, (string?)metadata.Element(ns + "projectUrl"));
    }

    [Fact]
    public void Each_package_describes_itself()
    {
        var descriptions = PackedSolution.PackageIds.Select(id =>
        {
            using ZipArchive package = ZipFile.OpenRead(packed.PackagePath(id));
            (XElement metadata, XNamespace ns) = PackedSolution.Nuspec(package);
            return (string)metadata.Element(ns + "description")!;
        }).ToList();
        Assert.Equal(descriptions.Count, descriptions.Distinct(StringComparer.Ordinal).Count());
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void A_package_carries_its_own_short_readme_whose_links_resolve_on_any_package_page(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(packed.PackagePath(id));
        (XElement metadata, XNamespace ns) = PackedSolution.Nuspec(package);
        string readmePath = (string?)metadata.Element(ns + "readme") ?? "";
        Assert.Equal("README.md", readmePath);

        byte[] bytes = PackedSolution.Read(package.GetEntry(readmePath)!);
        string readme = Encoding.UTF8.GetString(bytes);
        string project = PackedSolution.ProjectOf(id);
        Assert.Equal(File.ReadAllText(Path.Combine(packed.Root, "src", project, "README.md")), readme);
        Assert.True(bytes.Length <= MaxReadmeBytes, $"{id}'s README has {bytes.Length} bytes (at most {MaxReadmeBytes}).");
        Assert.StartsWith($"# {project}", readme, StringComparison.Ordinal);

        string[] unresolvable = LinkTargets(readme).Where(target => !target.StartsWith("https://", StringComparison.Ordinal) && !target.StartsWith("http://", StringComparison.Ordinal)).ToArray();
        Assert.True(unresolvable.Length == 0, $"{id}'s README links to what a package page cannot open: {string.Join(", ", unresolvable)}");
        Assert.DoesNotContain("../shared", readme, StringComparison.Ordinal);
        Assert.DoesNotContain("scripts/test.sh", readme, StringComparison.Ordinal); // contributors' commands stay in the repository README
    }

    [Theory]
    [MemberData(nameof(AssemblyIds))]
    public void A_symbol_package_holds_the_pdb_of_each_assembly_and_neither_names_a_build_machine_path(string id)
    {
        using ZipArchive package = ZipFile.OpenRead(packed.PackagePath(id));
        using ZipArchive symbols = ZipFile.OpenRead(packed.SymbolPackagePath(id));
        byte[] root = Encoding.UTF8.GetBytes(packed.Root);
        byte[] rootUtf16 = Encoding.Unicode.GetBytes(packed.Root);

        ZipArchiveEntry[] assemblies = package.Entries.Where(e => e.Name.StartsWith("Vince.FeatureStore", StringComparison.Ordinal) && e.Name.EndsWith(".dll", StringComparison.Ordinal)).ToArray();
        Assert.Contains(assemblies, e => e.Name == PackedSolution.ProjectOf(id) + ".dll");
        foreach (ZipArchiveEntry assembly in assemblies)
        {
            byte[] dll = PackedSolution.Read(assembly);
            Assert.True(dll.AsSpan().IndexOf(root) < 0 && dll.AsSpan().IndexOf(rootUtf16) < 0, $"{assembly.FullName} contains the build path {packed.Root}.");
            using (var pe = new PEReader(new MemoryStream(dll)))
            {
                DebugDirectoryEntry codeView = Assert.Single(pe.ReadDebugDirectory(), d => d.Type == DebugDirectoryEntryType.CodeView);
                string pdbPath = pe.ReadCodeViewDebugDirectoryData(codeView).Path;
                Assert.Matches(MappedPath(), pdbPath);
            }

            string pdbEntry = assembly.FullName[..^".dll".Length] + ".pdb";
            ZipArchiveEntry? pdb = symbols.GetEntry(pdbEntry);
            Assert.True(pdb is not null, $"{Path.GetFileName(packed.SymbolPackagePath(id))} has no {pdbEntry}.");
            using MetadataReaderProvider provider = MetadataReaderProvider.FromPortablePdbStream(new MemoryStream(PackedSolution.Read(pdb)));
            MetadataReader reader = provider.GetMetadataReader();
            string[] documents = reader.Documents.Select(d => reader.GetString(reader.GetDocument(d).Name)).ToArray();
            Assert.NotEmpty(documents);
            Assert.All(documents, d => Assert.Matches(MappedPath(), d));
            // Generated sources (assembly info, global usings, protobuf and LoggerMessage code) are not in git: they travel in the PDB.
            Assert.Contains(reader.CustomDebugInformation, h => reader.GetGuid(reader.GetCustomDebugInformation(h).Kind) == EmbeddedSource);
        }
    }

    [Theory]
    [MemberData(nameof(Ids))]
    public void A_package_is_at_most_40_MB(string id)
    {
        long size = new FileInfo(packed.PackagePath(id)).Length;
        Assert.True(size <= MaxPackageBytes, $"{id} has {size:N0} bytes (at most {MaxPackageBytes:N0}).");
    }

    [Fact]
    public void The_tool_package_points_to_one_package_per_runtime_and_holds_no_implementation()
    {
        string path = packed.PackagePath(PackedSolution.ToolPackageId);
        long size = new FileInfo(path).Length;
        Assert.True(size <= MaxToolPointerPackageBytes, $"the tool's pointer package has {size:N0} bytes (at most {MaxToolPointerPackageBytes:N0}).");

        using ZipArchive package = ZipFile.OpenRead(path);
        (XElement metadata, XNamespace ns) = PackedSolution.Nuspec(package);
        Assert.Equal(["DotnetTool"], metadata.Descendants(ns + "packageType").Select(p => (string?)p.Attribute("name")));
        Assert.Equal(["tools/any/any/DotnetToolSettings.xml"], package.Entries.Where(e => e.FullName.StartsWith("tools/", StringComparison.Ordinal)).Select(e => e.FullName));

        XDocument settings = XDocument.Load(package.GetEntry("tools/any/any/DotnetToolSettings.xml")!.Open());
        Assert.Equal("vince-features", (string?)Assert.Single(settings.Descendants("Command")).Attribute("Name"));
        var pointers = settings.Descendants("RuntimeIdentifierPackage")
            .Select(p => ((string?)p.Attribute("RuntimeIdentifier"), (string?)p.Attribute("Id"))).OrderBy(p => p.Item1, StringComparer.Ordinal).ToArray();
        Assert.Equal(PackedSolution.ToolRuntimes.Select(rid => ((string?)rid, (string?)$"{PackedSolution.ToolPackageId}.{rid}")), pointers);
    }

    [Theory]
    [MemberData(nameof(ToolRuntimes))]
    public void A_tool_runtime_package_is_one_framework_with_only_its_platforms_natives_and_little_beside_onnx_runtime(string rid)
    {
        string path = packed.PackagePath($"{PackedSolution.ToolPackageId}.{rid}");
        long size = new FileInfo(path).Length;

        using ZipArchive package = ZipFile.OpenRead(path);
        (XElement metadata, XNamespace ns) = PackedSolution.Nuspec(package);
        Assert.Equal(["DotnetToolRidPackage"], metadata.Descendants(ns + "packageType").Select(p => (string?)p.Attribute("name")));
        ZipArchiveEntry[] tools = package.Entries.Where(e => e.FullName.StartsWith("tools/", StringComparison.Ordinal)).ToArray();
        Assert.All(tools, e => Assert.StartsWith($"tools/net10.0/{rid}/", e.FullName, StringComparison.Ordinal));
        Assert.DoesNotContain(tools, e => e.FullName.Contains("/runtimes/", StringComparison.Ordinal)); // no other platform's natives

        XDocument settings = XDocument.Load(package.GetEntry($"tools/net10.0/{rid}/DotnetToolSettings.xml")!.Open());
        XElement command = Assert.Single(settings.Descendants("Command"));
        Assert.Equal(("vince-features", "Vince.FeatureStore.Cli.dll", "dotnet"),
            ((string?)command.Attribute("Name"), (string?)command.Attribute("EntryPoint"), (string?)command.Attribute("Runner")));
        Assert.NotNull(package.GetEntry($"tools/net10.0/{rid}/Vince.FeatureStore.Cli.dll"));

        string library = rid.StartsWith("win", StringComparison.Ordinal) ? "onnxruntime.dll" : rid.StartsWith("osx", StringComparison.Ordinal) ? "libonnxruntime.dylib" : "libonnxruntime.so";
        ZipArchiveEntry? native = package.GetEntry($"tools/net10.0/{rid}/{library}");
        Assert.NotNull(native);
        long onnxRuntime = native.CompressedLength;
        Assert.True(size - onnxRuntime <= MaxToolBytesBesideOnnxRuntime, $"beside ONNX Runtime's native ({onnxRuntime:N0} bytes) the {rid} package has {size - onnxRuntime:N0} bytes (at most {MaxToolBytesBesideOnnxRuntime:N0}).");
        Assert.DoesNotContain(tools, e => (e.FullName.EndsWith(".xml", StringComparison.Ordinal) && e.Name != "DotnetToolSettings.xml")
            || e.FullName.EndsWith(".dbg", StringComparison.Ordinal) || e.FullName.EndsWith(".dwarf", StringComparison.Ordinal) || e.FullName.EndsWith(".lib", StringComparison.Ordinal));
    }

    /// <summary>Targets of Markdown links and images, autolinks and HTML href/src attributes.</summary>
    private static IEnumerable<string> LinkTargets(string markdown)
    {
        string text = FencedCode().Replace(markdown, "");
        return MarkdownLink().Matches(text).Select(m => m.Groups[1].Value)
            .Concat(Autolink().Matches(text).Select(m => m.Groups[1].Value))
            .Concat(HtmlLink().Matches(text).Select(m => m.Groups[1].Value));
    }

    [GeneratedRegex(@"^```.*?^```", RegexOptions.Multiline | RegexOptions.Singleline)]
    private static partial Regex FencedCode();

    [GeneratedRegex(@"\]\(\s*<?([^)\s>]+)")]
    private static partial Regex MarkdownLink();

    [GeneratedRegex(@"<([a-zA-Z][a-zA-Z0-9+.-]*:[^>\s]+)>")]
    private static partial Regex Autolink();

    [GeneratedRegex(@"(?:href|src)\s*=\s*[""']([^""']+)[""']")]
    private static partial Regex HtmlLink();

    /// <summary>A deterministic source path: <c>/_/</c> (the git root; <c>/_1/</c>… when other roots such as the package folder come first).</summary>
    [GeneratedRegex(@"^/_\d*/")]
    private static partial Regex MappedPath();
}
