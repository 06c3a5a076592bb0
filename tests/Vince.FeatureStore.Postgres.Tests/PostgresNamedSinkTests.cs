using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>
/// Named <c>.AddPostgres(...)</c> registrations: the name is the sink's and its options', two sinks of one kind write side
/// by side into their own tables, the <see cref="IConfiguration"/> overload binds and refuses unknown keys, and a name
/// taken twice stops the start. Runs alone: the hosting tests set POSTGRES_URL.
/// </summary>
[Collection(ProcessEnvironment.Name)]
public sealed class PostgresNamedSinkTests : IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _fixture;

    public PostgresNamedSinkTests(PostgresFixture fixture)
    {
        _fixture = fixture;
        Environment.SetEnvironmentVariable(PostgresConnectionString.UrlEnvironmentVariable, null);
    }

    private static IHost BuildHost(string dataDirectory, Action<IServiceCollection, FeatureStoreBuilder> configure)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dataDirectory;
            o.FsyncOnWrite = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(3);
        });
        configure(builder.Services, store);
        return builder.Build();
    }

    private static async Task<List<string>> RunAsync(IHost host, int trades = 12)
    {
        await host.StartAsync();
        var store = host.Services.GetRequiredService<FeatureStore>();
        var ids = new List<string>();
        for (int i = 0; i < trades; i++)
        {
            string id = store.RecordDecision("ETH", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            store.RecordOutcome(id, Win());
            ids.Add(id);
        }

        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await store.WaitForSinksAsync(timeout.Token);
        await host.StopAsync();
        return ids;
    }

    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    [PostgresFact]
    public async Task Two_postgres_sinks_with_their_own_names_write_their_own_tables_and_cursors()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("named");
        string cs = _fixture.Cluster.ConnectionString(database);
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (services, store) =>
        {
            store.AddPostgres(cs);
            store.AddPostgres(cs, name: "archive");
            // The registration's options are the named options "archive".
            services.Configure<PostgresSinkOptions>("archive", o => o.Table = "archive_features");
        });

        List<string> ids = await RunAsync(host);

        Assert.Equal(ids.Count, (await Db.RowsAsync(cs)).Count);
        Assert.Equal(ids.Count, (await Db.RowsAsync(cs, "plugin_vince.archive_features")).Count);
        Assert.Equal(["archive", "postgres"], host.Services.GetServices<IFeatureSink>().Select(s => s.Name).Order(StringComparer.Ordinal));
        IOptionsMonitor<PostgresSinkOptions> options = host.Services.GetRequiredService<IOptionsMonitor<PostgresSinkOptions>>();
        Assert.Equal("archive_features", options.Get("archive").Table);
        Assert.Equal(PostgresSinkOptions.DefaultTable, options.Get(PostgresSinkOptions.DefaultName).Table);
        // The default name keeps the existing cursor file, so an upgraded bot does not re-ship its log.
        Assert.True(File.Exists(Path.Combine(dir.Path, ".cursors", "postgres.json")));
        Assert.True(File.Exists(Path.Combine(dir.Path, ".cursors", "archive.json")));
    }

    [PostgresFact]
    public async Task The_configuration_overload_binds_every_setting_and_takes_the_name_from_the_section()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("bound");
        string cs = _fixture.Cluster.ConnectionString(database);
        IConfiguration configuration = Configuration(
            ("VinceFeatureStore:Postgres:Name", "bound"),
            ("VinceFeatureStore:Postgres:ConnectionString", cs),
            ("VinceFeatureStore:Postgres:Schema", "bound_schema"),
            ("VinceFeatureStore:Postgres:Table", "bound_table"),
            ("VinceFeatureStore:Postgres:WriteMode", "unnest"),
            ("VinceFeatureStore:Postgres:MigrateOnStart", "true"),
            ("VinceFeatureStore:Postgres:CommandTimeout", "00:00:20"));
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres(configuration.GetSection("VinceFeatureStore:Postgres")));

        List<string> ids = await RunAsync(host);

        Assert.Equal(ids.Count, (await Db.RowsAsync(cs, "bound_schema.bound_table")).Count);
        PostgresFeatureSink sink = Assert.IsType<PostgresFeatureSink>(Assert.Single(host.Services.GetServices<IFeatureSink>()));
        Assert.Equal("bound", sink.Name);
        Assert.Equal(PostgresWriteMode.Unnest, sink.EffectiveWriteMode);
        Assert.Equal(TimeSpan.FromSeconds(20), host.Services.GetRequiredService<IOptionsMonitor<PostgresSinkOptions>>().Get("bound").CommandTimeout);
    }

    [Fact]
    public async Task A_misspelt_key_stops_the_start_naming_its_full_path()
    {
        using var dir = new TempDirectory();
        IConfiguration configuration = Configuration(
            ("VinceFeatureStore:DataDirectory", dir.Path),
            ("VinceFeatureStore:Postgres:ConnectionString", "Host=127.0.0.1;Port=1;Username=u;Database=d"),
            ("VinceFeatureStore:Postgres:Tabel", "features"));
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddVinceFeatureStore(configuration.GetSection("VinceFeatureStore")).AddPostgres(configuration.GetSection("VinceFeatureStore:Postgres"));
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Configuration key 'VinceFeatureStore:Postgres:Tabel' is not a setting of PostgresSinkOptions", error.Message, StringComparison.Ordinal);
        // The sink's own section inside the store's is bound by .AddPostgres, so the store does not call it unknown.
        Assert.DoesNotContain("'VinceFeatureStore:Postgres' is not a setting", error.Message, StringComparison.Ordinal);
        Assert.Single(error.Failures, f => f.Contains("is not a setting", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_name_taken_twice_stops_the_start_with_a_clear_message()
    {
        const string cs = "Host=127.0.0.1;Port=1;Username=u;Database=d";
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddPostgres(cs, name: "pg").AddPostgres(cs, o => o.Name = "pg"));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("2 sinks are named 'pg' (.AddPostgres, .AddPostgres): give each its own name", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Name_option_that_contradicts_the_registration_name_stops_the_start()
    {
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (services, store) =>
        {
            store.AddPostgres("Host=127.0.0.1;Port=1;Username=u;Database=d", name: "live");
            services.Configure<PostgresSinkOptions>("live", o => o.Name = "other");
        });

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Name 'other' differs from the registration's name 'live'", error.Message, StringComparison.Ordinal);
    }
}
