using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Vince.FeatureStore.Supabase.Tests.Support;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// The model bucket through the stand-in's Storage emulation: upload with upsert, download only when no .onnx is
/// present, and an atomic install that a failure at any point (including the server dying mid-download) never turns
/// into a mixed model/metadata set. The model files are opaque bytes here: the store does not parse ONNX.
/// </summary>
public sealed class SupabaseModelStoreTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static readonly string[] Models = ["signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer"];

    /// <summary>Writes a trained set (four models of 64 KiB and their metadata with hashes) into <paramref name="directory"/>.</summary>
    private static Dictionary<string, byte[]> WriteTrainedSet(string directory, int seed = 1)
    {
        Directory.CreateDirectory(directory);
        var random = new Random(seed);
        var files = new Dictionary<string, byte[]>();
        foreach (string model in Models)
        {
            byte[] bytes = new byte[64 * 1024];
            random.NextBytes(bytes);
            files[model + ".onnx"] = bytes;
            File.WriteAllBytes(Path.Combine(directory, model + ".onnx"), bytes);
        }

        string metadata = JsonSerializer.Serialize(new Dictionary<string, object>
        {
            ["trained_at"] = "2026-01-22T12:00:00",
            ["total_records"] = 400,
            ["models_trained"] = Models,
            ["onnx_hashes"] = Models.ToDictionary(m => m, m => Convert.ToHexString(SHA256.HashData(files[m + ".onnx"])).ToLowerInvariant()),
        });
        files[SupabaseModelStore.MetadataFileName] = System.Text.Encoding.UTF8.GetBytes(metadata);
        File.WriteAllText(Path.Combine(directory, SupabaseModelStore.MetadataFileName), metadata);
        return files;
    }

    private static void AssertNoLeftovers(string parent)
        => Assert.Empty(Directory.EnumerateDirectories(parent, ".*"));

    [PostgresFact]
    public async Task Upload_then_download_installs_the_same_set_and_keeps_other_local_files()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        Dictionary<string, byte[]> trained = WriteTrainedSet(Path.Combine(dir.Path, "trained"));
        SupabaseModelStore store = h.Sink().CreateModelStore();

        IReadOnlyList<string> uploaded = await store.UploadAsync(Path.Combine(dir.Path, "trained"));
        Assert.Equal(SupabaseModelStore.MetadataFileName, uploaded[^1]);
        Assert.Equal(5, uploaded.Count);
        await store.UploadAsync(Path.Combine(dir.Path, "trained")); // x-upsert: replacing is fine

        string models = Path.Combine(dir.Path, "models");
        Directory.CreateDirectory(models);
        await File.WriteAllTextAsync(Path.Combine(models, "last_train_at.txt"), "1769100000000");
        ModelDownloadResult result = await store.DownloadIfMissingAsync(models);

        Assert.Equal(ModelDownloadOutcome.Installed, result.Outcome);
        Assert.Equal(5, result.Files.Count);
        foreach ((string name, byte[] bytes) in trained)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(models, name)));
        }

        Assert.Equal("1769100000000", await File.ReadAllTextAsync(Path.Combine(models, "last_train_at.txt")));
        AssertNoLeftovers(dir.Path);

        int requests = h.Server.Requests.Count;
        Assert.Equal(ModelDownloadOutcome.AlreadyPresent, (await store.DownloadIfMissingAsync(models)).Outcome);
        Assert.Equal(requests, h.Server.Requests.Count);
    }

    [PostgresFact]
    public async Task An_empty_bucket_or_a_metadata_without_models_installs_nothing()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        SupabaseModelStore store = h.Sink().CreateModelStore();
        string models = Path.Combine(dir.Path, "models");
        Assert.Equal(ModelDownloadOutcome.NotAvailable, (await store.DownloadIfMissingAsync(models)).Outcome);

        await File.WriteAllTextAsync(Path.Combine(h.Server.StorageRoot, "vince-ml-models", SupabaseModelStore.MetadataFileName),
            """{"trained_at":"2026-01-22T12:00:00","models_trained":[],"onnx_hashes":{}}""");
        Assert.Equal(ModelDownloadOutcome.NotAvailable, (await store.DownloadIfMissingAsync(models)).Outcome);
        Assert.False(Directory.Exists(models) && Directory.EnumerateFileSystemEntries(models).Any());
    }

    [PostgresFact]
    public async Task A_missing_bucket_is_a_permanent_error_saying_to_create_it()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink().CreateModelStore().DownloadIfMissingAsync(Path.Combine(dir.Path, "models")));
        Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
        Assert.Contains("Check that the private bucket vince-ml-models exists", error.Message);
    }

    [PostgresFact]
    public async Task The_server_dying_mid_download_leaves_the_models_directory_as_it_was()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        WriteTrainedSet(Path.Combine(dir.Path, "trained"));
        await h.Sink().CreateModelStore().UploadAsync(Path.Combine(dir.Path, "trained"));
        string models = Path.Combine(dir.Path, "models");
        Directory.CreateDirectory(models);
        await File.WriteAllTextAsync(Path.Combine(models, "last_train_at.txt"), "1");

        // The metadata and one model arrive; then the server goes away for good.
        SupabaseModelStore store = h.Sink(o => o.MaxAttempts = 2).CreateModelStore();
        int downloaded = 0;
        store.AfterFileDownloaded = _ =>
        {
            if (++downloaded == 2)
            {
                h.Server.DisposeAsync().AsTask().GetAwaiter().GetResult();
            }
        };
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => store.DownloadIfMissingAsync(models));
        Assert.True(error.IsTransient);

        Assert.Equal(["last_train_at.txt"], Directory.EnumerateFiles(models).Select(Path.GetFileName));
        AssertNoLeftovers(dir.Path);
    }

    [PostgresFact]
    public async Task A_truncated_file_is_retried_and_when_it_persists_nothing_is_installed()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        Dictionary<string, byte[]> trained = WriteTrainedSet(Path.Combine(dir.Path, "trained"));
        await h.Sink().CreateModelStore().UploadAsync(Path.Combine(dir.Path, "trained"));
        string models = Path.Combine(dir.Path, "models");

        // Metadata fine, then every attempt at the first model is cut in half.
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Truncate());
        h.Server.Faults.Enqueue(Fault.Truncate());
        await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink(o => o.MaxAttempts = 2).CreateModelStore().DownloadIfMissingAsync(models));
        Assert.False(Directory.Exists(models));
        AssertNoLeftovers(dir.Path);

        // One cut, then the retry succeeds.
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Truncate());
        Assert.Equal(ModelDownloadOutcome.Installed, (await h.Sink().CreateModelStore().DownloadIfMissingAsync(models)).Outcome);
        Assert.Equal(trained["position_sizing.onnx"], await File.ReadAllBytesAsync(Path.Combine(models, "position_sizing.onnx")));
        Assert.Contains(h.Server.Requests, r => r.Status == 0);
    }

    [PostgresFact]
    public async Task A_file_that_fails_its_hash_or_a_metadata_that_does_not_parse_installs_nothing()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        WriteTrainedSet(Path.Combine(dir.Path, "trained"));
        SupabaseModelStore store = h.Sink().CreateModelStore();
        await store.UploadAsync(Path.Combine(dir.Path, "trained"));
        string bucket = Path.Combine(h.Server.StorageRoot, "vince-ml-models");
        string models = Path.Combine(dir.Path, "models");

        await File.WriteAllBytesAsync(Path.Combine(bucket, "tp_optimizer.onnx"), [1, 2, 3]);
        var hash = await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadIfMissingAsync(models));
        Assert.Contains("tp_optimizer.onnx does not match its SHA-256", hash.Message);
        Assert.False(Directory.Exists(models));

        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), "{ torn");
        var parse = await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadIfMissingAsync(models));
        Assert.Contains("training_metadata.json does not parse", parse.Message);
        Assert.False(Directory.Exists(models));

        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), """{"models_trained":["../evil"]}""");
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadIfMissingAsync(models));
        AssertNoLeftovers(dir.Path);
    }

    [PostgresFact]
    public async Task Upload_refuses_a_set_whose_metadata_lists_a_missing_model()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        WriteTrainedSet(dir.Path);
        File.Delete(Path.Combine(dir.Path, "sl_optimizer.onnx"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Sink().CreateModelStore().UploadAsync(dir.Path));
        Assert.Contains("lists sl_optimizer.onnx", error.Message);
        Assert.Empty(h.Server.Requests);
    }
}
