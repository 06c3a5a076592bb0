using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>Uploading an existing JSONL log: dry run, idempotence, changed records, resuming after a failure.</summary>
public sealed class JsonlToSupabaseSyncTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    /// <summary>Writes <paramref name="records"/> to a JSONL log in <paramref name="directory"/> with the real feature store.</summary>
    private static async Task WriteLogAsync(string directory, IEnumerable<FeatureRecord> records)
    {
        await using var store = new FeatureStore(TestStores.Options(directory), []);
        await store.StartAsync();
        foreach (FeatureRecord record in records)
        {
            store.Record(record);
        }

        await store.FlushAsync();
    }

    /// <summary>120 decisions, then the outcome of every third one (a second version of those ids).</summary>
    private static List<FeatureRecord> Trades(int count = 120)
    {
        var versions = Enumerable.Range(0, count).Select(i => Decision($"s-{i:D3}", BaseTime + i)).ToList();
        versions.AddRange(Enumerable.Range(0, count).Where(i => i % 3 == 0).Select(i => Complete($"s-{i:D3}", BaseTime + i, pnl: i)));
        return versions;
    }

    [PostgresFact]
    public async Task A_dry_run_reports_files_records_and_batches_without_any_request()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        await WriteLogAsync(dir.Path, Trades());
        var sync = new JsonlToSupabaseSync(h.Sink(o => o.MaxBatchRows = 50), dir.Path);

        JsonlSyncReport report = await sync.RunAsync(dryRun: true);
        Assert.True(report.DryRun);
        Assert.NotEmpty(report.Files);
        Assert.All(report.Files, f => Assert.EndsWith(".jsonl", f));
        Assert.Equal((120, 40, 0, 120, 40, 3, 0), (report.Records, report.CompleteRecords, report.AlreadySent, report.ToSend, report.CompleteToSend, report.Batches, report.Sent));
        Assert.Empty(h.Server.Requests);
        Assert.False(File.Exists(sync.StateFile));
    }

    [PostgresFact]
    public async Task Re_running_sends_nothing_twice_and_sends_versions_changed_since()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        await WriteLogAsync(dir.Path, Trades());
        SupabaseFeatureSink sink = h.Sink(o => o.MaxBatchRows = 50);

        JsonlSyncReport first = await new JsonlToSupabaseSync(sink, dir.Path).RunAsync();
        Assert.Equal((120, 3, 120), (first.ToSend, first.Batches, first.Sent));
        Assert.Equal(120, h.Posts().Sum(p => p.Rows));

        JsonlSyncReport second = await new JsonlToSupabaseSync(sink, dir.Path).RunAsync();
        Assert.Equal((120, 0, 0, 0), (second.AlreadySent, second.ToSend, second.Batches, second.Sent));
        Assert.Equal(3, h.Posts().Count);

        // Outcomes recorded later are a new version of existing ids, plus a new trade.
        FeatureRecord closed = Complete("s-001", BaseTime + 1, pnl: -3);
        await WriteLogAsync(dir.Path, [closed, Decision("s-new", BaseTime + 500)]);
        JsonlSyncReport third = await new JsonlToSupabaseSync(sink, dir.Path).RunAsync();
        Assert.Equal((121, 41, 2, 1, 2), (third.Records, third.CompleteRecords, third.ToSend, third.Batches, third.Sent));

        var rows = await h.RowsAsync();
        Assert.Equal(121, rows.Count);
        // The row is the version the store logged: the record as recorded, with the order the store gave it.
        FeatureRecord logged = await new FeatureLogReader(dir.Path).ReadRecordsAsync().FirstAsync(r => r.Id == "s-001");
        Assert.NotNull(logged.UpdatedAt);
        Db.AssertPayload(closed with { UpdatedAt = logged.UpdatedAt }, rows["s-001"].Payload);
        Assert.Equal(122, h.Posts().Sum(p => p.Rows));
    }

    [PostgresFact]
    public async Task An_interrupted_sync_resumes_without_resending_what_was_stored()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        await WriteLogAsync(dir.Path, Trades());
        SupabaseFeatureSink sink = h.Sink(o => o.MaxBatchRows = 30);
        var sync = new JsonlToSupabaseSync(sink, dir.Path);

        // Two batches go through, the third is refused.
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.Zero));
        h.Server.Faults.Enqueue(Fault.Http(400, code: "PGRST102"));
        await Assert.ThrowsAsync<SupabaseRequestException>(() => sync.RunAsync());
        Assert.Equal(60, (await h.RowsAsync()).Count);

        JsonlSyncReport resumed = await sync.RunAsync();
        Assert.Equal((60, 60, 2, 60), (resumed.AlreadySent, resumed.ToSend, resumed.Batches, resumed.Sent));
        Assert.Equal(120, (await h.RowsAsync()).Count);
        Assert.Equal(120, h.Posts().Where(p => p.Status == 201).Sum(p => p.Rows));
    }

    [PostgresFact]
    public async Task The_state_belongs_to_one_project_and_a_corrupt_state_resends_everything()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        await WriteLogAsync(dir.Path, Trades(10));
        await new JsonlToSupabaseSync(h.Sink(), dir.Path).RunAsync();

        Assert.Equal(10, (await new JsonlToSupabaseSync(h.Sink(o => o.Url = new Uri("http://127.0.0.1:9/")), dir.Path).RunAsync(dryRun: true)).ToSend);
        await File.WriteAllTextAsync(Path.Combine(dir.Path, JsonlToSupabaseSync.DefaultStateFileName), "{ not json");
        Assert.Equal(10, (await new JsonlToSupabaseSync(h.Sink(), dir.Path).RunAsync()).Sent);
    }

    /// <summary>Collects progress reports synchronously, in order.</summary>
    private sealed class Recorder : IProgress<JsonlSyncProgress>
    {
        public List<JsonlSyncProgress> Reports { get; } = [];

        public void Report(JsonlSyncProgress value) => Reports.Add(value);
    }

    [PostgresFact]
    public async Task Progress_is_reported_after_reading_and_after_every_stored_batch()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        await WriteLogAsync(dir.Path, Trades());
        SupabaseFeatureSink sink = h.Sink(o => o.MaxBatchRows = 50);

        var dry = new Recorder();
        await new JsonlToSupabaseSync(sink, dir.Path).RunAsync(dryRun: true, dry);
        Assert.Equal([new JsonlSyncProgress(120, 120, 0)], dry.Reports);

        var run = new Recorder();
        await new JsonlToSupabaseSync(sink, dir.Path).RunAsync(dryRun: false, run);
        Assert.Equal([new(120, 120, 0), new(120, 120, 50), new(120, 120, 100), new JsonlSyncProgress(120, 120, 120)], run.Reports);
    }
}
