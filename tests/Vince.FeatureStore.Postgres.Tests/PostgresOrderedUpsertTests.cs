using System.Diagnostics;
using System.Text.Json;
using Vince.FeatureStore.Postgres.Tests.Support;
using Xunit.Abstractions;
using static Vince.FeatureStore.Testing.TestRecords;
using static Vince.FeatureStore.Testing.TestStores;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>
/// A stored row is never replaced by an older version of its id, whatever order the versions arrive in: racing
/// writers, a replay from an old cursor, old rows without <c>updatedAt</c>.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class PostgresOrderedUpsertTests(PostgresFixture fixture, ITestOutputHelper output)
{
    private const string Table = "plugin_vince.paper_bot_features";

    /// <summary>The bot's own table layout: varchar id and an extra column with a default, created before the sink starts.</summary>
    private const string BotTable = """
        CREATE SCHEMA plugin_vince;
        CREATE TABLE plugin_vince.paper_bot_features (id varchar(256) PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL, source text DEFAULT 'bot');
        """;

    private async Task<string> NewDatabaseAsync(bool botTable)
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("order"));
        if (botTable)
        {
            await Db.ExecuteAsync(cs, BotTable);
        }

        return cs;
    }

    private static async Task<PostgresFeatureSink> SinkAsync(string cs, PostgresWriteMode mode, string name = PostgresSinkOptions.DefaultName)
    {
        var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs, WriteMode = mode, Name = name });
        await sink.InitializeAsync(CancellationToken.None);
        return sink;
    }

    /// <summary>Version <paramref name="version"/> of <paramref name="id"/>: its order and a marker in the payload.</summary>
    private static FeatureRecord Version(string id, int version)
        => Decision(id) with { UpdatedAt = BaseTime + version, DecisionDrivers = [$"version {version}"] };

    private static Task<long> StaleRowsAsync(string cs, int latest)
        => Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM {Table} WHERE (payload ->> 'updatedAt')::bigint <> {BaseTime + latest} OR payload -> 'updatedAt' IS NULL");

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task An_older_version_never_replaces_a_newer_one_and_ties_and_unversioned_rows_take_the_incoming_one(PostgresWriteMode mode)
    {
        string cs = await NewDatabaseAsync(botTable: false);
        await using PostgresFeatureSink sink = await SinkAsync(cs, mode);

        FeatureRecord unversioned = Decision("legacy") with { DecisionDrivers = ["first"] };
        await sink.WriteAsync([Version("a", 2), Version("b", 1), unversioned, Decision("both-old")], CancellationToken.None);
        await sink.WriteAsync([Version("a", 1), Version("b", 2), Decision("both-old") with { DecisionDrivers = ["second"] }], CancellationToken.None);

        // An older version is kept out; a newer one goes in; two unversioned versions are last-writer-wins, as before.
        var rows = await Db.RowsAsync(cs);
        Db.AssertPayload(Version("a", 2), rows["a"].Payload);
        Db.AssertPayload(Version("b", 2), rows["b"].Payload);
        Db.AssertPayload(Decision("both-old") with { DecisionDrivers = ["second"] }, rows["both-old"].Payload);

        // A versioned row beats an unversioned one, in both directions.
        await sink.WriteAsync([Version("legacy", 1)], CancellationToken.None);
        await sink.WriteAsync([unversioned], CancellationToken.None);
        Db.AssertPayload(Version("legacy", 1), (await Db.RowsAsync(cs))["legacy"].Payload);

        // A tie takes the incoming version: the same version again (a replay) is idempotent.
        await sink.WriteAsync([Version("a", 2), Version("b", 2)], CancellationToken.None);
        rows = await Db.RowsAsync(cs);
        Assert.Equal(4, rows.Count);
        Db.AssertPayload(Version("a", 2), rows["a"].Payload);
    }

    [PostgresFact]
    public async Task Within_one_batch_the_version_with_the_higher_order_is_the_one_sent()
    {
        string cs = await NewDatabaseAsync(botTable: false);
        await using PostgresFeatureSink sink = await SinkAsync(cs, PostgresWriteMode.Copy);
        await sink.WriteAsync([Version("x", 3), Version("x", 1)], CancellationToken.None);
        Db.AssertPayload(Version("x", 3), (await Db.RowsAsync(cs))["x"].Payload);
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy, false)]
    [InlineData(PostgresWriteMode.Unnest, false)]
    [InlineData(PostgresWriteMode.Copy, true)]
    [InlineData(PostgresWriteMode.Unnest, true)]
    public async Task Two_writers_racing_with_the_versions_in_opposite_orders_leave_every_row_at_its_latest_version(PostgresWriteMode mode, bool botTable)
    {
        const int Ids = 2_000, Versions = 5, Chunk = 200;
        string cs = await NewDatabaseAsync(botTable);
        await using PostgresFeatureSink forward = await SinkAsync(cs, mode, "forward");
        await using PostgresFeatureSink backward = await SinkAsync(cs, mode, "backward");
        string[] ids = [.. Enumerable.Range(0, Ids).Select(i => $"race-{i:D5}")];

        // Both send every id in the same order (so their row locks never deadlock), one from the oldest version up,
        // the other from the newest down: without ordered upserts the later of the two writes of an id wins.
        async Task SendAsync(PostgresFeatureSink sink, IEnumerable<int> versions)
        {
            await Task.Yield();
            foreach (int version in versions)
            {
                foreach (string[] chunk in ids.Chunk(Chunk))
                {
                    await sink.WriteAsync([.. chunk.Select(id => Version(id, version))], CancellationToken.None);
                }
            }
        }

        long started = Stopwatch.GetTimestamp();
        await Task.WhenAll(
            Task.Run(() => SendAsync(forward, Enumerable.Range(1, Versions))),
            Task.Run(() => SendAsync(backward, Enumerable.Range(1, Versions).Reverse())));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);

        long stale = await StaleRowsAsync(cs, Versions);
        output.WriteLine($"{mode}, {(botTable ? "bot's table" : "own table")}: {Ids} ids x {Versions} versions x 2 writers, {stale} stale row(s), {elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(Ids, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM {Table}"));
        Assert.True(stale == 0, $"{stale} of {Ids} rows hold an older version than their latest");
        if (botTable)
        {
            Assert.Equal(Ids, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM {Table} WHERE source = 'bot'"));
        }
    }

    [PostgresFact]
    public async Task A_replay_from_an_old_cursor_never_puts_an_older_version_back()
    {
        const int Trades = 300;
        string cs = await NewDatabaseAsync(botTable: false);
        using var dir = new TempDirectory();

        // The store gives each version its updatedAt; the sink ships decision, execution and outcome of every trade.
        string[] ids;
        await using (PostgresFeatureSink sink = await SinkAsync(cs, PostgresWriteMode.Auto))
        await using (FeatureStore store = await StartedAsync(dir.Path, [sink], o => o.SinkBatchSize = 50))
        {
            ids = [.. Enumerable.Range(0, Trades).Select(i => store.Record(Decision($"trade-{i:D4}", BaseTime + i)))];
            foreach (string id in ids)
            {
                store.RecordExecution(id, Execution());
            }

            foreach (string id in ids)
            {
                store.RecordOutcome(id, Win());
            }

            await store.FlushAsync();
            await store.WaitForSinksAsync();
        }

        Dictionary<string, long> latest = await StoredOrdersAsync(cs);
        Assert.Equal(Trades, latest.Count);
        Assert.All(ids, id => Assert.True(latest[id] > 0, $"{id} has no updatedAt"));

        // The cursor is reset: the next start ships the whole log again, oldest versions first.
        File.Delete(Path.Combine(dir.Path, ".cursors", PostgresSinkOptions.DefaultName + ".json"));
        var checkedSink = new CheckingSink(await SinkAsync(cs, PostgresWriteMode.Auto), async () =>
        {
            Dictionary<string, long> now = await StoredOrdersAsync(cs);
            return latest.Count(kv => now[kv.Key] < kv.Value);
        });
        await using (checkedSink)
        await using (FeatureStore replay = await StartedAsync(dir.Path, [checkedSink], o => o.SinkBatchSize = 50))
        {
            await replay.WaitForSinksAsync();
        }

        output.WriteLine($"replay of {Trades * 3} versions in {checkedSink.Batches} batches: at most {checkedSink.MostStale} row(s) older than before");
        Assert.True(checkedSink.Batches >= Trades * 3 / 50, $"only {checkedSink.Batches} batches were replayed");
        Assert.Equal(0, checkedSink.MostStale);
        Assert.Equal(latest.OrderBy(kv => kv.Key, StringComparer.Ordinal), (await StoredOrdersAsync(cs)).OrderBy(kv => kv.Key, StringComparer.Ordinal));
    }

    private static async Task<Dictionary<string, long>> StoredOrdersAsync(string cs)
        => (await Db.RowsAsync(cs)).ToDictionary(r => r.Key, r => OrderOf(r.Value.Payload), StringComparer.Ordinal);

    private static long OrderOf(string payload)
    {
        using JsonDocument document = JsonDocument.Parse(payload);
        return document.RootElement.TryGetProperty("updatedAt", out JsonElement at) ? at.GetInt64() : -1;
    }

    /// <summary>Counts, after every batch it passes on, how many rows are older than before the replay.</summary>
    private sealed class CheckingSink(PostgresFeatureSink inner, Func<Task<int>> countStale) : IFeatureSink, IAsyncDisposable
    {
        public string Name => inner.Name;

        public int Batches { get; private set; }

        public int MostStale { get; private set; }

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public async Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
        {
            await inner.WriteAsync(records, cancellationToken);
            Batches++;
            MostStale = Math.Max(MostStale, await countStale());
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}
