using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Health;
using Vince.FeatureStore.Pipeline;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Reliability.Tests.Support;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// A record the table refuses permanently while it takes the others (a CHECK constraint added to the table): the
/// shipper bisects the batch, parks exactly that record with its error in <c>.deadletter/&lt;sink&gt;.jsonl</c> and moves
/// on; the others arrive; health is Degraded and the metric counts it. Once the constraint is dropped, the retry ships it.
/// Real PostgreSQL, and the PostgREST stand-in in front of it for Supabase.
/// </summary>
public sealed class PoisonRecordFaultTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Versions = 300;
    private const string Constraint = "CHECK (payload ->> 'asset' IS DISTINCT FROM 'POISON')";

    [PostgresFact]
    public async Task Postgres_a_refused_record_is_bisected_out_parked_and_shipped_by_the_retry_once_the_constraint_is_gone()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("poison"));
        await Db.ExecuteAsync(cs, PostgresBootstrap.GetSql() + $"ALTER TABLE plugin_vince.paper_bot_features ADD CONSTRAINT no_poison {Constraint};");
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs });
        var counting = new CountingSink(sink);

        (string poisonId, Dictionary<string, FeatureRecord> expected) = await RunWithPoisonAsync(counting, "pg-poison", async () => await Db.RowsAsync(cs), async dir =>
        {
            await Db.ExecuteAsync(cs, "ALTER TABLE plugin_vince.paper_bot_features DROP CONSTRAINT no_poison");
            await using var retrySink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs });
            return await DeadLetterRetry.RunAsync(dir, retrySink, fsync: false, CancellationToken.None);
        });

        // Bisection: far fewer writes than one per record.
        Assert.InRange(counting.Writes, 3, 40);
        var rows = await Db.RowsAsync(cs);
        Assert.Equal(expected.Count, rows.Count);
        Db.AssertPayloadAsRecorded(expected[poisonId], rows[poisonId].Payload);
    }

    [PostgresFact]
    public async Task Supabase_a_record_refused_with_23514_is_parked_and_the_others_arrive()
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture);
        await Db.ExecuteAsync(supabase.ConnectionString, $"ALTER TABLE public.vince_paper_bot_features ADD CONSTRAINT no_poison {Constraint}");
        SupabaseFeatureSink sink = supabase.Sink();

        (string poisonId, Dictionary<string, FeatureRecord> expected) = await RunWithPoisonAsync(sink, "sb-poison", supabase.RowsAsync, async dir =>
        {
            await Db.ExecuteAsync(supabase.ConnectionString, "ALTER TABLE public.vince_paper_bot_features DROP CONSTRAINT no_poison");
            return await DeadLetterRetry.RunAsync(dir, supabase.Sink(), fsync: false, CancellationToken.None);
        });

        var rows = await supabase.RowsAsync();
        Assert.Equal(expected.Count, rows.Count);
        Assert.Contains(supabase.Server.Requests, r => r.Status == 400);
        Db.AssertPayloadAsRecorded(expected[poisonId], rows[poisonId].Payload);
    }

    /// <summary>Records the stream with one poison decision in the middle, checks it was parked alone, then runs <paramref name="fixAndRetry"/>.</summary>
    private static async Task<(string PoisonId, Dictionary<string, FeatureRecord> Expected)> RunWithPoisonAsync(
        IFeatureSink sink,
        string prefix,
        Func<Task<Dictionary<string, (DateTime CreatedAt, string Payload)>>> rows,
        Func<string, Task<DeadLetterRetryReport>> fixAndRetry)
    {
        using var dir = new TempDirectory();
        using var capture = new CapturingLoggerProvider();
        using var metrics = new MetricsCapture();
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Debug));
        string poisonId = TradeStream.Id(prefix, 999_999);
        FeatureRecord poison = TestRecords.Decision(poisonId, TestRecords.BaseTime, "POISON");
        var expected = new Dictionary<string, FeatureRecord>();
        var store = new FeatureStore(TestStores.Options(dir.Path, o => o.SinkBatchSize = 500), [sink], loggers, metrics.Factory);
        try
        {
            await store.StartAsync();
            int n = 0;
            foreach (FeatureRecord version in TradeStream.Versions(prefix, 0, Versions))
            {
                store.Record(version);
                expected[version.Id] = version;
                if (++n == Versions / 2)
                {
                    store.Record(poison);
                }
            }

            expected[poisonId] = poison;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await store.WaitForSinksAsync(timeout.Token);
            }

            FeatureSinkStatus status = store.GetSinkStatuses()[0];
            Assert.False(status.IsBlocked);
            Assert.Equal(0, status.PendingBytes);
            Assert.Equal(1, status.DeadLetters);
            Assert.Equal(Versions, status.Written);

            // Every other id arrived at its latest version; the poison record did not.
            var stored = await rows();
            Assert.Equal(expected.Count - 1, stored.Count);
            Assert.DoesNotContain(poisonId, stored.Keys);

            // Parked alone, with its error and its place in the log, in an owner-only file.
            string path = DeadLetterFile.PathOf(dir.Path, sink.Name);
            DeadLetterContents parked = await new DeadLetterFile(dir.Path, sink.Name, fsync: false).ReadAsync(CancellationToken.None);
            DeadLetter letter = Assert.Single(parked.Letters);
            Assert.Equal(poisonId, letter.Id);
            Assert.Contains("23514", letter.Error);
            Assert.Contains("no_poison", letter.Error);
            Assert.StartsWith("features_", letter.File);
            Assert.Equal("POISON", letter.Record.Asset);
            string line = File.ReadLines(Path.Combine(dir.Path, letter.File)).Single(l => l.Contains(poisonId, StringComparison.Ordinal));
            Assert.Equal(poison.Id, FeatureJson.Deserialize(line).Id);
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(Path.GetDirectoryName(path)!));
            }

            Assert.Single(capture.Logs, l => l.EventId.Id == 1063 && l.Level == LogLevel.Error && l.Message.Contains(poisonId, StringComparison.Ordinal));
            Assert.DoesNotContain(capture.Logs, l => l.EventId.Id == 1060);
            Assert.Equal(1.0, metrics.Sum("vince.featurestore.sink.dead_lettered"));

            HealthCheckResult health = await new FeatureSinkHealthCheck(store, sink.Name, new FeatureStoreHealthCheckOptions()).CheckHealthAsync(new HealthCheckContext());
            Assert.Equal(HealthStatus.Degraded, health.Status);
            Assert.Contains($"deadletter retry --sink {sink.Name}", health.Description);

            // Fixed: the retry ships it and empties the file; health is Healthy again.
            DeadLetterRetryReport report = await fixAndRetry(dir.Path);
            Assert.Equal(1, report.Shipped);
            Assert.Empty(report.Kept);
            Assert.False(File.Exists(path));
            Assert.Equal(HealthStatus.Healthy, (await new FeatureSinkHealthCheck(store, sink.Name, new FeatureStoreHealthCheckOptions()).CheckHealthAsync(new HealthCheckContext())).Status);
            Console.WriteLine($"[poison] {prefix}: recorded {expected.Count} ids ({Versions + 1} versions), in the sink {stored.Count} + 1 after retry, dead-lettered 1, lost 0");
        }
        finally
        {
            await store.DisposeAsync();
        }

        return (poisonId, expected);
    }

    /// <summary>Counts the write calls reaching a real sink (how many the bisection needed).</summary>
    private sealed class CountingSink(IFeatureSink inner) : IFeatureSink
    {
        private int _writes;

        public int Writes => Volatile.Read(ref _writes);

        public string Name => inner.Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => inner.InitializeAsync(cancellationToken);

        public Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _writes);
            return inner.WriteAsync(records, cancellationToken);
        }
    }
}
