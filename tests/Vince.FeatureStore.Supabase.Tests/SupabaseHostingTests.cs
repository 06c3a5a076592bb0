using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// <c>.AddSupabase(...)</c> in a real host: the enable/disable rule, the start-up lines, validation, and the whole
/// feature store pipeline shipping to the PostgREST stand-in through rate limits and failures. The environment is a
/// dictionary passed to the registration, so these tests never touch process-wide variables.
/// </summary>
public sealed class SupabaseHostingTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    // The bot's start-up line, its prefix included.
    private const string EnabledLine = "[VinceFeatureStore] Supabase dual-write enabled for ML (table: vince_paper_bot_features)";

    private static Func<string, string?> Env(params (string Name, string Value)[] variables)
    {
        var map = variables.ToDictionary(v => v.Name, v => v.Value, StringComparer.Ordinal);
        return name => map.GetValueOrDefault(name);
    }

    private static IHost BuildHost(string dataDirectory, Func<string, string?> environment, FakeLogCollector logs, Action<SupabaseOptions>? configure = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dataDirectory;
            o.FsyncOnWrite = false;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        SupabaseFeatureStoreBuilderExtensions.Add(store, configure, environment);
        return builder.Build();
    }

    [Theory]
    [InlineData(null, null, "no URL")]
    [InlineData("https://abc.supabase.co", null, "no key")]
    [InlineData(null, "service-key", "no URL")]
    public async Task Without_a_url_and_a_key_no_sink_is_added_and_a_debug_line_says_features_stay_local(string? url, string? key, string reason)
    {
        var variables = new List<(string, string)>();
        if (url is not null)
        {
            variables.Add(("SUPABASE_URL", url));
        }

        if (key is not null)
        {
            variables.Add(("SUPABASE_SERVICE_ROLE_KEY", key));
        }

        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir.Path, Env([.. variables]), logs);
        await host.StartAsync();
        Assert.Empty(host.Services.GetServices<IFeatureSink>());
        await host.StopAsync();

        FakeLogRecord line = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 4001);
        Assert.Equal(LogLevel.Debug, line.Level);
        Assert.Contains("features stay local", line.Message);
        Assert.Contains(reason, line.Message);
        Assert.DoesNotContain(logs.GetSnapshot(), r => r.Id.Id == 4000);
        if (key is not null)
        {
            Assert.All(logs.GetSnapshot(), r => Assert.DoesNotContain(key, r.Message));
        }
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_naming_every_problem()
    {
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, Env(("SUPABASE_URL", "https://abc.supabase.co"), ("SUPABASE_ANON_KEY", "anon")), new FakeLogCollector(),
            o => { o.Table = "Bad-Table"; o.MaxBatchRows = 0; });
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Supabase sink 'supabase': Table must be a lower-case identifier", error.Message);
        Assert.Contains("MaxBatchRows must be between 1 and 10000", error.Message);
    }

    [Fact]
    public async Task An_invalid_SUPABASE_URL_stops_the_host_without_showing_the_key()
    {
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, Env(("SUPABASE_URL", "abc.supabase.co"), ("SUPABASE_SERVICE_ROLE_KEY", SupabaseHarness.ServiceKey)), new FakeLogCollector());
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SUPABASE_URL must be an absolute http(s) URL", error.Message);
        Assert.DoesNotContain(SupabaseHarness.ServiceKey, error.ToString());
    }

    [PostgresFact]
    public async Task The_pipeline_ships_every_record_through_rate_limits_and_failures_and_logs_the_enabled_line_once()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        // The first call is the start-up probe; then the batches meet every kind of fault, and one outage outlasts
        // the sink's own attempts so the pipeline's retry from the cursor takes over.
        h.Server.Faults.Enqueue(Fault.Http(503));
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "1"));
        h.Server.Faults.Enqueue(Fault.Drop());
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(3)));
        for (int i = 0; i < 4; i++)
        {
            h.Server.Faults.Enqueue(Fault.Http(502));
        }

        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "0"));
        h.Server.MaxRequestBytes = 64 * 1024;

        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir.Path, Env(("POSTGRES_URL", "postgresql://postgres:pw@db.abcdefghijklmnopqrst.supabase.co:5432/postgres"),
                ("SUPABASE_URL", h.Server.Url.ToString()), ("SUPABASE_SERVICE_ROLE_KEY", SupabaseHarness.ServiceKey)), logs,
            o => { o.InitialRetryDelay = TimeSpan.FromMilliseconds(10); o.MaxAttempts = 3; o.RequestTimeout = TimeSpan.FromMilliseconds(500); o.MaxBatchRows = 50; });

        await host.StartAsync();
        var store = host.Services.GetRequiredService<FeatureStore>();
        Assert.IsType<SupabaseFeatureSink>(Assert.Single(host.Services.GetServices<IFeatureSink>()));
        var ids = new List<string>();
        for (int i = 0; i < 300; i++)
        {
            string id = store.RecordDecision(i % 3 == 0 ? "ETH" : "BTC", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            store.RecordExecution(id, Execution());
            store.RecordOutcome(id, Win(i));
            ids.Add(id);
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(90)))
        {
            await store.WaitForSinksAsync(timeout.Token);
        }

        Assert.Equal(300, await host.Services.GetRequiredService<SupabaseFeatureReader>().CountCompleteAsync());
        await host.StopAsync();

        var rows = await h.RowsAsync();
        Assert.Equal(ids.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        Assert.All(rows.Values, r => Assert.Contains("\"outcome\"", r.Payload));
        Assert.Empty(h.Server.Faults);
        Assert.Contains(h.Server.Requests, r => r.Status == 429);
        Assert.Contains(h.Server.Requests, r => r.Status == 0);
        Assert.All(h.Posts(), p => Assert.Equal(0, p.DuplicateIds));

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        FakeLogRecord enabled = Assert.Single(records, r => r.Message == EnabledLine);
        Assert.Equal(LogLevel.Information, enabled.Level);
        Assert.Contains(records, r => r.Id.Id == 4003);
        // The HttpClient factory's own trace lines (request headers included) are captured too, and hold no key.
        Assert.Contains(records, r => r.Category?.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal) == true && r.Message.Contains("apikey", StringComparison.Ordinal));
        Assert.All(records, r =>
        {
            Assert.DoesNotContain(SupabaseHarness.ServiceKey, r.Message);
            Assert.DoesNotContain(SupabaseHarness.ServiceKey, r.Exception?.ToString() ?? "");
        });
    }
}
