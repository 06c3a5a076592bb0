using System.Text.Json;
using Vince.FeatureStore.Onnx.Tests.Support;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.Onnx.Training;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// Training from Supabase through the run's snapshot: the log holds three versions of every traded record (decision,
/// execution, outcome), the table one row per id; the Python path (a fake script written by the test) is handed one line
/// per record either way, the latest version, in decision-time order, and the two snapshots are the same bytes.
/// </summary>
public sealed class SupabaseTrainingSourceTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [PostgresFact]
    public async Task The_python_trainer_gets_one_line_per_record_from_supabase_and_from_the_log_alike()
    {
        await using SupabaseHarness h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        string features = Path.Combine(dir.Path, "features");
        SupabaseFeatureSink sink = h.Sink();
        await using (FeatureStore store = await TestStores.StartedAsync(features, [sink]))
        {
            for (int i = 0; i < 30; i++)
            {
                string asset = i % 3 == 0 ? "ETH" : "BTC";
                string id = store.Record(Decision($"r-{i:D2}", BaseTime + (i * 1000), asset));
                if (i % 4 == 3)
                {
                    continue; // still open: decision only
                }

                store.RecordExecution(id, Execution());
                store.RecordOutcome(id, Win(pnl: i));
            }

            await store.FlushAsync();
            await TestStores.EventuallyAsync(async () => (await h.RowsAsync()).Count == 30 && (await sink.CreateReader().CountCompleteAsync()) == 23, "the table holds every record's latest version");
        }

        // The log really holds several versions per traded record: the script would have seen those before.
        string[] logLines = [.. Directory.EnumerateFiles(features, "features_*.jsonl").SelectMany(File.ReadAllLines).Where(l => l.Length > 0)];
        Assert.True(logLines.Length >= 30 + (2 * 23), $"{logLines.Length} log lines");

        string trained = Path.Combine(dir.Path, "trained");
        TrainedSets.WriteTrees(trained);
        var script = new FakeTrainerScript(Path.Combine(dir.Path, "scripts"), FakeTrainerScript.CopySet(trained));
        var sources = new[]
        {
            new FeatureSource(FeatureSourceKind.Supabase, sink.CreateReader(), "the Supabase table"),
            FeatureSource.Jsonl(features),
        };
        var snapshots = new List<FeatureSnapshotManifest>();
        foreach (FeatureSource source in sources)
        {
            using var runner = new ModelTrainingRunner(
                new ExternalProcessTrainer(script.Options()), features, Path.Combine(dir.Path, "models-" + source.KindName), minSamples: 3,
                qualityGate: new ModelQualityGateOptions { Enabled = false }, source: source);
            ModelTrainingRunResult result = await runner.RunOnceAsync();
            result.ThrowIfFailed();
            snapshots.Add(result.Snapshot!);
            using JsonDocument metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(runner.ModelsDirectory, "training_metadata.json")));
            Assert.Equal(source.KindName, metadata.RootElement.GetProperty("data_source").GetProperty("kind").GetString());
            Assert.Equal(result.Snapshot!.Sha256, metadata.RootElement.GetProperty("data_source").GetProperty("sha256").GetString());
        }

        for (int call = 1; call <= 2; call++)
        {
            IReadOnlyList<string> lines = script.DataLines(call);
            List<FeatureRecord> records = [.. lines.Select(FeatureJson.Deserialize)];
            Assert.Equal(Enumerable.Range(0, 30).Select(i => $"r-{i:D2}"), records.Select(r => r.Id));
            Assert.Equal(23, records.Count(r => r.IsComplete));
            Assert.All(records.Where(r => r.Outcome is not null), r => Assert.NotNull(r.Execution));
            using JsonDocument manifest = JsonDocument.Parse(script.SnapshotManifest(call)!);
            Assert.Equal(30, manifest.RootElement.GetProperty("records").GetInt32());
            Assert.Equal(snapshots[call - 1].Sha256, manifest.RootElement.GetProperty("sha256").GetString());
        }

        // Both stores hold the same records: the trainer is handed the same bytes.
        Assert.Equal(script.DataLines(2), script.DataLines(1));
        Assert.Equal(snapshots[1].Sha256, snapshots[0].Sha256);
    }
}
