using System.Diagnostics;
using Npgsql;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// PostgreSQL goes down in the middle of a 100k-version run (pg_ctl stop, fast or immediate shutdown) while the bot keeps
/// recording, and comes back 30 s later (real time). Afterwards the table holds every id of the JSONL log exactly once
/// with its latest version and the sink's cursor is at the end of the log. Each mode has its own cluster and class (so its own xUnit collection), so
/// the two run in parallel with each other (and the other long fault tests of this project), mostly waiting.
/// </summary>
public abstract class PostgresShutdownFaultTests(PostgresFixture fixture)
{
    internal const int Versions = 100_000;
    internal static readonly TimeSpan Downtime = TimeSpan.FromSeconds(30);

    protected async Task RunAsync(string mode)
    {
        PostgresCluster cluster = fixture.Cluster;
        string database = await cluster.CreateDatabaseAsync("fault_" + mode);
        string admin = cluster.ConnectionString(database, pooling: false);
        string sinkConnection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { Timeout = 3 }.ConnectionString;

        using var dir = new TempDirectory();
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = sinkConnection, CommandTimeout = TimeSpan.FromSeconds(20) });
        var store = new FeatureStore(TestStores.Options(dir.Path, o =>
        {
            o.RecordsPerFile = 5_000;
            o.QueueCapacity = 20_000;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(100);
            o.RetryMaxDelay = TimeSpan.FromSeconds(2);
            o.ShutdownTimeout = TimeSpan.FromSeconds(60);
        }), [sink]);
        TimeSpan down;
        try
        {
            await store.StartAsync();
            int n = 0;
            // First half, until the sink has shipped some of it: the stop lands while it is busy with the rest.
            foreach (FeatureRecord version in TradeStream.Versions(mode, n, Versions / 2))
            {
                store.Record(version);
            }

            n = Versions / 2;
            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].Written >= 5_000, "the sink to ship the first records", 60_000);
            Assert.True(store.GetSinkStatuses()[0].PendingBytes > 0, "The sink had already shipped everything: the stop would not land mid-run.");

            var outage = Stopwatch.StartNew();
            await cluster.StopAsync(mode);

            // The bot keeps recording while the server is down; the log takes everything.
            foreach (FeatureRecord version in TradeStream.Versions(mode, n, Versions))
            {
                store.Record(version);
            }

            await store.FlushAsync();
            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].ConsecutiveFailures >= 2, "the sink to fail while the server is down", 30_000);
            FeatureSinkStatus failing = store.GetSinkStatuses()[0];
            Assert.NotNull(failing.LastError);
            Assert.True(failing.PendingBytes > 0);

            TimeSpan left = Downtime - outage.Elapsed;
            if (left > TimeSpan.Zero)
            {
                await Task.Delay(left);
            }

            await cluster.StartAsync();
            down = outage.Elapsed;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                await store.WaitForSinksAsync(timeout.Token);
            }

            FeatureSinkStatus recovered = store.GetSinkStatuses()[0];
            Assert.Equal(0, recovered.ConsecutiveFailures);
            Assert.Null(recovered.LastError);
            Assert.Equal(0, recovered.PendingBytes);
        }
        finally
        {
            await store.DisposeAsync();
        }

        Assert.InRange(down, Downtime, Downtime + TimeSpan.FromSeconds(30));
        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(dir.Path);
        (Dictionary<string, string> scanned, int lines, int unreadable) = LogTruth.Scan(dir.Path);
        Assert.Equal(Versions, lines);
        Assert.Equal(0, unreadable);
        Assert.Equal(scanned.Keys.Order(StringComparer.Ordinal), latest.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Versions - (Versions / 5), latest.Count); // every 5th version updates an earlier id

        LogTruth.AssertSinkHoldsLatest(latest, await Db.RowsAsync(admin), "postgres");
        LogTruth.AssertCursorCaughtUp(dir.Path, "postgres");
    }
}

public sealed class PostgresFastShutdownFaultTests(PostgresFixture fixture) : PostgresShutdownFaultTests(fixture), IClassFixture<PostgresFixture>
{
    [PostgresFact]
    public Task Fast_shutdown_mid_run_and_a_restart_30_s_later_leave_every_id_once_with_its_latest_version() => RunAsync("fast");
}

public sealed class PostgresImmediateShutdownFaultTests(PostgresFixture fixture) : PostgresShutdownFaultTests(fixture), IClassFixture<PostgresFixture>
{
    [PostgresFact]
    public Task Immediate_shutdown_mid_run_and_a_restart_30_s_later_leave_every_id_once_with_its_latest_version() => RunAsync("immediate");
}
