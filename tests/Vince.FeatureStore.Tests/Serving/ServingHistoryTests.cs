using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Tests.Serving;

/// <summary>The store's serving history holds what the training export's history holds, after recording and after a restart.</summary>
public sealed class ServingHistoryTests
{
    private static readonly string[] Assets = ["BTC", "ETH", "SOL"];

    [Fact]
    public void History_orders_by_decision_time_and_keeps_the_latest_version_of_an_id()
    {
        var history = new FeatureHistory();
        history.Add(TestRecords.Decision("a", 1000));
        history.Add(TestRecords.Decision("c", 3000));
        history.Add(TestRecords.Decision("b", 2000)); // recorded late, older decision: goes between
        history.Add(TestRecords.Complete("a", 1000)); // a later version of a: keeps its place
        history.Add(TestRecords.Decision("old", 500)); // older than the three held: not needed

        Assert.Equal(["a", "b", "c"], history.RecordsOf("BTC").Select(r => r.Id));
        Assert.True(history.RecordsOf("BTC")[0].IsComplete);
        Assert.Equal("c", history.Previous("BTC", 1)!.Id);
        Assert.Equal(3, history.CountOf("BTC"));
        Assert.Equal(0, history.CountOf("ETH"));
    }

    [Fact]
    public void Equal_times_keep_the_order_ids_were_added()
    {
        var history = new FeatureHistory();
        history.Add(TestRecords.Decision("first", 1000));
        history.Add(TestRecords.Decision("second", 1000));
        Assert.Equal(["first", "second"], history.RecordsOf("BTC").Select(r => r.Id));
    }

    [Fact]
    public async Task Recording_feeds_the_history_with_decisions_avoided_ones_and_updates()
    {
        using var dir = new TempDirectory();
        await using FeatureStore store = await TestStores.StartedAsync(dir.Path);
        string id = store.RecordDecision("BTC", market: new MarketFeatures { AtrPct = 1.1 }, timestamp: DateTimeOffset.FromUnixTimeMilliseconds(TestRecords.BaseTime));
        store.RecordAvoided("BTC", "too quiet", market: new MarketFeatures { AtrPct = 1.2 }, timestamp: DateTimeOffset.FromUnixTimeMilliseconds(TestRecords.BaseTime + 1));
        store.RecordOutcome(id, TestRecords.Win());

        IReadOnlyList<FeatureRecord> held = store.History.RecordsOf("BTC");
        Assert.Equal(2, held.Count);
        Assert.Equal(id, held[0].Id);
        Assert.NotNull(held[0].Outcome); // the update applied to the version held, as the writer applies it
        Assert.NotNull(held[1].Avoided);
    }

    [Fact]
    public async Task A_record_or_update_dropped_by_a_full_queue_stays_out_of_the_history_as_it_stays_out_of_the_log()
    {
        using var dir = new TempDirectory();
        var store = new FeatureStore(TestStores.Options(dir.Path, o =>
        {
            o.QueueCapacity = 2;
            o.QueueFullMode = QueueFullMode.DropAndCount;
        }));

        // Not started: nothing drains the queue, so the third record and the update find it full.
        store.Record(TestRecords.Decision("kept-1", TestRecords.BaseTime));
        store.Record(TestRecords.Decision("kept-2", TestRecords.BaseTime + 1));
        store.Record(TestRecords.Decision("dropped", TestRecords.BaseTime + 2));
        store.RecordOutcome("kept-1", TestRecords.Win());

        Assert.Equal(2, store.DroppedCount);
        Assert.Equal(["kept-1", "kept-2"], store.History.RecordsOf("BTC").Select(r => r.Id));
        Assert.Null(store.History.RecordsOf("BTC")[0].Outcome);
        await store.DisposeAsync();
        Assert.Equal(2, dir.AllFeatureLines().Length);
    }

    [Fact]
    public async Task A_restart_warm_starts_from_the_tail_of_the_log_with_the_export_history()
    {
        using var dir = new TempDirectory();
        await RecordRunAsync(dir.Path, 300);
        AppendTornLine(dir.Path);

        await using var restarted = new FeatureStore(TestStores.Options(dir.Path));
        await restarted.StartAsync();

        ServingHistoryWarmStart warm = Assert.IsType<ServingHistoryWarmStart>(restarted.History.WarmStart);
        Assert.Equal(ServingHistorySource.LocalLog, warm.Source);
        Assert.Equal(Assets.Length, warm.Assets);
        FeatureHistory expected = await ExportHistoryAsync(new FeatureLogReader(dir.Path));
        AssertSameHistory(expected, restarted.History);
    }

    [Fact]
    public async Task The_tail_read_stops_long_before_the_start_of_a_large_log()
    {
        using var dir = new TempDirectory();
        await RecordRunAsync(dir.Path, 3000, minutesApart: 60 * 4);

        await using var restarted = new FeatureStore(TestStores.Options(dir.Path));
        await restarted.StartAsync();

        ServingHistoryWarmStart warm = restarted.History.WarmStart!;
        long logBytes = dir.FeatureFiles().Sum(f => new FileInfo(dir.File(f)).Length);
        Assert.True(warm.BytesRead < logBytes / 4, $"read {warm.BytesRead} of {logBytes} bytes");
        AssertSameHistory(await ExportHistoryAsync(new FeatureLogReader(dir.Path)), restarted.History);
    }

    [Fact]
    public async Task An_empty_log_warm_starts_from_the_training_source()
    {
        using var remote = new TempDirectory();
        using var local = new TempDirectory();
        await RecordRunAsync(remote.Path, 120);
        var source = new FeatureLogReader(remote.Path);

        await using var store = new FeatureStore(TestStores.Options(local.Path)) { HistorySource = source };
        await store.StartAsync();

        Assert.Equal(ServingHistorySource.TrainingSource, store.History.WarmStart!.Source);
        AssertSameHistory(await ExportHistoryAsync(source), store.History);
    }

    [Fact]
    public async Task A_failing_training_source_leaves_the_history_cold_and_the_store_running()
    {
        using var local = new TempDirectory();
        await using var store = new FeatureStore(TestStores.Options(local.Path)) { HistorySource = new FailingQuery() };
        await store.StartAsync();

        Assert.Null(store.History.WarmStart);
        store.Record(TestRecords.Decision("after-start"));
        await store.FlushAsync();
        Assert.Single(local.AllFeatureLines());
    }

    /// <summary>Decisions over three assets, every third avoided, most completed later (updates appended after newer decisions).</summary>
    internal static async Task RecordRunAsync(string directory, int decisions, int minutesApart = 30)
    {
        await using FeatureStore store = await TestStores.StartedAsync(directory, configure: o => o.RecordsPerFile = 200);
        var open = new Queue<string>();
        for (int i = 0; i < decisions; i++)
        {
            string asset = Assets[i % Assets.Length];
            var at = DateTimeOffset.FromUnixTimeMilliseconds(TestRecords.BaseTime + (i * minutesApart * 60_000L));
            var market = new MarketFeatures { Price = 100 + i, AtrPct = 1 + (i % 7 * 0.1), PriceChange24h = (i % 11) - 5, Rsi14 = 30 + (i % 40) };
            if (i % 3 == 2)
            {
                store.RecordAvoided(asset, "filtered", market: market, timestamp: at);
                continue;
            }

            open.Enqueue(store.RecordDecision(asset, market: market, signal: new SignalFeatures { Direction = "long", Strength = 60 + (i % 30) }, timestamp: at));
            if (open.Count > 4)
            {
                store.RecordOutcome(open.Dequeue(), TestRecords.Win(i));
            }
        }

        await store.FlushAsync();
    }

    internal static async Task<FeatureHistory> ExportHistoryAsync(IFeatureQuery source)
    {
        var history = new FeatureHistory();
        await foreach (FeatureRecord record in source.ReadRecordsAsync())
        {
            history.Add(record);
        }

        return history;
    }

    private static void AssertSameHistory(FeatureHistory expected, ServingHistory actual)
    {
        foreach (string asset in Assets)
        {
            Assert.Equal(FeatureHistory.Depth, actual.CountOf(asset));
            Assert.Equal(expected.RecordsOf(asset).Select(TestRecords.Line), actual.RecordsOf(asset).Select(TestRecords.Line));
        }
    }

    private static void AppendTornLine(string directory)
    {
        string last = Directory.GetFiles(directory, "features_*.jsonl").Order(StringComparer.Ordinal).Last();
        File.AppendAllText(last, "{\"id\":\"torn\",\"timestamp\":99999999999999,\"asset\":\"BTC\",\"mar");
    }

    private sealed class FailingQuery : IFeatureQuery
    {
        public IAsyncEnumerable<FeatureRecord> ReadRecordsAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default)
            => throw new HttpRequestException("connection refused");

        public Task<int> CountAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default) => Task.FromResult(0);

        public Task<int> CountCompleteAsync(CancellationToken cancellationToken = default) => Task.FromResult(0);
    }
}
