using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Reliability.Tests.Support;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Security;

/// <summary>
/// A full run of a host shaped like the sample (the store, a Postgres sink with a password, a Supabase sink with a key,
/// sinks with a wrong password and a wrong key, health checks), through failures that throw: PostgreSQL stopped,
/// 503/429/dropped connections, 401s, a missing bucket. Every log line of every category at every level (Trace
/// included, with exceptions, state and scopes), every exception, every health report, every metrics tag and the
/// options' ToString are searched for the secrets.
/// </summary>
public sealed class SecretLeakTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Key = SupabaseHarness.ServiceKey;
    private const string WrongKey = "sb-wrong-KEY-77aa01c3";
    private const string WrongPassword = "wrong-PG-pass-5e1c;x";

    [PostgresFact]
    public async Task Secrets_never_appear_in_logs_exceptions_health_reports_metrics_tags_or_options_text()
    {
        PostgresCluster cluster = fixture.Cluster;
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture);
        PostgrestStandIn server = supabase.Server;
        string database = new Npgsql.NpgsqlConnectionStringBuilder(supabase.ConnectionString).Database!;
        using var capture = new CapturingLoggerProvider();
        using var metrics = new MetricsCapture();
        var evidence = new StringBuilder(); // exceptions, health reports, metrics tags and ToString texts
        using var dir = new TempDirectory();

        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(capture);
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddFilter((_, _, _) => true);
        builder.Services.AddSingleton<IMeterFactory>(metrics.Factory);
        builder.Services.AddVinceFeatureStore(o =>
            {
                o.DataDirectory = dir.Path;
                o.FsyncOnWrite = false;
                o.RetryInitialDelay = TimeSpan.FromMilliseconds(100);
                o.RetryMaxDelay = TimeSpan.FromMilliseconds(500);
                o.ShutdownTimeout = TimeSpan.FromSeconds(2);
            })
            .AddPostgres(cluster.Url(database))
            .AddPostgres(cluster.Url(database, WrongPassword), o => o.Name = "postgres-wrong")
            .AddSupabase(server.Url, Key, o => o.InitialRetryDelay = TimeSpan.FromMilliseconds(20))
            .AddSupabase(server.Url, WrongKey, o =>
            {
                o.Name = "supabase-wrong";
                o.Table = "vince_paper_bot_features";
            });
        builder.Services.AddHealthChecks().AddVinceFeatureStoreChecks(o => o.UnhealthyConsecutiveFailures = 2);

        server.Faults.Enqueue(Fault.Http(503));
        server.Faults.Enqueue(Fault.Drop());
        server.Faults.Enqueue(Fault.Http(429, retryAfter: "1"));
        using (IHost host = builder.Build())
        {
            await host.StartAsync();
            FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
            HealthCheckService health = host.Services.GetRequiredService<HealthCheckService>();
            foreach (FeatureRecord version in TradeStream.Versions("secret", 0, 300))
            {
                store.Record(version);
            }

            await TestStores.EventuallyAsync(() => Status(store, "postgres").Written > 0 && Status(store, "supabase").Written > 0, "the good sinks to ship", 60_000);
            await TestStores.EventuallyAsync(() => Status(store, "postgres-wrong").ConsecutiveFailures >= 2 && Status(store, "supabase-wrong").ConsecutiveFailures >= 2, "the misconfigured sinks to fail", 60_000);
            Describe(await health.CheckHealthAsync(), evidence);

            // PostgreSQL crashes mid-run: connection failures with exceptions, then it comes back.
            await cluster.StopAsync("immediate");
            try
            {
                foreach (FeatureRecord version in TradeStream.Versions("secret", 300, 400))
                {
                    store.Record(version);
                }

                await store.FlushAsync();
                await TestStores.EventuallyAsync(() => Status(store, "postgres").ConsecutiveFailures >= 2, "the Postgres sink to fail while the server is down", 60_000);
                HealthReport down = await health.CheckHealthAsync();
                Assert.Equal(HealthStatus.Unhealthy, down.Entries["vince-featurestore:sink:postgres"].Status);
                Describe(down, evidence);
            }
            finally
            {
                await cluster.StartAsync();
            }

            await TestStores.EventuallyAsync(() => Status(store, "postgres").PendingBytes == 0 && Status(store, "supabase").PendingBytes == 0, "the good sinks to catch up", 60_000);
            metrics.Collect();
            await host.StopAsync(); // the misconfigured sinks are still behind: logged at the shutdown timeout
        }

        // Exceptions thrown straight to a caller.
        await using (var wrong = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cluster.Url(database, WrongPassword) }))
        {
            evidence.AppendLine((await Assert.ThrowsAnyAsync<Exception>(() => wrong.InitializeAsync(CancellationToken.None))).ToString());
        }

        using (var http = new HttpClient())
        {
            var missingBucket = new SupabaseModelStore(new SupabaseOptions { Url = server.Url, ApiKey = Key }, http, "no-such-bucket");
            evidence.AppendLine((await Assert.ThrowsAsync<SupabaseRequestException>(() => missingBucket.DownloadAsync(dir.File("models")))).ToString());
            var refused = new SupabaseModelStore(new SupabaseOptions { Url = server.Url, ApiKey = WrongKey }, http);
            evidence.AppendLine((await Assert.ThrowsAsync<SupabaseRequestException>(() => refused.DownloadAsync(dir.File("models")))).ToString());
        }

        string badUrl = $"postgresql://postgres:{Uri.EscapeDataString(PostgresCluster.Password)}@127.0.0.1:notaport/db";
        evidence.AppendLine(Assert.ThrowsAny<Exception>(() => PostgresConnectionString.Normalize(badUrl)).ToString());

        // Options as text.
        evidence.AppendLine(new PostgresSinkOptions { ConnectionString = cluster.Url(database) }.ToString());
        evidence.AppendLine(new PostgresSinkOptions { ConnectionString = cluster.ConnectionString(database) }.ToString());
        evidence.AppendLine(new SupabaseOptions { Url = server.Url, ApiKey = Key }.ToString());
        evidence.AppendLine(SupabaseSettings.Resolve(new SupabaseOptions { Url = server.Url, ApiKey = Key }, _ => null).ToString());

        // Metrics: every tag of every measurement and instrument.
        foreach (var measurement in metrics.Measurements)
        {
            evidence.Append(measurement.Name).AppendJoin(';', measurement.Tags.Select(t => $"{t.Key}={t.Value}")).AppendLine();
        }

        string logs = capture.AllText();
        string everything = logs + evidence;

        // The capture really saw the failures and every level: the search below can find something.
        Assert.Contains(capture.Logs, l => l.Level == LogLevel.Trace && l.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
        Assert.Contains(capture.Logs, l => l.EventId.Id == 1060 && l.Message.Contains("postgres-wrong", StringComparison.Ordinal)); // blocked: wrong password
        Assert.Contains(capture.Logs, l => l.EventId.Id == 1064 && l.Exception is not null && l.Message.Contains("postgres-wrong", StringComparison.Ordinal)); // the stack, at Debug
        Assert.Contains(capture.Logs, l => l.EventId.Id == 1064 && l.Exception?.Contains("401", StringComparison.Ordinal) == true);
        Assert.Contains(capture.Logs, l => l.EventId.Id == 4003); // Supabase retrying after 503 / drop / 429
        Assert.Contains(capture.Logs, l => l.EventId.Id == 1007); // behind at shutdown
        Assert.Contains("apikey", logs, StringComparison.OrdinalIgnoreCase); // the header names are logged, their values redacted
        Assert.Contains("could not log in to PostgreSQL", everything, StringComparison.Ordinal);
        Assert.Contains("Unhealthy", evidence.ToString(), StringComparison.Ordinal);
        Assert.Contains("sink=postgres", evidence.ToString(), StringComparison.Ordinal);

        foreach ((string what, string secret) in Secrets())
        {
            int at = everything.IndexOf(secret, StringComparison.Ordinal);
            Assert.True(at < 0, $"The {what} leaked: …{(at < 0 ? "" : everything.Substring(Math.Max(0, at - 200), Math.Min(400, everything.Length - Math.Max(0, at - 200))))}…");
        }
    }

    private static IEnumerable<(string What, string Secret)> Secrets()
    {
        foreach ((string what, string secret) in new[] { ("Postgres password", PostgresCluster.Password), ("wrong Postgres password", WrongPassword), ("Supabase key", Key), ("wrong Supabase key", WrongKey) })
        {
            yield return (what, secret);
            yield return (what + " (URL-encoded)", Uri.EscapeDataString(secret));
            yield return (what + " (base64)", Convert.ToBase64String(Encoding.UTF8.GetBytes(secret)));
        }
    }

    private static FeatureSinkStatus Status(FeatureStore store, string sink) => store.GetSinkStatuses().Single(s => s.Name == sink);

    private static void Describe(HealthReport report, StringBuilder text)
    {
        foreach ((string name, HealthReportEntry entry) in report.Entries)
        {
            text.Append(name).Append(' ').Append(entry.Status).Append(' ').Append(entry.Description).Append(' ').AppendLine(entry.Exception?.ToString());
            foreach ((string key, object value) in entry.Data)
            {
                text.Append("  ").Append(key).Append('=').Append(value).AppendLine();
            }
        }
    }
}
