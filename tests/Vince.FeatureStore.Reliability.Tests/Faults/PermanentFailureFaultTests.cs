using System.Diagnostics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Npgsql;
using Vince.FeatureStore.Health;
using Vince.FeatureStore.Pipeline;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// Permanent failures on a real PostgreSQL: a wrong password, a table another program created that cannot take the
/// rows (varchar(20) id, no primary key, an extra NOT NULL column), a missing table with MigrateOnStart off, missing
/// grants. Each blocks the sink with one error line that says what to fix and an Unhealthy check with the same text;
/// once fixed the sink resumes from its cursor and the table ends with every id of the log at its latest version.
/// </summary>
public sealed class PermanentFailureFaultTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Versions = 400;

    [PostgresFact]
    public async Task A_wrong_password_blocks_the_sink_quietly_and_it_resumes_with_nothing_skipped_once_fixed()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("pw");
        string admin = fixture.Cluster.ConnectionString(database);
        await Db.ExecuteAsync(admin, $"CREATE ROLE bot_{database} LOGIN PASSWORD 'old-pass'; GRANT ALL ON DATABASE {database} TO bot_{database}");
        var connection = new NpgsqlConnectionStringBuilder(admin) { Username = $"bot_{database}", Password = "new-pass" };

        await using var run = await BlockedRun.StartAsync(connection.ConnectionString, "pw");
        string reason = await run.WaitBlockedAsync();
        Assert.Contains("could not log in to PostgreSQL", reason);
        Assert.Contains("28P01", reason);
        Assert.Contains("Check the user name and password", reason);
        Assert.DoesNotContain("new-pass", run.Capture.AllText());

        // Blocked for a while: one error, a few reminders at most, many quiet probes, no stack traces above Debug.
        await Task.Delay(TimeSpan.FromSeconds(2.5));
        run.AssertQuietlyBlocked(reason);

        await Db.ExecuteAsync(admin, $"ALTER ROLE bot_{database} PASSWORD 'new-pass'");
        await run.AssertRecoversWithNothingSkippedAsync(admin, "plugin_vince.paper_bot_features");
    }

    public static TheoryData<string, string, string, string> IncompatibleTables => new()
    {
        {
            "varchar-id",
            "CREATE TABLE plugin_vince.paper_bot_features (id varchar(20) PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL)",
            "id is character varying(20), which cannot hold ids of up to 256 characters",
            "ALTER TABLE plugin_vince.paper_bot_features ALTER COLUMN id TYPE text"
        },
        {
            "no-primary-key",
            "CREATE TABLE plugin_vince.paper_bot_features (id text NOT NULL, created_at timestamptz NOT NULL, payload jsonb NOT NULL)",
            "id is not the primary key",
            "ALTER TABLE plugin_vince.paper_bot_features ADD PRIMARY KEY (id)"
        },
        {
            "extra-not-null",
            "CREATE TABLE plugin_vince.paper_bot_features (id text PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL, strategy text NOT NULL)",
            "column strategy is NOT NULL without a default",
            "ALTER TABLE plugin_vince.paper_bot_features ALTER COLUMN strategy DROP NOT NULL"
        },
    };

    [PostgresTheory]
    [MemberData(nameof(IncompatibleTables))]
    public async Task A_table_that_cannot_take_the_rows_blocks_the_sink_with_what_it_needs_and_it_resumes_once_altered(string name, string create, string problem, string fix)
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("shape");
        string cs = fixture.Cluster.ConnectionString(database);
        await Db.ExecuteAsync(cs, "CREATE SCHEMA plugin_vince; " + create);

        await using var run = await BlockedRun.StartAsync(cs, "incompatible-" + name);
        string reason = await run.WaitBlockedAsync();
        Assert.Contains(problem, reason);
        Assert.Contains("id text primary key, created_at timestamptz not null, payload jsonb not null", reason);
        Assert.Contains(fix, reason); // the advice is the statement that fixes it
        Assert.Empty(await Db.RowsAsync(cs));
        await Task.Delay(TimeSpan.FromSeconds(1.5));
        run.AssertQuietlyBlocked(reason);

        await Db.ExecuteAsync(cs, fix);
        await run.AssertRecoversWithNothingSkippedAsync(cs, "plugin_vince.paper_bot_features");
        Assert.Equal(0, run.Status.DeadLetters);
    }

    [PostgresFact]
    public async Task A_missing_table_and_then_missing_grants_block_the_sink_until_created_and_granted()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("grant");
        string admin = fixture.Cluster.ConnectionString(database);
        string role = $"writer_{database}";
        await Db.ExecuteAsync(admin, $"CREATE ROLE {role} LOGIN PASSWORD 'writer-pass'");
        var connection = new NpgsqlConnectionStringBuilder(admin) { Username = role, Password = "writer-pass" };

        await using var run = await BlockedRun.StartAsync(connection.ConnectionString, "grant", migrate: false);
        string reason = await run.WaitBlockedAsync();
        Assert.Contains("does not exist and MigrateOnStart is off", reason);

        // The owner creates the table (as the bootstrap SQL does) but grants only the schema: still blocked, with the new reason.
        await Db.ExecuteAsync(admin, PostgresBootstrap.GetSql() + $"GRANT USAGE ON SCHEMA plugin_vince TO {role};");
        await TestStores.EventuallyAsync(() => run.Status.LastError?.Contains("42501", StringComparison.Ordinal) == true, "the sink to report the missing grant", 30_000);
        Assert.True(run.Status.IsBlocked);
        Assert.Contains("Grant the sink's user INSERT, UPDATE and SELECT", run.Status.LastError);
        // A changed reason is reported at once (the status may show it a moment before the log line is written).
        await TestStores.EventuallyAsync(() => run.Capture.Logs.Any(l => l.EventId.Id == 1061 && l.Message.Contains("42501", StringComparison.Ordinal)), "the changed reason to be logged", 10_000);
        Assert.Single(run.Capture.Logs, l => l.EventId.Id == 1060);

        await Db.ExecuteAsync(admin, $"GRANT SELECT, INSERT, UPDATE ON plugin_vince.paper_bot_features TO {role}");
        await run.AssertRecoversWithNothingSkippedAsync(admin, "plugin_vince.paper_bot_features");
    }

    [Fact]
    public void The_reminder_interval_is_validated()
    {
        IReadOnlyList<string> errors = new FeatureStoreOptions { BlockedReminderInterval = TimeSpan.FromMilliseconds(500) }.Validate();
        Assert.Contains(errors, e => e.Contains(nameof(FeatureStoreOptions.BlockedReminderInterval), StringComparison.Ordinal));
        Assert.Empty(new FeatureStoreOptions { BlockedReminderInterval = TimeSpan.FromSeconds(1) }.Validate());
    }

    /// <summary>A store with one Postgres sink that records <see cref="Versions"/> versions and is expected to block.</summary>
    private sealed class BlockedRun : IAsyncDisposable
    {
        private readonly TempDirectory _dir = new();
        private readonly ILoggerFactory _loggers;
        private readonly PostgresFeatureSink _sink;
        private readonly string _prefix;
        private FeatureStore _store = null!;

        private BlockedRun(string connectionString, string prefix, bool migrate)
        {
            _prefix = prefix;
            _loggers = LoggerFactory.Create(b => b.AddProvider(Capture).SetMinimumLevel(LogLevel.Trace));
            _sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = connectionString, MigrateOnStart = migrate }, _loggers.CreateLogger<PostgresFeatureSink>());
        }

        public CapturingLoggerProvider Capture { get; } = new();

        public FeatureSinkStatus Status => _store.GetSinkStatuses()[0];

        public static async Task<BlockedRun> StartAsync(string connectionString, string prefix, bool migrate = true)
        {
            var run = new BlockedRun(connectionString, prefix, migrate);
            run._store = new FeatureStore(TestStores.Options(run._dir.Path, o =>
            {
                o.SinkBatchSize = 100;
                o.RetryInitialDelay = TimeSpan.FromMilliseconds(20);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
                o.BlockedReminderInterval = TimeSpan.FromSeconds(1);
            }), [run._sink], run._loggers);
            await run._store.StartAsync();
            foreach (FeatureRecord version in TradeStream.Versions(prefix, 0, Versions))
            {
                run._store.Record(version);
            }

            await run._store.FlushAsync();
            return run;
        }

        public async Task<string> WaitBlockedAsync()
        {
            await TestStores.EventuallyAsync(() => Status.IsBlocked && Capture.Logs.Any(l => l.EventId.Id == 1060), "the sink to be blocked", 30_000);
            string reason = Status.LastError!;
            HealthCheckResult health = await CheckHealthAsync();
            Assert.Equal(HealthStatus.Unhealthy, health.Status);
            Assert.Equal($"Sink {Status.Name} is blocked: {reason}", health.Description);
            Assert.Contains(reason, Capture.Logs.Single(l => l.EventId.Id == 1060).Message);
            return reason;
        }

        public void AssertQuietlyBlocked(string reason)
        {
            List<CapturedLog> logs = [.. Capture.Logs.Where(l => l.Category.StartsWith("Vince.FeatureStore", StringComparison.Ordinal))];
            Assert.Single(logs, l => l.EventId.Id == 1060 && l.Level == LogLevel.Error);
            int probes = logs.Count(l => l.EventId.Id == 1064);
            int reminders = logs.Count(l => l.EventId.Id == 1061);
            Assert.True(probes >= 8, $"only {probes} probe(s)");
            Assert.True(reminders <= 3, $"{reminders} reminders in a few seconds with a 1 s interval");
            Assert.DoesNotContain(logs, l => l.EventId.Id == 1003);
            Assert.DoesNotContain(logs, l => l.Level >= LogLevel.Information && l.Exception is not null);
            Assert.True(Status.IsBlocked);
            Assert.Equal(reason, Status.LastError);
        }

        public async Task AssertRecoversWithNothingSkippedAsync(string adminConnectionString, string table)
        {
            var fixedAt = Stopwatch.StartNew();
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await _store.WaitForSinksAsync(timeout.Token);
            }

            TimeSpan recovery = fixedAt.Elapsed;
            Assert.False(Status.IsBlocked);
            Assert.Equal(0, Status.PendingBytes);
            Assert.Single(Capture.Logs, l => l.EventId.Id == 1062);
            Assert.Equal(HealthStatus.Healthy, (await CheckHealthAsync()).Status);

            Dictionary<string, FeatureRecord> expected = [];
            foreach (FeatureRecord version in TradeStream.Versions(_prefix, 0, Versions))
            {
                expected[version.Id] = version;
            }

            var rows = await Db.RowsAsync(adminConnectionString, table);
            Assert.Equal(expected.Count, rows.Count);
            foreach ((string id, FeatureRecord version) in expected)
            {
                Db.AssertPayloadAsRecorded(version, rows[id].Payload);
            }

            Assert.False(File.Exists(DeadLetterFile.PathOf(_dir.Path, Status.Name)));
            Console.WriteLine($"[permanent-failure] {_prefix}: recorded {Versions}, in the sink {rows.Count} ids (all latest), dead-lettered 0, recovered {recovery.TotalMilliseconds:F0} ms after the fix");
        }

        private Task<HealthCheckResult> CheckHealthAsync()
            => new FeatureSinkHealthCheck(_store, Status.Name, new FeatureStoreHealthCheckOptions()).CheckHealthAsync(new HealthCheckContext());

        public async ValueTask DisposeAsync()
        {
            await _store.DisposeAsync();
            await _sink.DisposeAsync();
            _loggers.Dispose();
            Capture.Dispose();
            _dir.Dispose();
        }
    }
}
