using System.Diagnostics;
using Vince.FeatureStore.Reliability.Tests.Support;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// The Supabase API (the PostgREST stand-in on real PostgreSQL) answers 429 with Retry-After, 503, or drops the
/// connection on every request for 60 s (real time) in the middle of a run, while the bot keeps recording. Afterwards
/// the table holds every id of the JSONL log exactly once with its latest version, and the cursor is at the end.
/// </summary>
public sealed class SupabaseOutageFaultTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const int Versions = 20_000;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(60);

    [PostgresFact]
    public async Task Sixty_seconds_of_429_503_and_dropped_connections_mid_run_lose_nothing()
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture);
        PostgrestStandIn server = supabase.Server;
        SupabaseFeatureSink sink = supabase.Sink(o =>
        {
            o.InitialRetryDelay = TimeSpan.FromMilliseconds(100);
            o.MaxRetryDelay = TimeSpan.FromSeconds(2);
        });

        using var dir = new TempDirectory();
        var store = new FeatureStore(TestStores.Options(dir.Path, o =>
        {
            o.RecordsPerFile = 2_000;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(200);
            o.RetryMaxDelay = TimeSpan.FromSeconds(2);
            o.ShutdownTimeout = TimeSpan.FromSeconds(60);
        }), [sink]);

        var outage = new Stopwatch();
        int faultNumber = 0;
        Fault[] faults = [Fault.Http(429, retryAfter: "1"), Fault.Http(503), Fault.Drop()];
        server.FaultSource = () => outage.IsRunning && outage.Elapsed < Outage
            ? faults[Interlocked.Increment(ref faultNumber) % faults.Length]
            : null;
        DateTimeOffset outageStart, outageEnd;
        try
        {
            await store.StartAsync();
            foreach (FeatureRecord version in TradeStream.Versions("sb", 0, Versions / 2))
            {
                store.Record(version);
            }

            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].Written >= 1_000, "the sink to ship the first records", 60_000);
            outageStart = DateTimeOffset.UtcNow;
            outage.Start();
            foreach (FeatureRecord version in TradeStream.Versions("sb", Versions / 2, Versions))
            {
                store.Record(version);
            }

            await store.FlushAsync();
            await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].ConsecutiveFailures >= 1, "the sink to fail during the outage", 30_000);
            await Task.Delay(Outage - outage.Elapsed + TimeSpan.FromMilliseconds(10));
            outageEnd = DateTimeOffset.UtcNow;
            using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120)))
            {
                await store.WaitForSinksAsync(timeout.Token);
            }

            Assert.Equal(0, store.GetSinkStatuses()[0].ConsecutiveFailures);
        }
        finally
        {
            await store.DisposeAsync();
        }

        // The outage was real: every kind of fault was served, and no write got through while it lasted. A request is
        // logged when answered, so one already in flight when the outage began may be logged just after its start:
        // the outage, as the sink saw it, begins with the first faulted answer (the shipper sends one request at a time).
        List<SeenRequest> all = [.. server.Requests];
        int firstFault = all.FindIndex(r => r.At >= outageStart && r.Status != 201);
        Assert.True(firstFault >= 0, "no request was faulted during the outage");
        List<SeenRequest> during = all.Skip(firstFault).Where(r => r.At < outageEnd).ToList();
        Assert.Contains(during, r => r.Status == 429);
        Assert.Contains(during, r => r.Status == 503);
        Assert.Contains(during, r => r.Status == 0); // dropped
        Assert.DoesNotContain(during, r => r.Status == 201);
        Assert.Contains(server.Requests, r => r.At >= outageEnd && r.Status == 201);

        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(dir.Path);
        (Dictionary<string, string> scanned, int lines, int unreadable) = LogTruth.Scan(dir.Path);
        Assert.Equal(Versions, lines);
        Assert.Equal(0, unreadable);
        Assert.Equal(scanned.Keys.Order(StringComparer.Ordinal), latest.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(Versions - (Versions / 5), latest.Count);
        LogTruth.AssertSinkHoldsLatest(latest, await supabase.RowsAsync(), "supabase");
        LogTruth.AssertCursorCaughtUp(dir.Path, SupabaseOptions.DefaultName);
    }
}
