using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// Named <c>.AddSupabase(...)</c> registrations and the <see cref="IConfiguration"/> overload: two sinks of one kind ship
/// side by side to their own tables, binding reads every setting, an unknown key stops the start naming its path (also
/// when the sink is off), and a name taken twice stops the start. The environment is a dictionary passed to the registration.
/// </summary>
public sealed class SupabaseNamedSinkTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static IHost BuildHost(string dataDirectory, Action<IServiceCollection, FeatureStoreBuilder> configure)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = dataDirectory;
            o.FsyncOnWrite = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        configure(builder.Services, store);
        return builder.Build();
    }

    [PostgresFact]
    public async Task Two_supabase_sinks_with_their_own_names_ship_to_their_own_tables()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        await PostgrestStandIn.CreateTableAsync(h.ConnectionString, "archive_features");
        IConfiguration configuration = Configuration(
            ("VinceFeatureStore:Archive:Url", h.Server.Url.ToString()),
            ("VinceFeatureStore:Archive:ApiKey", SupabaseHarness.ServiceKey),
            ("VinceFeatureStore:Archive:Table", "archive_features"),
            ("VinceFeatureStore:Archive:MaxBatchRows", "7"));
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (services, store) =>
        {
            store.AddSupabase(h.Server.Url, SupabaseHarness.ServiceKey);
            SupabaseFeatureStoreBuilderExtensions.Add(store, "archive", configure: null, configuration.GetSection("VinceFeatureStore:Archive"), _ => null);
            services.Configure<SupabaseOptions>("archive", o => o.InitialRetryDelay = TimeSpan.FromMilliseconds(5));
        });

        await host.StartAsync();
        var store = host.Services.GetRequiredService<FeatureStore>();
        var ids = new List<string>();
        for (int i = 0; i < 20; i++)
        {
            string id = store.RecordDecision("SOL", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            store.RecordOutcome(id, Win());
            ids.Add(id);
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await store.WaitForSinksAsync(timeout.Token);
        }

        await host.StopAsync();

        Assert.Equal(ids.Order(StringComparer.Ordinal), (await h.RowsAsync()).Keys.Order(StringComparer.Ordinal));
        Assert.Equal(ids.Count, (await Db.RowsAsync(h.ConnectionString, "public.archive_features")).Count);
        Assert.Equal(["archive", "supabase"], host.Services.GetServices<IFeatureSink>().Select(s => s.Name).Order(StringComparer.Ordinal));
        SupabaseOptions archive = host.Services.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get("archive");
        Assert.Equal(7, archive.MaxBatchRows);
        Assert.Equal(TimeSpan.FromMilliseconds(5), archive.InitialRetryDelay);
        Assert.True(File.Exists(Path.Combine(dir.Path, ".cursors", "supabase.json")));
        Assert.True(File.Exists(Path.Combine(dir.Path, ".cursors", "archive.json")));
    }

    [Fact]
    public void The_configuration_overload_binds_every_setting_and_takes_the_name_from_the_section()
    {
        IConfiguration configuration = Configuration(
            ("Supabase:Name", "cloud"),
            ("Supabase:Url", "https://abcdefghijklmnop.supabase.co"),
            ("Supabase:ApiKey", "service-key"),
            ("Supabase:Table", "bot_features"),
            ("Supabase:ModelBucket", "bot-models"),
            ("Supabase:MaxBatchRows", "100"),
            ("Supabase:MaxBatchBytes", "65536"),
            ("Supabase:RequestTimeout", "00:00:10"),
            ("Supabase:MaxAttempts", "3"),
            ("Supabase:InitialRetryDelay", "00:00:00.250"),
            ("Supabase:MaxRetryDelay", "00:00:30"),
            ("Supabase:ReadPageSize", "200"));
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddSupabase(configuration.GetSection("Supabase")));

        SupabaseOptions options = host.Services.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get("cloud");

        Assert.Equal("cloud", Assert.Single(host.Services.GetServices<IFeatureSink>()).Name);
        Assert.Equal(new Uri("https://abcdefghijklmnop.supabase.co"), options.Url);
        Assert.Equal("service-key", options.ApiKey);
        Assert.Equal(("bot_features", "bot-models"), (options.Table, options.ModelBucket));
        Assert.Equal((100, 65536, 3, 200), (options.MaxBatchRows, options.MaxBatchBytes, options.MaxAttempts, options.ReadPageSize));
        Assert.Equal((TimeSpan.FromSeconds(10), TimeSpan.FromMilliseconds(250), TimeSpan.FromSeconds(30)), (options.RequestTimeout, options.InitialRetryDelay, options.MaxRetryDelay));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)] // no URL: no sink is added, yet the misspelt key (maybe the URL's) is still reported
    public async Task A_misspelt_key_stops_the_start_naming_its_full_path(bool enabled)
    {
        var values = new List<(string, string)> { ("VinceFeatureStore:Supabase:Tabel", "features"), ("VinceFeatureStore:Supabase:ApiKey", "service-key") };
        values.Add(enabled ? ("VinceFeatureStore:Supabase:Url", "https://abcdefghijklmnop.supabase.co") : ("VinceFeatureStore:Supabase:Ur1", "https://abcdefghijklmnop.supabase.co"));
        IConfiguration configuration = Configuration([.. values]);
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) =>
            SupabaseFeatureStoreBuilderExtensions.Add(store, name: null, configure: null, configuration.GetSection("VinceFeatureStore:Supabase"), _ => null));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Configuration key 'VinceFeatureStore:Supabase:Tabel' is not a setting of SupabaseOptions", error.Message, StringComparison.Ordinal);
        Assert.Equal(!enabled, error.Message.Contains("'VinceFeatureStore:Supabase:Ur1'", StringComparison.Ordinal));
        Assert.DoesNotContain("service-key", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_name_taken_twice_stops_the_start_with_a_clear_message()
    {
        var url = new Uri("https://abcdefghijklmnop.supabase.co");
        using var dir = new TempDirectory();
        using IHost host = BuildHost(dir.Path, (_, store) => store.AddSupabase(url, "k1", name: "cloud").AddSupabase(url, "k2", o => o.Name = "cloud"));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("2 sinks are named 'cloud' (.AddSupabase, .AddSupabase): give each its own name", error.Message, StringComparison.Ordinal);
    }
}
