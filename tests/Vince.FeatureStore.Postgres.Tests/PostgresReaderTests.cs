using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

[Collection(SharedPostgres.Name)]
public sealed class PostgresReaderTests(PostgresFixture fixture)
{
    /// <summary>Records a mixed history through the real store (JSONL log + Postgres sink) and returns both readers' sources.</summary>
    private async Task<(TempDirectory Dir, string ConnectionString)> RecordHistoryAsync()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("read"));
        var dir = new TempDirectory();
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs });
        var store = new FeatureStore(TestStores.Options(dir.Path, o => o.SinkBatchSize = 37), [sink]);
        await store.StartAsync();
        string[] assets = ["BTC", "ETH", "SOL", "Ω'coin"];
        for (int i = 0; i < 240; i++)
        {
            // Decision times out of recording order, so ordering by time is really tested.
            var at = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + ((i * 7919) % 240) * 60_000L);
            string asset = assets[i % assets.Length];
            if (i % 10 == 9)
            {
                store.RecordAvoided(asset, "funding too extreme", timestamp: at);
                continue;
            }

            string id = store.RecordDecision(asset, market: new MarketFeatures { Price = 100 + i }, timestamp: at);
            if (i % 3 != 0)
            {
                store.RecordExecution(id, Execution());
                store.RecordOutcome(id, Win(i % 2 == 0 ? 10 : -10));
            }
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await store.WaitForSinksAsync(timeout.Token);
        await store.DisposeAsync();
        return (dir, cs);
    }

    private static readonly string[] Queries = ["all", "complete", "asset", "complete-asset", "range", "complete-range-asset"];

    private static FeatureQuery QueryNamed(string name) => name switch
    {
        "all" => FeatureQuery.All,
        "complete" => FeatureQuery.Complete,
        "asset" => FeatureQuery.All with { Asset = "ETH" },
        "complete-asset" => FeatureQuery.Complete with { Asset = "Ω'coin" },
        "range" => FeatureQuery.All with { From = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 30 * 60_000L), To = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 90 * 60_000L) },
        _ => FeatureQuery.Complete with { Asset = "BTC", From = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 100 * 60_000L), To = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 200 * 60_000L) },
    };

    [PostgresFact]
    public async Task The_reader_returns_what_the_JSONL_reader_returns_for_every_query()
    {
        var (dir, cs) = await RecordHistoryAsync();
        using (dir)
        {
            var jsonl = new FeatureLogReader(dir.Path);
            await using var postgres = new PostgresFeatureReader(cs);
            Assert.Equal(240, await postgres.CountAsync());
            Assert.Equal(144, await postgres.CountCompleteAsync());
            Assert.Equal(await jsonl.CountCompleteAsync(), await postgres.CountCompleteAsync());

            foreach (string name in Queries)
            {
                FeatureQuery query = QueryNamed(name);
                List<string> expected = await jsonl.ReadRecordsAsync(query).Select(Line).ToListAsync();
                List<string> actual = await postgres.ReadRecordsAsync(query).Select(Line).ToListAsync();
                Assert.True(expected.Count > 0, name);
                Assert.Equal(expected.Count, await postgres.CountAsync(query));
                Assert.Equal(expected, actual);
            }

            List<long> times = await postgres.ReadRecordsAsync(FeatureQuery.Complete).Select(r => r.Timestamp).ToListAsync();
            Assert.Equal(times.Order(), times);
        }
    }

    [PostgresFact]
    public async Task Rows_that_are_not_feature_records_are_skipped_with_a_warning()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("skip"));
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs }))
        {
            await sink.WriteAsync([Decision("good", BaseTime + 1)], CancellationToken.None);
        }

        await Db.ExecuteAsync(cs, "INSERT INTO plugin_vince.paper_bot_features VALUES ('bad', now(), '[1, 2]'::jsonb)");
        var logger = new FakeLogger<PostgresFeatureReader>();
        await using var reader = new PostgresFeatureReader(PostgresCluster_Url(cs), logger: logger);
        Assert.Equal(["good"], await reader.ReadRecordsAsync().Select(r => r.Id).ToListAsync());
        Assert.Equal(1, reader.SkippedRows);
        FakeLogRecord warning = Assert.Single(logger.Collector.GetSnapshot(), r => r.Level == LogLevel.Warning);
        Assert.Equal(2005, warning.Id.Id);
        Assert.Contains("bad", warning.Message);
    }

    [PostgresFact]
    public async Task Stopping_an_enumeration_early_returns_the_connection()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("early"));
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs + ";Maximum Pool Size=1;Timeout=5" });
        await sink.WriteAsync(Enumerable.Range(0, 50).Select(i => Decision("r" + i, BaseTime + i)).ToList(), CancellationToken.None);
        await using PostgresFeatureReader reader = sink.CreateReader();
        for (int i = 0; i < 3; i++)
        {
            Assert.Equal(5, await reader.ReadRecordsAsync().Take(5).CountAsync());
        }

        Assert.Equal(50, await reader.CountAsync());
    }

    [PostgresFact]
    public async Task Payloads_of_any_size_and_script_come_back_whole()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("sizes"));
        // Drivers from a few bytes to far past the reader's first buffer (16 KiB), in multi-byte scripts, so a payload
        // ends inside a character, on a buffer boundary and after several growths.
        List<FeatureRecord> written = [.. new[] { 1, 700, 4_095, 4_096, 4_097, 8_192, 40_000 }.Select((n, i) =>
            Decision($"size-{i}", BaseTime + i, asset: "Ω'coin") with { DecisionDrivers = [new string('é', n), "汉字" + new string('x', n % 7), "🙂"] })];
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs }))
        {
            await sink.WriteAsync(written, CancellationToken.None);
        }

        await using var reader = new PostgresFeatureReader(cs);
        Assert.Equal(written.Select(Line), await reader.ReadRecordsAsync().Select(Line).ToListAsync());
        Assert.Equal(0, reader.SkippedRows);
    }

    // The reader accepts URLs too: check it with the same database.
    private string PostgresCluster_Url(string connectionString)
        => fixture.Cluster.Url(new Npgsql.NpgsqlConnectionStringBuilder(connectionString).Database!);
}
