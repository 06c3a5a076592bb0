using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Security;

/// <summary>
/// The data directory, the models directory and the model download's staging directory are created owner-only (0700 on
/// Linux), every missing parent included; log files are 0600. A directory that exists keeps its permissions.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
[Collection(SharedPostgres.Name)]
public sealed class PrivateDirectoryTests(PostgresFixture fixture)
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;

    [Fact]
    public async Task The_store_creates_its_data_directory_parents_and_cursor_directory_owner_only_and_its_files_owner_read_write()
    {
        using var dir = new TempDirectory();
        string data = Path.Combine(dir.Path, "bot", "vince", "features");
        await using (var store = new FeatureStore(TestStores.Options(data), [new RecordingSink("s")]))
        {
            await store.StartAsync();
            store.Record(TestRecords.Decision("x"));
            await store.WaitForSinksAsync();
        }

        foreach (string created in new[] { Path.Combine(dir.Path, "bot"), Path.Combine(dir.Path, "bot", "vince"), data, Path.Combine(data, ".cursors") })
        {
            Assert.Equal(OwnerOnly, File.GetUnixFileMode(created));
        }

        Assert.All(Directory.GetFiles(data, "features_*.jsonl"), f => Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(f)));
    }

    [Fact]
    public void The_scorer_creates_the_models_directory_owner_only()
    {
        using var dir = new TempDirectory();
        string models = Path.Combine(dir.Path, "state", "models");
        using (new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = models, WatchForChanges = true }))
        {
        }

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(dir.Path, "state")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(models));
    }

    [PostgresFact]
    public async Task A_model_download_installs_an_owner_only_models_directory()
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture, createTable: false);
        PostgrestStandIn server = supabase.Server;
        server.CreateBucket();
        string bucket = Path.Combine(server.StorageRoot, SupabaseModelStore.DefaultBucket);
        await File.WriteAllBytesAsync(Path.Combine(bucket, "signal_quality.onnx"), [1, 2, 3, 4]);
        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), new JsonObject { ["models_trained"] = new JsonArray("signal_quality") }.ToJsonString());

        using var dir = new TempDirectory();
        string models = Path.Combine(dir.Path, "elizadb", "models");
        using var http = new HttpClient();
        var store = new SupabaseModelStore(new SupabaseOptions { Url = server.Url, ApiKey = SupabaseHarness.ServiceKey }, http);
        Assert.Equal(ModelSets.ModelDownloadOutcome.Installed, (await store.DownloadAsync(models)).Outcome);

        Assert.Equal(OwnerOnly, File.GetUnixFileMode(models));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(dir.Path, "elizadb")));
        Assert.True(File.Exists(Path.Combine(models, "signal_quality.onnx")));
    }

    [Fact]
    public void An_existing_directory_keeps_its_permissions_and_a_NUL_in_the_path_is_refused()
    {
        using var dir = new TempDirectory();
        string shared = Path.Combine(dir.Path, "shared");
        Directory.CreateDirectory(shared, OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute);

        Assert.Equal(shared, PrivateDirectory.Create(shared).FullName);
        Assert.Equal(OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.GroupExecute, File.GetUnixFileMode(shared));
        Assert.Throws<ArgumentException>(() => PrivateDirectory.Create(Path.Combine(dir.Path, "a\0b")));
        Assert.Single(Directory.GetFileSystemEntries(dir.Path));
    }
}
