using System.Globalization;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>Retry waits on an injected fake clock: Retry-After (seconds and HTTP date) and exponential backoff.</summary>
public sealed class SupabaseRetryTimingTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static async Task WaitForTimerAsync(RecordingTimeProvider time, TimeSpan dueTime)
        => await TestStores.EventuallyAsync(() => time.DueTimes.Contains(dueTime), $"a {dueTime} wait", 10_000);

    [PostgresFact]
    public async Task A_429_with_Retry_After_seconds_waits_exactly_that_long()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "7"));
        var time = new RecordingTimeProvider();
        Task write = h.Sink(time: time).WriteAsync([Decision("x")], CancellationToken.None);

        await WaitForTimerAsync(time, TimeSpan.FromSeconds(7));
        time.Advance(TimeSpan.FromSeconds(7) - TimeSpan.FromMilliseconds(1));
        await Task.Delay(200);
        Assert.False(write.IsCompleted);
        Assert.Single(h.Posts());

        time.Advance(TimeSpan.FromMilliseconds(1));
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([429, 201], h.Posts().Select(p => p.Status));
        Assert.Single(await h.RowsAsync());
    }

    [PostgresFact]
    public async Task A_503_with_Retry_After_as_an_http_date_waits_until_that_date()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        var time = new RecordingTimeProvider();
        h.Server.Faults.Enqueue(Fault.Http(503, retryAfter: time.GetUtcNow().AddSeconds(20).ToString("R", CultureInfo.InvariantCulture)));
        Task write = h.Sink(time: time).WriteAsync([Decision("x")], CancellationToken.None);

        await WaitForTimerAsync(time, TimeSpan.FromSeconds(20));
        time.Advance(TimeSpan.FromSeconds(19));
        await Task.Delay(200);
        Assert.False(write.IsCompleted);
        time.Advance(TimeSpan.FromSeconds(1));
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([503, 201], h.Posts().Select(p => p.Status));
    }

    [PostgresFact]
    public async Task Without_Retry_After_the_wait_doubles_per_attempt()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(503));
        h.Server.Faults.Enqueue(Fault.Http(502));
        var time = new RecordingTimeProvider();
        SupabaseFeatureSink sink = h.Sink(o => o.InitialRetryDelay = TimeSpan.FromSeconds(2), time: time);
        sink.Client.Random = () => 1.0; // no jitter: exactly initial·2^(n−1)
        Task write = sink.WriteAsync([Decision("x")], CancellationToken.None);

        await WaitForTimerAsync(time, TimeSpan.FromSeconds(2));
        time.Advance(TimeSpan.FromSeconds(2));
        await WaitForTimerAsync(time, TimeSpan.FromSeconds(4));
        time.Advance(TimeSpan.FromSeconds(4));
        await write.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal([503, 502, 201], h.Posts().Select(p => p.Status));
    }

    [PostgresFact]
    public async Task A_Retry_After_longer_than_MaxRetryDelay_ends_the_write_as_transient()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "120"));
        var time = new RecordingTimeProvider();
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(
            () => h.Sink(o => o.MaxRetryDelay = TimeSpan.FromSeconds(60), time: time).WriteAsync([Decision("x")], CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Contains("asked to wait 120 s (Retry-After)", error.Message);
        Assert.Single(h.Posts());
    }

    [PostgresFact]
    public async Task Cancellation_during_a_retry_wait_stops_the_write()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "30"));
        var time = new RecordingTimeProvider();
        using var cts = new CancellationTokenSource();
        Task write = h.Sink(time: time).WriteAsync([Decision("x")], cts.Token);
        await WaitForTimerAsync(time, TimeSpan.FromSeconds(30));
        await cts.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => write);
        Assert.Single(h.Posts());
    }
}
