using Npgsql;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>
/// The server goes away in the middle of a batch: the real feature store pipeline with the real sink, and a cluster
/// of its own that the test stops with pg_ctl (immediate: every connection drops) and starts again.
/// </summary>
public sealed class PostgresOutageTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string SinkApplication = "vince-outage-sink";

    [PostgresFact]
    public async Task A_server_crash_mid_batch_keeps_the_cursor_and_after_a_restart_every_record_arrives_exactly_once()
    {
        PostgresCluster cluster = fixture.Cluster;
        string database = await cluster.CreateDatabaseAsync("outage");
        string admin = cluster.ConnectionString(database, pooling: false);
        string sinkConnection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { ApplicationName = SinkApplication, Timeout = 3 }.ConnectionString;

        // The table, plus an audit trigger that records every committed insert and update.
        await using (var setup = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = admin }))
        {
            await setup.InitializeAsync(CancellationToken.None);
        }

        await Db.ExecuteAsync(admin, """
            CREATE TABLE audit (id text NOT NULL, op text NOT NULL);
            CREATE FUNCTION audit_row() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO audit VALUES (NEW.id, TG_OP); RETURN NEW; END $$;
            CREATE TRIGGER audit_row AFTER INSERT OR UPDATE ON plugin_vince.paper_bot_features FOR EACH ROW EXECUTE FUNCTION audit_row();
            """);

        // Another session holds a lock on the table, so the sink's first batch stops inside its transaction
        // (rows already copied to staging, INSERT waiting).
        var locker = new NpgsqlConnection(admin);
        await locker.OpenAsync();
        await using (var begin = new NpgsqlCommand("BEGIN; LOCK TABLE plugin_vince.paper_bot_features IN EXCLUSIVE MODE", locker))
        {
            await begin.ExecuteNonQueryAsync();
        }

        using var dir = new TempDirectory();
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = sinkConnection, CommandTimeout = TimeSpan.FromSeconds(20) });
        var store = new FeatureStore(TestStores.Options(dir.Path, o => o.SinkBatchSize = 200), [sink]);
        var expected = new Dictionary<string, FeatureRecord>();
        try
        {
            await store.StartAsync();
            for (int i = 0; i < 500; i++)
            {
                FeatureRecord decision = Decision($"trade-{i:D3}", BaseTime + i, i % 2 == 0 ? "BTC" : "ETH");
                store.Record(decision);
                expected[decision.Id] = decision;
            }

            for (int i = 0; i < 500; i += 5)
            {
                FeatureRecord complete = Complete($"trade-{i:D3}", BaseTime + i, i % 2 == 0 ? "BTC" : "ETH", pnl: i);
                store.Record(complete);
                expected[complete.Id] = complete;
            }

            await store.FlushAsync();
            string cursorFile = Path.Combine(dir.Path, ".cursors", "postgres.json");
            await TestStores.EventuallyAsync(() => SinkIsWaitingOnTheLockAsync(admin), "the sink's batch to wait on the table lock");
            string? cursorBefore = File.Exists(cursorFile) ? await File.ReadAllTextAsync(cursorFile) : null;

            await cluster.StopAsync("immediate");
            await locker.DisposeAsync();
            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].ConsecutiveFailures >= 2, "the sink to fail while the server is down", 30_000);

            FeatureSinkStatus down = store.GetSinkStatuses()[0];
            Assert.Equal(0, down.Written);
            Assert.True(down.PendingBytes > 0);
            Assert.Equal(cursorBefore, File.Exists(cursorFile) ? await File.ReadAllTextAsync(cursorFile) : null);

            await cluster.StartAsync();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await store.WaitForSinksAsync(timeout.Token);
            }

            Assert.Equal(600, store.GetSinkStatuses()[0].Written);
        }
        finally
        {
            await store.DisposeAsync();
            await locker.DisposeAsync();
        }

        var rows = await Db.RowsAsync(admin);
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach (var (id, record) in expected)
        {
            Db.AssertPayloadAsRecorded(record, rows[id].Payload);
        }

        // Every id was inserted exactly once: nothing of the interrupted transaction was committed, and the retry
        // after the restart did not duplicate anything.
        Assert.Equal(500L, await Db.ScalarAsync<long>(admin, "SELECT count(*) FROM audit WHERE op = 'INSERT'"));
        Assert.Equal(500L, await Db.ScalarAsync<long>(admin, "SELECT count(DISTINCT id) FROM audit WHERE op = 'INSERT'"));
    }

    private static async Task<bool> SinkIsWaitingOnTheLockAsync(string admin)
        => await Db.ScalarAsync<long>(admin, $"SELECT count(*) FROM pg_stat_activity WHERE application_name = '{SinkApplication}' AND wait_event_type = 'Lock'") > 0;
}
