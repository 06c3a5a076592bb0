using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Security;

/// <summary>
/// Every file name built from a name the library does not choose itself cannot leave its directory: sink names (cursor
/// files), model names listed by a downloaded training_metadata.json, and the scorer's file name options. No file name
/// is built from a record's asset anywhere (files are named by time).
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PathEscapeTests(PostgresFixture fixture)
{
    public static TheoryData<string> HostileNames =>
    [
        "../evil", "..", ".", "../../etc/evil", "/tmp/vince-evil", "sub/evil", "..\\evil", "C:\\evil", "evil\0.json", ".hidden", "", "a b",
    ];

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_sink_name_that_could_leave_the_cursor_directory_is_refused(string name)
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "data");

        ArgumentException error = Assert.Throws<ArgumentException>(() => new FeatureStore(TestStores.Options(data), [new RecordingSink(name)]));

        Assert.Contains("is not valid", error.Message, StringComparison.Ordinal);
        Assert.Empty(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
        Assert.NotEmpty(new PostgresSinkOptions { Name = name }.Validate());
        Assert.NotEmpty(new SupabaseOptions { Name = name }.Validate());
    }

    [Theory]
    [MemberData(nameof(HostileNames))]
    public void A_scorer_file_name_option_that_is_a_path_is_refused(string name)
    {
        if (name.EndsWith(".hidden", StringComparison.Ordinal) || name == "a b")
        {
            return; // plain (if odd) file names inside the models directory
        }

        Assert.Contains(new OnnxScoringOptions { ModelFileName = name }.Validate(), e => e.Contains("ModelFileName", StringComparison.Ordinal));
        Assert.Contains(new OnnxScoringOptions { MetadataFileName = name }.Validate(), e => e.Contains("MetadataFileName", StringComparison.Ordinal));
    }

    [PostgresTheory]
    [InlineData("../evil")]
    [InlineData("../../evil")]
    [InlineData("/tmp/vince-evil")]
    [InlineData("sub/../../evil")]
    [InlineData("..\\evil")]
    [InlineData("evil\u0000")]
    [InlineData("..")]
    [InlineData(".onnx")]
    public async Task A_downloaded_metadata_naming_a_model_outside_the_models_directory_installs_nothing(string model)
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture, createTable: false);
        PostgrestStandIn server = supabase.Server;
        server.CreateBucket();
        string bucket = Path.Combine(server.StorageRoot, SupabaseModelStore.DefaultBucket);
        await File.WriteAllBytesAsync(Path.Combine(bucket, "signal_quality.onnx"), [1, 2, 3]);
        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), new JsonObject
        {
            ["models_trained"] = new JsonArray("signal_quality", model),
            ["onnx_hashes"] = new JsonObject { [model] = "00" },
        }.ToJsonString());

        using var dir = new TempDirectory();
        string models = Path.Combine(dir.Path, "bot", "models");
        using var http = new HttpClient();
        var store = new SupabaseModelStore(new SupabaseOptions { Url = server.Url, ApiKey = SupabaseHarness.ServiceKey }, http);

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadAsync(models));

        Assert.Contains("not a plain file name", error.Message, StringComparison.Ordinal);
        Assert.False(Directory.Exists(models));
        Assert.Empty(Directory.GetFiles(dir.Path, "*", SearchOption.AllDirectories));
        Assert.False(File.Exists("/tmp/vince-evil.onnx"));
    }

    [Fact]
    public void No_source_builds_a_file_name_from_a_record_asset()
    {
        string src = Path.Combine(RepositoryPaths.Root(), "src");
        var offenders = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .SelectMany(f => File.ReadLines(f).Select((line, i) => (File: f, Line: i + 1, Text: line)))
            .Where(l => (l.Text.Contains("Path.Combine", StringComparison.Ordinal) || l.Text.Contains("Path.Join", StringComparison.Ordinal)) && l.Text.Contains("Asset", StringComparison.Ordinal))
            .Select(l => $"{Path.GetRelativePath(src, l.File)}:{l.Line}: {l.Text.Trim()}")
            .ToList();
        Assert.True(offenders.Count == 0, "File names built from asset names: check they cannot escape the directory, then test them here:\n" + string.Join("\n", offenders));
    }
}
