using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Npgsql;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>The <c>.AddPostgres(...)</c> registrations in a real host. Runs alone: some tests set POSTGRES_URL.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class PostgresHostingTests : IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _fixture;

    public PostgresHostingTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, null);
    }

    private static IHost BuildHost(string dataDirectory, Action<IServiceCollection, FeatureStoreBuilder> configure, FakeLogCollector? logs = null)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.SetMinimumLevel(LogLevel.Trace);
            builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        }

        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dataDirectory;
            o.FsyncOnWrite = false;
            o.RetryInitialDelay = TimeSpan.FromMilliseconds(20);
            o.RetryMaxDelay = TimeSpan.FromMilliseconds(200);
            o.ShutdownTimeout = TimeSpan.FromSeconds(3);
        });
        configure(builder.Services, store);
        return builder.Build();
    }

    /// <summary>Starts the host, records a few trades, stops it (which lets the sinks catch up) and returns the ids.</summary>
    private static async Task<List<string>> RunAsync(IHost host, int trades = 20)
    {
        await host.StartAsync();
        var store = host.Services.GetRequiredService<FeatureStore>();
        var ids = new List<string>();
        for (int i = 0; i < trades; i++)
        {
            string id = store.RecordDecision("BTC", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            store.RecordExecution(id, Execution());
            store.RecordOutcome(id, Win());
            ids.Add(id);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await store.WaitForSinksAsync(timeout.Token);
        return ids;
    }

    [PostgresFact]
    public async Task AddPostgres_with_a_url_ships_every_record_and_registers_a_reader()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("host");
        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres(_fixture.Cluster.Url(database)), logs);
        List<string> ids = await RunAsync(host);

        var reader = host.Services.GetRequiredService<PostgresFeatureReader>();
        Assert.Equal(ids, await reader.ReadRecordsAsync(FeatureQuery.Complete).Select(r => r.Id).ToListAsync());

        // The same reader is the host's IFeatureQuery (what train-when-ready counts complete trades with).
        IFeatureQuery query = host.Services.GetRequiredService<IFeatureQuery>();
        Assert.Same(reader, query);
        Assert.Equal(ids.Count, await query.CountCompleteAsync());
        Assert.Equal(PostgresWriteMode.Copy, host.Services.GetServices<IFeatureSink>().OfType<PostgresFeatureSink>().Single().EffectiveWriteMode);
        await host.StopAsync();

        IReadOnlyList<FakeLogRecord> records = logs.GetSnapshot();
        Assert.Contains(records, r => r.Id.Id == 2000 && r.Message.Contains($"postgres@127.0.0.1:{_fixture.Cluster.Port}/{database}", StringComparison.Ordinal));
        Assert.Contains(records, r => r.Id.Id == 2001);
        Assert.Contains(records, r => r.Id.Id == 2003);
        Assert.DoesNotContain(records, r => r.Message.Contains(PostgresCluster.Password, StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task AddPostgres_without_a_connection_uses_the_NpgsqlDataSource_from_the_services()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("hostds");
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (services, store) =>
        {
            services.AddSingleton(_ => NpgsqlDataSource.Create(_fixture.Cluster.ConnectionString(database)));
            store.AddPostgres(o => o.Table = "from_di");
        });
        List<string> ids = await RunAsync(host);
        await host.StopAsync();
        Assert.Equal(ids.Count, (await Db.RowsAsync(_fixture.Cluster.ConnectionString(database), "plugin_vince.from_di")).Count);
    }

    [PostgresFact]
    public async Task AddPostgres_with_a_data_source_factory_and_two_sinks_side_by_side()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("hostfactory");
        string cs = _fixture.Cluster.ConnectionString(database);
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (services, store) =>
        {
            services.AddKeyedSingleton("features", (_, _) => NpgsqlDataSource.Create(cs));
            store.AddPostgres(sp => sp.GetRequiredKeyedService<NpgsqlDataSource>("features"), o => o.WriteMode = PostgresWriteMode.Unnest);
            store.AddPostgres(cs, o => { o.Name = "postgres-copy"; o.Table = "copy_table"; });
        });
        List<string> ids = await RunAsync(host);
        await host.StopAsync();

        Assert.Equal(ids.Count, (await Db.RowsAsync(cs)).Count);
        Assert.Equal(ids.Count, (await Db.RowsAsync(cs, "plugin_vince.copy_table")).Count);
        Assert.Equal(["postgres", "postgres-copy"], host.Services.GetServices<IFeatureSink>().Select(s => s.Name).Order());
    }

    [PostgresFact]
    public async Task AddPostgres_reads_POSTGRES_URL_when_nothing_else_is_configured()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("hostenv");
        using var dir = new TempDirectory();
        Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, _fixture.Cluster.Url(database));
        try
        {
            using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres());
            List<string> ids = await RunAsync(host);
            await host.StopAsync();
            Assert.Equal(ids.Count, (await Db.RowsAsync(_fixture.Cluster.ConnectionString(database))).Count);
        }
        finally
        {
            Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, null);
        }
    }

    [Fact]
    public async Task Invalid_options_stop_the_host_at_start_naming_every_problem()
    {
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres(o => { o.Table = "Bad-Table"; o.Name = "pg sink"; }));
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("Table must be a lower-case identifier", error.Message);
        Assert.Contains("Name must be 1–100 letters", error.Message);
        Assert.Contains("no connection: set ConnectionString, register an NpgsqlDataSource in the services, or set the POSTGRES_URL environment variable", error.Message);
    }

    [Fact]
    public async Task An_invalid_url_stops_the_host_without_showing_the_password()
    {
        using var dir = new TempDirectory();
        Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, "postgresql://bot:Sup3rSecret@db.internal:notaport/app");
        try
        {
            using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres());
            var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
            Assert.Contains("POSTGRES_URL is invalid", error.Message);
            Assert.Contains("port", error.Message);
            Assert.DoesNotContain("Sup3rSecret", error.ToString());
        }
        finally
        {
            Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, null);
        }
    }

    [PostgresFact]
    public async Task Wrong_credentials_in_a_running_store_are_reported_clearly_and_never_logged()
    {
        const string wrong = "N0t-The-Pa55word";
        string database = await _fixture.Cluster.CreateDatabaseAsync("hostauth");
        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres(_fixture.Cluster.Url(database, password: wrong)), logs);
        await host.StartAsync();
        var store = host.Services.GetRequiredService<FeatureStore>();
        store.RecordDecision("BTC");
        await TestStores.EventuallyAsync(() => store.GetSinkStatuses()[0].ConsecutiveFailures >= 2, "the sink to fail twice", 30_000);

        FeatureSinkStatus status = store.GetSinkStatuses()[0];
        Assert.Contains("could not log in to PostgreSQL at postgres@127.0.0.1", status.LastError);
        Assert.Contains("password authentication failed", status.LastError);
        Assert.True(status.PendingBytes > 0);
        await host.StopAsync();

        foreach (FakeLogRecord record in logs.GetSnapshot())
        {
            Assert.DoesNotContain(wrong, record.Message);
            Assert.DoesNotContain(wrong, record.Exception?.ToString() ?? "");
            Assert.DoesNotContain(PostgresCluster.Password, record.Exception?.ToString() ?? "");
        }

        Assert.Contains(logs.GetSnapshot(), r => r.Exception?.Message.Contains("password authentication failed", StringComparison.Ordinal) == true);
    }
}
