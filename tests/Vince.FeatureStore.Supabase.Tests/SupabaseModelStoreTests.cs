using System.Net;
using System.Security.Cryptography;
using System.Text.Json;
using Vince.FeatureStore.Supabase.Tests.Support;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// The model registry through the stand-in's Storage emulation: a publication is a run folder plus latest.json, a download
/// installs the latest run only when the local set differs (or a named run), a bucket in the original flat layout still
/// downloads, and an atomic install that a failure at any point (including the server dying mid-download) never turns
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
    public async Task Publish_writes_a_run_folder_then_latest_json_last_and_download_installs_it_once()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        string trainedDirectory = Path.Combine(dir.Path, "trained");
        Dictionary<string, byte[]> trained = WriteTrainedSet(trainedDirectory);
        await File.WriteAllTextAsync(Path.Combine(trainedDirectory, "last_train_at.txt"), "1769100000123");
        await File.WriteAllTextAsync(Path.Combine(trainedDirectory, "notes.txt"), "not part of the set");
        SupabaseModelStore store = h.Sink().CreateModelStore();

        ModelRun run = await store.PublishAsync(trainedDirectory);

        string sha12 = Convert.ToHexString(SHA256.HashData(trained[SupabaseModelStore.MetadataFileName])).ToLowerInvariant()[..12];
        Assert.Equal("20260122T164000123Z-" + sha12, run.Id);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1769100000123), run.TrainedAt);
        string bucket = Path.Combine(h.Server.StorageRoot, "vince-ml-models");
        string folder = Path.Combine(bucket, "runs", run.Id);
        Assert.Equal(trained.Keys.Append("last_train_at.txt").Append("run.json").Order(StringComparer.Ordinal),
            Directory.EnumerateFiles(folder).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        using (JsonDocument latest = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(bucket, "latest.json"))))
        {
            Assert.Equal(run.Id, latest.RootElement.GetProperty("run").GetString());
            Assert.Equal($"runs/{run.Id}/", latest.RootElement.GetProperty("path").GetString());
            Assert.Equal(6, latest.RootElement.GetProperty("files").EnumerateObject().Count());
        }

        // Files, then the run's manifest, then latest.json; then the flat copies for the original bot, metadata last.
        List<string> uploads = h.Server.Requests.Where(r => r.Method == "POST" && !r.PathAndQuery.Contains("/list/", StringComparison.Ordinal)).Select(r => r.PathAndQuery).ToList();
        int pointer = uploads.FindIndex(u => u.EndsWith("/vince-ml-models/latest.json", StringComparison.Ordinal));
        Assert.Equal(7, pointer);
        Assert.EndsWith($"/runs/{run.Id}/run.json", uploads[pointer - 1], StringComparison.Ordinal);
        Assert.EndsWith("/vince-ml-models/training_metadata.json", uploads[^1], StringComparison.Ordinal);
        Assert.Equal(trained["tp_optimizer.onnx"], await File.ReadAllBytesAsync(Path.Combine(bucket, "tp_optimizer.onnx")));

        string models = Path.Combine(dir.Path, "models");
        Directory.CreateDirectory(models);
        await File.WriteAllTextAsync(Path.Combine(models, "host.txt"), "the host's own file");
        ModelDownloadResult result = await store.DownloadAsync(models);

        Assert.Equal(ModelDownloadOutcome.Installed, result.Outcome);
        Assert.Equal(run.Id, result.Run!.Id);
        Assert.Equal(6, result.Files.Count);
        foreach ((string name, byte[] bytes) in trained)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(models, name)));
        }

        Assert.Equal("1769100000123", await File.ReadAllTextAsync(Path.Combine(models, "last_train_at.txt")));
        Assert.Equal("the host's own file", await File.ReadAllTextAsync(Path.Combine(models, "host.txt")));
        AssertNoLeftovers(dir.Path);

        // The same run again: only latest.json is read.
        int requests = h.Server.Requests.Count;
        Assert.Equal(ModelDownloadOutcome.UpToDate, (await store.DownloadAsync(models)).Outcome);
        Assert.Equal(requests + 1, h.Server.Requests.Count);
    }

    [PostgresFact]
    public async Task Runs_are_listed_newest_first_a_rejected_one_keeps_its_reason_and_an_older_run_installs_by_version()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        SupabaseModelStore store = h.Sink().CreateModelStore();
        string first = Path.Combine(dir.Path, "first");
        string second = Path.Combine(dir.Path, "second");
        string third = Path.Combine(dir.Path, "third");
        Dictionary<string, byte[]> firstSet = WriteTrainedSet(first, seed: 1);
        WriteTrainedSet(second, seed: 2);
        WriteTrainedSet(third, seed: 3);
        await File.WriteAllTextAsync(Path.Combine(first, "last_train_at.txt"), "1769100000000");
        await File.WriteAllTextAsync(Path.Combine(second, "last_train_at.txt"), "1769186400000");
        await File.WriteAllTextAsync(Path.Combine(third, "last_train_at.txt"), "1769272800000");

        ModelRun old = await store.PublishAsync(first);
        ModelRun current = await store.PublishAsync(second);
        ModelRun refused = await store.RejectAsync(third, new ModelGateResult(false, "rejected: AUC 0.51 below 0.70") { ChallengerAuc = 0.51, ChampionAuc = 0.70, Tolerance = 0.01, HoldoutRows = 80 });

        IReadOnlyList<ModelRun> runs = await store.ListRunsAsync();
        Assert.Equal([refused.Id, current.Id, old.Id], runs.Select(r => r.Id));
        Assert.Equal([ModelRunStatus.Rejected, ModelRunStatus.Latest, ModelRunStatus.Published], runs.Select(r => r.Status));
        Assert.Equal("rejected: AUC 0.51 below 0.70", runs[0].RejectionReason);
        Assert.Equal(current.Id, (await store.GetLatestAsync())!.Id);
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1769272800000), await store.GetLastTrainingTimeAsync());
        using (JsonDocument rejection = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(h.Server.StorageRoot, "vince-ml-models", "runs", refused.Id, "rejected.json"))))
        {
            Assert.Equal(0.51, rejection.RootElement.GetProperty("challenger_auc").GetDouble());
            Assert.Equal(80, rejection.RootElement.GetProperty("holdout_rows").GetInt32());
        }

        // Rollback of one directory: the older run by its id, whatever the directory holds.
        string models = Path.Combine(dir.Path, "models");
        await store.DownloadAsync(models);
        ModelDownloadResult rolledBack = await store.DownloadAsync(models, new ModelDownloadRequest { Version = old.Id, OnlyWhenDifferent = false });
        Assert.Equal(ModelDownloadOutcome.Installed, rolledBack.Outcome);
        Assert.Equal(firstSet["signal_quality.onnx"], await File.ReadAllBytesAsync(Path.Combine(models, "signal_quality.onnx")));
        Assert.Equal(firstSet[SupabaseModelStore.MetadataFileName], await File.ReadAllBytesAsync(Path.Combine(models, SupabaseModelStore.MetadataFileName)));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadAsync(models, new ModelDownloadRequest { Version = "20250101T000000000Z-000000000000" }));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DownloadAsync(models, new ModelDownloadRequest { Version = "../latest" }));
    }

    [PostgresFact]
    public async Task A_bucket_in_the_original_flat_layout_still_downloads()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        // What the original bot uploaded: the models and the metadata at the bucket root, nothing else.
        Dictionary<string, byte[]> flat = WriteTrainedSet(Path.Combine(h.Server.StorageRoot, "vince-ml-models"));
        SupabaseModelStore store = h.Sink().CreateModelStore();
        string models = Path.Combine(dir.Path, "models");

        Assert.Equal(new ModelRun("flat", null, ModelRunStatus.Flat), await store.GetLatestAsync());
        Assert.Equal([new ModelRun("flat", null, ModelRunStatus.Flat)], await store.ListRunsAsync());
        Assert.Null(await store.GetLastTrainingTimeAsync());
        ModelDownloadResult result = await store.DownloadAsync(models);

        Assert.Equal(ModelDownloadOutcome.Installed, result.Outcome);
        Assert.Equal("flat", result.Run!.Id);
        foreach ((string name, byte[] bytes) in flat)
        {
            Assert.Equal(bytes, await File.ReadAllBytesAsync(Path.Combine(models, name)));
        }

        Assert.Equal(ModelDownloadOutcome.UpToDate, (await store.DownloadAsync(models)).Outcome);
    }

    [PostgresFact]
    public async Task An_empty_bucket_or_a_metadata_without_models_installs_nothing()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        SupabaseModelStore store = h.Sink().CreateModelStore();
        string models = Path.Combine(dir.Path, "models");
        Assert.Equal(ModelDownloadOutcome.NotAvailable, (await store.DownloadAsync(models)).Outcome);

        await File.WriteAllTextAsync(Path.Combine(h.Server.StorageRoot, "vince-ml-models", SupabaseModelStore.MetadataFileName),
            """{"trained_at":"2026-01-22T12:00:00","models_trained":[],"onnx_hashes":{}}""");
        Assert.Equal(ModelDownloadOutcome.NotAvailable, (await store.DownloadAsync(models)).Outcome);
        Assert.False(Directory.Exists(models) && Directory.EnumerateFileSystemEntries(models).Any());
    }

    [PostgresFact]
    public async Task A_missing_bucket_is_a_permanent_error_saying_to_create_it()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        using var dir = new TempDirectory();
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink().CreateModelStore().DownloadAsync(Path.Combine(dir.Path, "models")));
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
        await h.Sink().CreateModelStore().PublishAsync(Path.Combine(dir.Path, "trained"));
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
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => store.DownloadAsync(models));
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
        await h.Sink().CreateModelStore().PublishAsync(Path.Combine(dir.Path, "trained"));
        string models = Path.Combine(dir.Path, "models");

        // Metadata fine, then every attempt at the first model is cut in half.
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Truncate());
        h.Server.Faults.Enqueue(Fault.Truncate());
        await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink(o => o.MaxAttempts = 2).CreateModelStore().DownloadAsync(models));
        Assert.False(Directory.Exists(models));
        AssertNoLeftovers(dir.Path);

        // One cut, then the retry succeeds.
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Truncate());
        Assert.Equal(ModelDownloadOutcome.Installed, (await h.Sink().CreateModelStore().DownloadAsync(models)).Outcome);
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
        await store.PublishAsync(Path.Combine(dir.Path, "trained"));
        string bucket = Path.Combine(h.Server.StorageRoot, "vince-ml-models");
        string models = Path.Combine(dir.Path, "models");

        string run = Path.Combine(bucket, "runs", Directory.EnumerateDirectories(Path.Combine(bucket, "runs")).Select(Path.GetFileName).Single()!);
        await File.WriteAllBytesAsync(Path.Combine(run, "tp_optimizer.onnx"), [1, 2, 3]);
        var hash = await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadAsync(models));
        Assert.Contains("tp_optimizer.onnx does not match its SHA-256", hash.Message);
        Assert.False(Directory.Exists(models));

        // The flat layout (no latest.json): a metadata file that does not parse.
        File.Delete(Path.Combine(bucket, "latest.json"));
        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), "{ torn");
        var parse = await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadAsync(models));
        Assert.Contains("training_metadata.json does not parse", parse.Message);
        Assert.False(Directory.Exists(models));

        await File.WriteAllTextAsync(Path.Combine(bucket, SupabaseModelStore.MetadataFileName), """{"models_trained":["../evil"]}""");
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.DownloadAsync(models));
        AssertNoLeftovers(dir.Path);
    }

    [PostgresFact]
    public async Task Publish_refuses_a_set_whose_metadata_lists_a_missing_model()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        WriteTrainedSet(dir.Path);
        File.Delete(Path.Combine(dir.Path, "sl_optimizer.onnx"));
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => h.Sink().CreateModelStore().PublishAsync(dir.Path));
        Assert.Contains("lists sl_optimizer.onnx", error.Message);
        Assert.Empty(h.Server.Requests);
    }
}
