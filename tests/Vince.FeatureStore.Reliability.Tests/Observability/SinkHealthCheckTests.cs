using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Npgsql;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.Observability;

/// <summary>
/// The health checks of <c>.AddHealthChecks().AddVinceFeatureStoreChecks()</c> through the host's HealthCheckService:
/// a stalled sink turns Degraded by records and by time behind the log, a real failing sink (PostgreSQL stopped)
/// turns Degraded then Unhealthy with its error, and both come back to Healthy.
/// </summary>
public sealed class SinkHealthCheckTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task A_stalled_sink_is_degraded_once_more_records_than_the_limit_wait_and_healthy_when_it_catches_up()
    {
        using var dir = new TempDirectory();
        var stalled = new RecordingSink("stalled") { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        var fine = new RecordingSink("fine");
        using IHost host = Host(dir.Path, [stalled, fine], o => o.DegradedPendingRecords = 10);
        await host.StartAsync();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();

        HealthReport initial = await health.CheckHealthAsync();
        Assert.Equal(["vince-featurestore:log", "vince-featurestore:sink:fine", "vince-featurestore:sink:stalled"], initial.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(HealthStatus.Healthy, initial.Status);

        for (int i = 0; i < 10; i++)
        {
            store.Record(TestRecords.Decision($"r{i}"));
        }

        await store.FlushAsync();
        await TestStores.EventuallyAsync(() => fine.Received.Count == 10, "the working sink to ship");
        HealthReport ten = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, ten.Entries["vince-featurestore:sink:stalled"].Status); // 10 is not more than 10
        Assert.Equal(10L, ten.Entries["vince-featurestore:sink:stalled"].Data["pendingRecords"]);

        store.Record(TestRecords.Decision("r10"));
        await store.FlushAsync();
        HealthReport eleven = await health.CheckHealthAsync();
        HealthReportEntry behind = eleven.Entries["vince-featurestore:sink:stalled"];
        Assert.Equal(HealthStatus.Degraded, behind.Status);
        Assert.Contains("more than 10 record version(s) behind", behind.Description, StringComparison.Ordinal);
        Assert.Equal(HealthStatus.Degraded, eleven.Status);
        Assert.Equal(HealthStatus.Healthy, eleven.Entries["vince-featurestore:sink:fine"].Status);
        Assert.Equal(HealthStatus.Healthy, eleven.Entries["vince-featurestore:log"].Status);

        stalled.Gate.SetResult();
        await store.WaitForSinksAsync();
        HealthReport after = await health.CheckHealthAsync();
        Assert.Equal(HealthStatus.Healthy, after.Status);
        Assert.Equal(0L, after.Entries["vince-featurestore:sink:stalled"].Data["pendingRecords"]);
        await host.StopAsync();
    }

    [Fact]
    public async Task A_sink_whose_oldest_unshipped_data_is_older_than_the_lag_limit_is_degraded()
    {
        using var dir = new TempDirectory();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 1, 22, 12, 0, 0, TimeSpan.Zero));
        var stalled = new RecordingSink("stalled") { Gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously) };
        using IHost host = Host(dir.Path, [stalled], o => o.DegradedLag = TimeSpan.FromMinutes(2), time);
        await host.StartAsync();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();

        store.Record(TestRecords.Decision("first"));
        await store.FlushAsync();
        time.Advance(TimeSpan.FromSeconds(90));
        store.Record(TestRecords.Decision("second"));
        await store.FlushAsync();
        HealthReportEntry young = (await health.CheckHealthAsync()).Entries["vince-featurestore:sink:stalled"];
        Assert.Equal(HealthStatus.Healthy, young.Status);
        Assert.Equal(90.0, young.Data["lagSeconds"]);
        Assert.Equal(TimeSpan.FromSeconds(90), store.GetSinkStatuses()[0].Lag);

        time.Advance(TimeSpan.FromSeconds(31)); // the first record has now waited 121 s
        HealthReportEntry old = (await health.CheckHealthAsync()).Entries["vince-featurestore:sink:stalled"];
        Assert.Equal(HealthStatus.Degraded, old.Status);
        Assert.Equal(121.0, old.Data["lagSeconds"]);
        Assert.Contains("121 s old (limit 120 s)", old.Description, StringComparison.Ordinal);

        stalled.Gate.SetResult();
        await store.WaitForSinksAsync();
        HealthReportEntry caughtUp = (await health.CheckHealthAsync()).Entries["vince-featurestore:sink:stalled"];
        Assert.Equal(HealthStatus.Healthy, caughtUp.Status);
        Assert.Equal(0.0, caughtUp.Data["lagSeconds"]);
        await host.StopAsync();
    }

    [PostgresFact]
    public async Task A_sink_failing_against_a_stopped_PostgreSQL_is_degraded_then_unhealthy_with_its_error_and_healthy_again_after_the_restart()
    {
        PostgresCluster cluster = fixture.Cluster;
        string database = await cluster.CreateDatabaseAsync("health");
        string connection = new NpgsqlConnectionStringBuilder(cluster.ConnectionString(database)) { Timeout = 2 }.ConnectionString;
        using var dir = new TempDirectory();
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dir.Path;
            o.FsyncOnWrite = false;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(200);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(400);
        }).AddPostgres(connection);
        builder.Services.AddHealthChecks().AddVinceFeatureStoreChecks(o => o.UnhealthyConsecutiveFailures = 4);
        using IHost host = builder.Build();
        await host.StartAsync();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();
        try
        {
            store.Record(TestRecords.Decision("before"));
            await store.WaitForSinksAsync();
            Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);

            await cluster.StopAsync("fast");
            store.Record(TestRecords.Decision("during"));
            await store.FlushAsync();

            // Failures 1–3 are Degraded (retrying), the 4th makes it Unhealthy.
            var seen = new List<(HealthStatus Status, int Failures)>();
            await TestStores.EventuallyAsync(async () =>
            {
                HealthReportEntry entry = (await health.CheckHealthAsync()).Entries["vince-featurestore:sink:postgres"];
                seen.Add((entry.Status, (int)entry.Data["consecutiveFailures"]));
                return entry.Status == HealthStatus.Unhealthy;
            }, "the Postgres sink to become unhealthy", 60_000);
            Assert.All(seen, s => Assert.Equal(s.Failures switch { 0 => HealthStatus.Healthy, < 4 => HealthStatus.Degraded, _ => HealthStatus.Unhealthy }, s.Status));
            Assert.Contains(seen, s => s.Status == HealthStatus.Degraded);

            HealthReport down = await health.CheckHealthAsync();
            HealthReportEntry failing = down.Entries["vince-featurestore:sink:postgres"];
            Assert.Equal(HealthStatus.Unhealthy, down.Status);
            Assert.StartsWith("Sink postgres failed ", failing.Description, StringComparison.Ordinal);
            Assert.Contains("could not reach PostgreSQL at postgres@127.0.0.1", (string)failing.Data["lastError"], StringComparison.Ordinal);
            Assert.Contains((string)failing.Data["lastError"], failing.Description, StringComparison.Ordinal);
            Assert.Equal(1L, failing.Data["pendingRecords"]);
            Assert.Equal(HealthStatus.Healthy, down.Entries["vince-featurestore:log"].Status);
        }
        finally
        {
            await cluster.StartAsync();
        }

        await store.WaitForSinksAsync();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Status);
        await host.StopAsync();
    }

    [Fact]
    public async Task The_log_check_is_unhealthy_before_start_and_after_stop()
    {
        using var dir = new TempDirectory();
        using IHost host = Host(dir.Path, [], null);
        HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();
        Assert.Equal(HealthStatus.Unhealthy, (await health.CheckHealthAsync()).Entries["vince-featurestore:log"].Status);
        await host.StartAsync();
        Assert.Equal(HealthStatus.Healthy, (await health.CheckHealthAsync()).Entries["vince-featurestore:log"].Status);
        await host.StopAsync();
        HealthReportEntry stopped = (await health.CheckHealthAsync()).Entries["vince-featurestore:log"];
        Assert.Equal(HealthStatus.Unhealthy, stopped.Status);
        Assert.Contains("not running", stopped.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalid_thresholds_fail_the_host_start_naming_each_option()
    {
        using var dir = new TempDirectory();
        using IHost host = Host(dir.Path, [], o =>
        {
            o.DegradedPendingRecords = 0;
            o.DegradedLag = TimeSpan.Zero;
            o.UnhealthyConsecutiveFailures = -1;
            o.DegradedQueueFill = 1.5;
        });
        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        foreach (string option in new[] { "DegradedPendingRecords", "DegradedLag", "UnhealthyConsecutiveFailures", "DegradedQueueFill" })
        {
            Assert.Contains(option, error.Message, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_checks_need_the_feature_store_and_say_so()
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddHealthChecks().AddVinceFeatureStoreChecks();
        using ServiceProvider provider = services.BuildServiceProvider();
        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<HealthCheckService>());
        Assert.Contains("AddVinceFeatureStore", error.Message, StringComparison.Ordinal);
    }

    private static IHost Host(string directory, IFeatureSink[] sinks, Action<FeatureStoreHealthCheckOptions>? health, TimeProvider? time = null)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        FeatureStoreBuilder features = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = directory;
            o.FsyncOnWrite = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        foreach (IFeatureSink sink in sinks)
        {
            features.AddSink(sink);
        }

        builder.Services.AddHealthChecks().AddVinceFeatureStoreChecks(health);
        return builder.Build();
    }
}
