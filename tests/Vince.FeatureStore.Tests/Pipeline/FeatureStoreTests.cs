using System.Text.Json.Nodes;
using Microsoft.Extensions.Time.Testing;
using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Pipeline;

public sealed class FeatureStoreTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Each_version_is_on_disk_when_flushed_not_when_the_trade_closes()
    {
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path);

        string id = store.RecordDecision("BTC", new MarketFeatures { Price = 1 }, timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime));
        await store.FlushAsync();
        string[] afterDecision = _dir.AllFeatureLines();

        store.RecordExecution(id, Execution());
        await store.FlushAsync();
        store.RecordOutcome(id, Win(150));
        await store.FlushAsync();
        string[] lines = _dir.AllFeatureLines();

        FeatureRecord decision = FeatureJson.Deserialize(Assert.Single(afterDecision));
        Assert.Equal(id, decision.Id);
        Assert.Null(decision.Execution);
        Assert.Equal(3, lines.Length);
        FeatureRecord executed = FeatureJson.Deserialize(lines[1]);
        Assert.NotNull(executed.Execution);
        Assert.Null(executed.Outcome);
        FeatureRecord closed = FeatureJson.Deserialize(lines[2]);
        Assert.Equal(id, closed.Id);
        Assert.Equal(BaseTime, closed.Timestamp);
        Assert.Equal(1, closed.Market!.Price);
        // risk = 2% * 1000 * 5 = 100 -> r = 1.5; MFE 2.5 >= 1.8 -> level 1
        Assert.Equal(new FeatureLabels { Profitable = true, WinAmount = 150, RMultiple = 1.5, OptimalTpLevel = 1 }, closed.Labels);
        Assert.True(closed.IsComplete);
    }

    [Fact]
    public async Task Record_assigns_missing_id_and_timestamp_and_rejects_bad_input()
    {
        var time = new FakeTimeProvider(DateTimeOffset.FromUnixTimeMilliseconds(BaseTime));
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, time: time);

        string id = store.Record(new FeatureRecord { Asset = "ETH" });

        Assert.True(FeatureRecordId.HasGeneratedShape(id));
        Assert.StartsWith($"{BaseTime}-", id, StringComparison.Ordinal);
        Assert.Throws<ArgumentException>(() => store.Record(new FeatureRecord { Id = "x", Timestamp = 1 }));
        Assert.Throws<ArgumentException>(() => store.Record(new FeatureRecord { Id = "x", Timestamp = -5, Asset = "BTC" }));
        Assert.Throws<ArgumentException>(() => store.Record(new FeatureRecord { Id = "x", Timestamp = 253_402_300_800_000, Asset = "BTC" }));
        Assert.Throws<ArgumentNullException>(() => store.Record(null!));
        Assert.Throws<ArgumentException>(() => store.RecordOutcome("", Win()));
        Assert.Throws<ArgumentException>(() => store.RecordAvoided("BTC", " "));
        await store.FlushAsync();
        FeatureRecord written = FeatureJson.Deserialize(Assert.Single(_dir.AllFeatureLines()));
        Assert.Equal(id, written.Id);
        Assert.Equal(BaseTime, written.Timestamp);
    }

    [Fact]
    public async Task Avoided_signals_and_decisions_opened_at_once_are_recorded()
    {
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path);

        string id = store.RecordAvoided("SOL", "funding too extreme", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime), decisionDrivers: ["funding 99th pct"]);
        string traded = store.RecordDecision("SOL", execution: Execution());
        await store.FlushAsync();

        string[] lines = _dir.AllFeatureLines();
        Assert.Equal(2, lines.Length);
        Assert.Equal(traded, FeatureJson.Deserialize(lines[1]).Id);
        Assert.Equal(5, FeatureJson.Deserialize(lines[1]).Execution!.Leverage);
        JsonNode line = JsonNode.Parse(lines[0])!;
        Assert.Equal("funding 99th pct", line["decisionDrivers"]![0]!.GetValue<string>());
        Assert.Equal(id, line["id"]!.GetValue<string>());
        Assert.Equal("funding too extreme", line["avoided"]!["reason"]!.GetValue<string>());
        Assert.Equal(BaseTime, line["avoided"]!["timestamp"]!.GetValue<long>());
    }

    [Fact]
    public async Task Files_rotate_by_record_count()
    {
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, configure: o => o.RecordsPerFile = 10);

        for (int i = 0; i < 25; i++)
        {
            store.Record(Decision($"r{i}", BaseTime + i));
        }

        await store.FlushAsync();

        string[] files = _dir.FeatureFiles();
        Assert.Equal(3, files.Length);
        Assert.Equal([10, 10, 5], files.Select(f => File.ReadAllLines(_dir.File(f)).Length).OrderDescending());
        Assert.All(files, f => Assert.Matches(@"^features_\d{4}-\d{2}-\d{2}_\d{13}\.jsonl$", f));
        List<string> ids = [];
        await foreach (FeatureRecord r in store.CreateReader().ReadVersionsAsync())
        {
            ids.Add(r.Id);
        }

        Assert.Equal(Enumerable.Range(0, 25).Select(i => $"r{i}"), ids);
    }

    [Fact]
    public async Task Files_rotate_at_utc_midnight_and_are_named_by_utc_date()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 1, 23, 59, 0, TimeSpan.Zero));
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, time: time);

        store.Record(Decision("before"));
        await store.FlushAsync();
        time.Advance(TimeSpan.FromMinutes(2));
        store.Record(Decision("after"));
        await store.FlushAsync();

        string[] files = _dir.FeatureFiles();
        Assert.Equal(2, files.Length);
        Assert.StartsWith("features_2026-03-01_", files[0], StringComparison.Ordinal);
        Assert.StartsWith("features_2026-03-02_", files[1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Outcome_after_a_restart_finds_the_open_record_in_the_log()
    {
        string id;
        await using (FeatureStore first = await TestStores.StartedAsync(_dir.Path))
        {
            id = first.RecordDecision("ETH", new MarketFeatures { Price = 3000 });
            first.RecordExecution(id, Execution());
            first.Record(Decision("other-open"));
        }

        await using (FeatureStore second = await TestStores.StartedAsync(_dir.Path))
        {
            second.RecordOutcome(id, Win(-50) with { ExitReason = "stop_loss" });
            await second.FlushAsync();
        }

        var reader = new FeatureLogReader(_dir.Path);
        List<FeatureRecord> complete = [];
        await foreach (FeatureRecord r in reader.ReadRecordsAsync(FeatureQuery.Complete))
        {
            complete.Add(r);
        }

        FeatureRecord record = Assert.Single(complete);
        Assert.Equal(id, record.Id);
        Assert.Equal(3000, record.Market!.Price);
        Assert.Equal(5, record.Execution!.Leverage);
        Assert.False(record.Labels!.Profitable);
        Assert.Equal(-0.5, record.Labels.RMultiple, 12);
        Assert.Equal(2, _dir.FeatureFiles().Length); // every start writes to a new file
    }

    [Fact]
    public async Task An_update_for_an_unknown_id_is_kept_aside_and_logged_not_lost()
    {
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger();
        var options = TestStores.Options(_dir.Path);
        await using var store = new FeatureStore(options, loggerFactory: new SingleLoggerFactory(logger));
        await store.StartAsync();

        store.RecordOutcome("never-recorded", Win(10));
        await store.FlushAsync();

        Assert.Empty(_dir.FeatureFiles());
        JsonNode kept = JsonNode.Parse(Assert.Single(File.ReadAllLines(_dir.File("unmatched_updates.jsonl"))))!;
        Assert.Equal("never-recorded", kept["id"]!.GetValue<string>());
        Assert.Equal(10, kept["outcome"]!["realizedPnl"]!.GetValue<double>());
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error && r.Message.Contains("never-recorded", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_second_outcome_for_a_closed_trade_does_not_overwrite_it()
    {
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path);
        string id = store.RecordDecision("BTC");
        store.RecordExecution(id, Execution());
        store.RecordOutcome(id, Win(100));
        store.RecordOutcome(id, Win(-999));
        await store.FlushAsync();

        Assert.Equal(3, _dir.AllFeatureLines().Length);
        Assert.Contains("-999", File.ReadAllText(_dir.File("unmatched_updates.jsonl")), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_record_that_cannot_be_serialized_is_rejected_alone_and_reported()
    {
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger();
        await using var store = new FeatureStore(TestStores.Options(_dir.Path), loggerFactory: new SingleLoggerFactory(logger));
        await store.StartAsync();

        store.Record(Decision("before"));
        store.Record(Decision("poison") with { ExtensionData = new() { ["broken"] = default } });
        store.Record(Decision("after"));
        await store.FlushAsync();

        Assert.Equal(["before", "after"], _dir.AllFeatureLines().Select(l => FeatureJson.Deserialize(l).Id));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Level == Microsoft.Extensions.Logging.LogLevel.Error && r.Message.Contains("poison", StringComparison.Ordinal));
        store.Record(Decision("still-accepting"));
        await store.FlushAsync();
        Assert.Equal(3, _dir.AllFeatureLines().Length);
    }

    [Fact]
    public async Task Records_enqueued_before_start_are_written_by_dispose()
    {
        var store = new FeatureStore(TestStores.Options(_dir.Path));
        store.Record(Decision("early-1"));
        store.Record(Decision("early-2"));

        await store.DisposeAsync();

        Assert.Equal(2, _dir.AllFeatureLines().Length);
        Assert.Throws<ObjectDisposedException>(() => store.Record(Decision("late")));
    }

    [Fact]
    public async Task Drop_mode_counts_every_record_it_refuses()
    {
        var store = new FeatureStore(TestStores.Options(_dir.Path, o =>
        {
            o.QueueCapacity = 5;
            o.QueueFullMode = QueueFullMode.DropAndCount;
        }));

        // Not started: nothing drains the queue, so records 6..8 find it full.
        for (int i = 0; i < 8; i++)
        {
            store.Record(Decision($"r{i}"));
        }

        Assert.Equal(3, store.DroppedCount);
        await store.DisposeAsync();
        Assert.Equal(5, _dir.AllFeatureLines().Length);
    }

    [Fact]
    public async Task Wait_mode_throws_a_clear_error_when_the_queue_stays_full()
    {
        var store = new FeatureStore(TestStores.Options(_dir.Path, o =>
        {
            o.QueueCapacity = 2;
            o.QueueFullMode = QueueFullMode.Wait;
            o.QueueFullTimeout = TimeSpan.FromMilliseconds(50);
        }));
        store.Record(Decision("a"));
        store.Record(Decision("b"));

        FeatureStoreFullException error = Assert.Throws<FeatureStoreFullException>(() => store.Record(Decision("c")));

        Assert.Contains("record c was not recorded", error.Message, StringComparison.Ordinal);
        Assert.Equal(1, store.DroppedCount);
        await store.DisposeAsync();
    }

    [Fact]
    public async Task Wait_mode_waits_for_room_and_loses_nothing()
    {
        await using FeatureStore store = await TestStores.StartedAsync(_dir.Path, configure: o =>
        {
            o.QueueCapacity = 4;
            o.QueueFullMode = QueueFullMode.Wait;
            o.QueueFullTimeout = TimeSpan.FromSeconds(30);
        });

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (int i = 0; i < 250; i++)
            {
                store.Record(Decision($"t{t}-{i}", BaseTime + i));
            }
        })));
        await store.FlushAsync();

        Assert.Equal(1000, _dir.AllFeatureLines().Select(l => FeatureJson.Deserialize(l).Id).Distinct().Count());
        Assert.Equal(0, store.DroppedCount);
    }

    [Fact]
    public async Task Retention_deletes_old_files_only_after_every_sink_shipped_them()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 3, 10, 12, 0, 0, TimeSpan.Zero));
        string old = "features_2026-03-01_1772366400000.jsonl";
        string recent = "features_2026-03-09_1773057600000.jsonl";
        File.WriteAllText(_dir.File(old), Line(Decision("old")) + "\n");
        File.WriteAllText(_dir.File(recent), Line(Decision("recent")) + "\n");
        var stalled = new RecordingSink("stalled") { Gate = new TaskCompletionSource() };

        FeatureStore store = await TestStores.StartedAsync(_dir.Path, [stalled], o => o.RetainJsonlDays = 3, time);
        store.Record(Decision("new"));
        await store.FlushAsync();

        Assert.Contains(old, _dir.FeatureFiles()); // the stalled sink still needs it

        stalled.Gate.SetResult();
        await store.WaitForSinksAsync();
        store.Record(Decision("newer"));
        await store.FlushAsync();
        time.Advance(TimeSpan.FromDays(1)); // a new day starts a new file, which triggers pruning
        store.Record(Decision("next-day"));
        await store.FlushAsync();

        // Pruning runs on the writer after it acknowledged the batch: wait for it rather than race it.
        await TestStores.EventuallyAsync(() => !_dir.FeatureFiles().Contains(old), "the expired, shipped file is deleted");
        Assert.Contains(recent, _dir.FeatureFiles());
        await store.DisposeAsync();
    }

    [Fact]
    public async Task Flush_before_start_is_an_error()
    {
        await using var store = new FeatureStore(TestStores.Options(_dir.Path));
        await Assert.ThrowsAsync<InvalidOperationException>(() => store.FlushAsync());
    }

    [Fact]
    public void Invalid_options_are_rejected_with_every_problem_named()
    {
        var options = new FeatureStoreOptions { DataDirectory = _dir.Path, QueueCapacity = 0, RecordsPerFile = -1, RetryInitialDelay = TimeSpan.FromSeconds(5), RetryMaxDelay = TimeSpan.FromSeconds(1) };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new FeatureStore(options));

        Assert.Contains("QueueCapacity", error.Message, StringComparison.Ordinal);
        Assert.Contains("RecordsPerFile", error.Message, StringComparison.Ordinal);
        Assert.Contains("RetryMaxDelay", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task Data_directory_and_files_are_owner_only()
    {
        string directory = Path.Combine(_dir.Path, "private");
        await using (FeatureStore store = await TestStores.StartedAsync(directory))
        {
            store.Record(Decision("p"));
        }

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        string file = Directory.GetFiles(directory, "features_*.jsonl").Single();
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
    }
}
