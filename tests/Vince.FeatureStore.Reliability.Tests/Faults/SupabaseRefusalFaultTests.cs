using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Reliability.Tests.Support;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// The PostgREST stand-in (on real PostgreSQL) answers every request with one status for a while. 401, 403, 404 and 501
/// are permanent: the sink is blocked (one error, no retry storm) and resumes when the answers are good again. 429 and
/// 503 are transient: retried with one warning line each, never blocked. Either way every id arrives at its latest version.
/// </summary>
public sealed class SupabaseRefusalFaultTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Versions = 200;

    [PostgresTheory]
    [InlineData(401, true)]
    [InlineData(403, true)]
    [InlineData(404, true)]
    [InlineData(501, true)]
    [InlineData(429, false)]
    [InlineData(503, false)]
    public async Task A_refusing_status_blocks_the_sink_or_is_retried_and_nothing_is_lost(int status, bool permanent)
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture);
        using var capture = new CapturingLoggerProvider();
        using ILoggerFactory loggers = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Debug));
        bool refusing = true;
        supabase.Server.FaultSource = () => Volatile.Read(ref refusing) ? Fault.Http(status) : null;
        SupabaseFeatureSink sink = supabase.Sink(o => o.MaxAttempts = 2, loggers.CreateLogger<SupabaseFeatureSink>());
        using var dir = new TempDirectory();
        var store = new FeatureStore(TestStores.Options(dir.Path, o =>
        {
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(100);
        }), [sink], loggers);
        try
        {
            await store.StartAsync();
            foreach (FeatureRecord version in TradeStream.Versions("sb-" + status, 0, Versions))
            {
                store.Record(version);
            }

            await store.FlushAsync();
            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].ConsecutiveFailures >= 5, "the sink to fail a few times", 30_000);
            FeatureSinkStatus failing = store.GetSinkStatuses()[0];
            Assert.Equal(permanent, failing.IsBlocked);
            Assert.Contains(status.ToString(System.Globalization.CultureInfo.InvariantCulture), failing.LastError);
            List<CapturedLog> logs = [.. capture.Logs];
            if (permanent)
            {
                Assert.Single(logs, l => l.EventId.Id == 1060 && l.Level == LogLevel.Error);
                Assert.DoesNotContain(logs, l => l.EventId.Id == 1003);
                Assert.DoesNotContain(logs, l => l.EventId.Id == 4003); // a permanent answer is not retried inside the write either
            }
            else
            {
                Assert.DoesNotContain(logs, l => l.EventId.Id == 1060);
                Assert.Contains(logs, l => l.EventId.Id == 1003);
            }

            // One line per transient retry, with the stack at Debug only; the sink is named once.
            Assert.DoesNotContain(logs, l => l.Level >= LogLevel.Information && l.Exception is not null);
            Assert.DoesNotContain(logs, l => l.Message.Contains("Supabase sink Supabase sink", StringComparison.Ordinal));
            Assert.All(logs.Where(l => l.EventId.Id == 1003), l => Assert.DoesNotContain('\n', l.Message));

            Volatile.Write(ref refusing, false);
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                await store.WaitForSinksAsync(timeout.Token);
            }

            Assert.False(store.GetSinkStatuses()[0].IsBlocked);
            var expected = TradeStream.Versions("sb-" + status, 0, Versions).GroupBy(v => v.Id).ToDictionary(g => g.Key, g => g.Last());
            var rows = await supabase.RowsAsync();
            Assert.Equal(expected.Count, rows.Count);
            foreach ((string id, FeatureRecord version) in expected)
            {
                Db.AssertPayloadAsRecorded(version, rows[id].Payload);
            }
        }
        finally
        {
            await store.DisposeAsync();
        }
    }
}
