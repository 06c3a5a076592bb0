using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Supabase;
using Vince.FeatureStore.Supabase.Tests.Support;
using Vince.FeatureStore.Training.Tests.Support;

namespace Vince.FeatureStore.Training.Tests.Registry;

/// <summary>
/// One training corpus across deploys and bot instances, end to end: two bot instances ship their records to Supabase (the
/// PostgREST stand-in over a real PostgreSQL cluster, Storage file-backed); a fresh deploy with an empty data directory counts
/// and trains on the shared corpus with the .NET trainer, publishes a run, and a second instance installs it; a redeploy
/// inside 24 hours counts the corpus again and does not retrain.
/// </summary>
public sealed class SharedCorpusTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>, IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _dir.Dispose();

    private string Path_(string name) => Path.Combine(_dir.Path, name);

    private IHost Host(SupabaseHarness h, string features, string models, Action<FeatureStoreBuilder> add)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        FeatureStoreBuilder store = builder.Services
            .AddVinceFeatureStore(o =>
            {
                o.DataDirectory = features;
                o.FsyncOnWrite = false;
            })
            .AddSupabase(h.Server.Url, SupabaseHarness.ServiceKey, o => o.InitialRetryDelay = TimeSpan.FromMilliseconds(5));
        add(store.AddOnnxScoring(o =>
        {
            o.ModelsDirectory = models;
            o.ModelPollInterval = TimeSpan.FromSeconds(1);
        }));
        return builder.Build();
    }

    private static JsonElement Metadata(string directory, out JsonDocument document)
    {
        document = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "training_metadata.json")));
        return document.RootElement;
    }

    [PostgresFact]
    public async Task A_fresh_deploy_trains_on_the_shared_corpus_publishes_a_run_a_second_instance_installs_and_a_redeploy_does_not_retrain()
    {
        await using SupabaseHarness h = await SupabaseHarness.StartAsync(fixture);
        h.Server.CreateBucket();

        // Two bot instances, each with its own log (250 complete trades, 49 avoided decisions, one still open), ship to the shared table.
        foreach ((string name, int seed) in new[] { ("bot-a", 11), ("bot-b", 12) })
        {
            string log = Path_(name);
            await TradeDataSet.WriteAsync(log, trades: 250, seed: seed, avoidedEvery: 6);
            List<FeatureRecord> records = await new FeatureLogReader(log).ReadRecordsAsync().ToListAsync();
            records.Add(TestRecords.Decision($"{name}-open", records[^1].Timestamp + 60_000));
            SupabaseFeatureSink sink = h.Sink();
            foreach (FeatureRecord[] batch in records.Chunk(100))
            {
                await sink.WriteAsync(batch, CancellationToken.None);
            }
        }

        Dictionary<string, (DateTime CreatedAt, string Payload)> rows = await h.RowsAsync();
        Assert.Equal(600, rows.Count);

        // The second instance starts first, with nothing installed, and polls latest.json every second.
        string otherModels = Path_("other-models");
        using IHost other = Host(h, Path_("other-features"), otherModels, _ => { });
        await other.StartAsync();
        OnnxSignalQualityScorer otherScorer = other.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Null(otherScorer.Model);

        // A fresh deploy: empty data directory, empty models directory. MinSamples 500: the local log (0) could never start it.
        string features = Path_("fresh-features");
        string models = Path_("fresh-models");
        using (IHost trainer = Host(h, features, models, s => s.AddTrainingWhenReady(t =>
        {
            t.MinSamples = 500;
            t.UseDotnetTrainer(o => o.NumberOfTrees = 20);
        })))
        {
            await trainer.StartAsync();
            await TestStores.EventuallyAsync(() => _logs.GetSnapshot().Any(r => r.Id.Id is 3035 or 3033 or 3061), "the training and its publication", 180_000);
            Assert.DoesNotContain(_logs.GetSnapshot(), r => r.Id.Id == 3033);
            Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3040 && r.Message.Contains("(counted from the Supabase table public.vince_paper_bot_features)", StringComparison.Ordinal));
            FakeLogRecord snapshotLog = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 3070);
            Assert.StartsWith("Training snapshot: 600 records from the Supabase table", snapshotLog.Message, StringComparison.Ordinal);

            // Trained on the 500 complete trades of both instances, and the metadata says which snapshot.
            JsonElement metadata = Metadata(models, out JsonDocument document);
            using (document)
            {
                Assert.Equal(500, metadata.GetProperty("trades_with_outcomes").GetInt32());
                JsonElement dataSource = metadata.GetProperty("data_source");
                Assert.Equal("supabase", dataSource.GetProperty("kind").GetString());
                Assert.Equal(600, dataSource.GetProperty("records").GetInt32());
                Assert.Matches("^[0-9a-f]{64}$", dataSource.GetProperty("sha256").GetString());
                Assert.True(DateTimeOffset.TryParse(dataSource.GetProperty("as_of").GetString(), out _));
            }

            // The snapshot and staging directories go when the run ends (just after the publication).
            await TestStores.EventuallyAsync(() => !Directory.EnumerateFileSystemEntries(_dir.Path, ".fresh-models.*").Any(), "the run's snapshot directory is deleted", 30_000);
            Assert.False(Directory.Exists(features) && Directory.EnumerateFiles(features, "*.jsonl").Any(f => new FileInfo(f).Length > 0));

            // latest.json moved to the published run, whose metadata is the installed one.
            string bucket = Path.Combine(h.Server.StorageRoot, SupabaseModelStore.DefaultBucket);
            using JsonDocument latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(bucket, "latest.json")));
            string run = latest.RootElement.GetProperty("run").GetString()!;
            Assert.Equal(File.ReadAllBytes(Path.Combine(models, "training_metadata.json")), File.ReadAllBytes(Path.Combine(bucket, "runs", run, "training_metadata.json")));

            // The second instance installs the run within its poll interval (plus download and load).
            await TestStores.EventuallyAsync(() => otherScorer.Model is not null, "the polling instance installs the run", 30_000);
            Assert.Equal(File.ReadAllBytes(Path.Combine(models, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(otherModels, "signal_quality.onnx")));
            await trainer.StopAsync();
        }

        // A redeploy inside 24 hours (fresh directories again): the corpus is counted, the registry's run time keeps it from retraining.
        int trainingsBefore = _logs.GetSnapshot().Count(r => r.Id.Id == 3070);
        using (IHost redeployed = Host(h, Path_("redeploy-features"), Path_("redeploy-models"), s => s.AddTrainingWhenReady(t =>
        {
            t.MinSamples = 500;
            t.UseDotnetTrainer(o => o.NumberOfTrees = 20);
        })))
        {
            await redeployed.StartAsync();
            await TestStores.EventuallyAsync(() => _logs.GetSnapshot().Any(r => r.Id.Id == 3042), "the redeployed instance's first check", 60_000);
            Assert.StartsWith("Not training: 500 complete trades, but the last training was at", _logs.GetSnapshot().First(r => r.Id.Id == 3042).Message, StringComparison.Ordinal);
            Assert.Equal(trainingsBefore, _logs.GetSnapshot().Count(r => r.Id.Id == 3070));
            await redeployed.StopAsync();
        }

        await other.StopAsync();
    }
}
