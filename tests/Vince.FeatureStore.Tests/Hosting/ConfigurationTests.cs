using System.Reflection;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Hosting;

/// <summary>
/// Configuration of the core package: unknown keys of a bound section fail the start naming their full path, the
/// health checks take a name (their options are named options), two registrations of one name fail the start, and
/// <see cref="VinceEnvironment"/> lists every variable once.
/// </summary>
public sealed class ConfigurationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private static IConfiguration Configuration(params (string Key, string Value)[] values)
        => new ConfigurationBuilder().AddInMemoryCollection(values.Select(v => new KeyValuePair<string, string?>(v.Key, v.Value))).Build();

    private static IHost Build(Action<IServiceCollection> configure)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        configure(builder.Services);
        return builder.Build();
    }

    [Fact]
    public async Task A_misspelt_feature_store_key_stops_the_start_naming_its_full_path()
    {
        IConfiguration configuration = Configuration(
            ("VinceFeatureStore:DataDirectory", _dir.Path),
            ("VinceFeatureStore:QueueCapasity", "5"),
            ("VinceFeatureStore:Postgres:Table", "kept_for_the_sink"));
        using IHost host = Build(s => s.AddVinceFeatureStore(configuration.GetSection("VinceFeatureStore")));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Configuration key 'VinceFeatureStore:QueueCapasity' is not a setting of FeatureStoreOptions", error.Message, StringComparison.Ordinal);
        Assert.Contains("QueueCapacity", error.Message, StringComparison.Ordinal); // the known settings are listed
        // A sub-section (here the Postgres sink's, bound by its own registration) is a key of the section too.
        Assert.Contains("'VinceFeatureStore:Postgres'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_section_with_known_keys_only_starts()
    {
        IConfiguration configuration = Configuration(("VinceFeatureStore:DataDirectory", _dir.Path), ("VinceFeatureStore:FsyncOnWrite", "false"));
        using IHost host = Build(s => s.AddVinceFeatureStore(configuration.GetSection("VinceFeatureStore")));

        await host.StartAsync();
        Assert.Equal(_dir.Path, host.Services.GetRequiredService<FeatureStore>().DataDirectory);
        await host.StopAsync();
    }

    [Fact]
    public void The_reader_names_unknown_keys_of_nested_sections_and_treats_list_and_map_entries_as_data()
    {
        IConfiguration configuration = Configuration(
            ("Root:Known", "1"),
            ("Root:Nested:Inner", "x"),
            ("Root:Nested:Innr", "y"),
            ("Root:List:0", "a"),
            ("Root:List:1", "b"),
            ("Root:Map:ANY_NAME", "v"),
            ("Root:Unknwn", "z"));
        var reader = new ConfigurationSectionReader(configuration.GetSection("Root"));

        Assert.Equal(1, reader.WholeNumber("known")); // keys are case-insensitive, as in all configuration
        Assert.Equal("x", reader.Section("Nested").Text("Inner"));
        Assert.Equal(["a", "b"], reader.List("List"));
        Assert.Equal("v", reader.Map("Map")!["ANY_NAME"]);

        Assert.Equal(["Root:Unknwn", "Root:Nested:Innr"], reader.UnknownKeys());
    }

    [Theory]
    [InlineData("Flag", "maybe", "true or false")]
    [InlineData("Duration", "soon", "a time span")]
    [InlineData("Number", "1,5", "a number")]
    [InlineData("Url", "not a url", "an absolute URL")]
    public void A_value_that_does_not_parse_names_its_full_path(string key, string value, string expected)
    {
        var reader = new ConfigurationSectionReader(Configuration(("A:B:" + key, value)).GetSection("A:B"));
        Action read = key switch
        {
            "Flag" => () => reader.Flag(key),
            "Duration" => () => reader.Duration(key),
            "Number" => () => reader.Number(key),
            _ => () => reader.Url(key),
        };

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(read);

        Assert.Contains($"'{value}' of 'A:B:{key}'", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Health_checks_take_a_name_and_their_named_options_bind_from_configuration()
    {
        IConfiguration configuration = Configuration(("Health:DegradedPendingRecords", "3"), ("Health:DegradedQueueFill", "0.5"));
        using IHost host = Build(s =>
        {
            s.AddVinceFeatureStore(o => { o.DataDirectory = _dir.Path; o.FsyncOnWrite = false; }).AddSink(new RecordingSink("archive"));
            s.AddHealthChecks()
                .AddVinceFeatureStoreChecks(configuration.GetSection("Health"), name: "ready")
                .AddVinceFeatureStoreChecks(o => o.DegradedPendingRecords = 7);
            s.Configure<FeatureStoreHealthCheckOptions>("ready", o => o.UnhealthyConsecutiveFailures = 2);
        });
        await host.StartAsync();

        HealthReport report = await host.Services.GetRequiredService<HealthCheckService>().CheckHealthAsync();
        IOptionsMonitor<FeatureStoreHealthCheckOptions> options = host.Services.GetRequiredService<IOptionsMonitor<FeatureStoreHealthCheckOptions>>();

        Assert.Equal(["ready:log", "ready:sink:archive", "vince-featurestore:log", "vince-featurestore:sink:archive"], report.Entries.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, options.Get("ready").DegradedPendingRecords);
        Assert.Equal(0.5, options.Get("ready").DegradedQueueFill);
        Assert.Equal(2, options.Get("ready").UnhealthyConsecutiveFailures);
        Assert.Equal(7, options.Get(FeatureStoreHealthChecksBuilderExtensions.DefaultName).DegradedPendingRecords);
        await host.StopAsync();
    }

    [Fact]
    public async Task Health_checks_refuse_an_unknown_key_and_a_second_registration_of_one_name()
    {
        IConfiguration configuration = Configuration(("Health:DegradedLagg", "00:01:00"));
        using IHost misspelt = Build(s =>
        {
            s.AddVinceFeatureStore(o => o.DataDirectory = _dir.Path);
            s.AddHealthChecks().AddVinceFeatureStoreChecks(configuration.GetSection("Health"));
        });
        OptionsValidationException unknown = await Assert.ThrowsAsync<OptionsValidationException>(() => misspelt.StartAsync());
        Assert.Contains("'Health:DegradedLagg' is not a setting of FeatureStoreHealthCheckOptions", unknown.Message, StringComparison.Ordinal);

        using IHost twice = Build(s =>
        {
            // A directory of its own: the store of the host above still owns the first one.
            s.AddVinceFeatureStore(o => o.DataDirectory = Path.Combine(_dir.Path, "second"));
            s.AddHealthChecks().AddVinceFeatureStoreChecks(name: "live").AddVinceFeatureStoreChecks(name: "live");
        });
        OptionsValidationException duplicate = await Assert.ThrowsAsync<OptionsValidationException>(() => twice.StartAsync());
        Assert.Contains("AddVinceFeatureStoreChecks is called 2 times with the name 'live'", duplicate.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Two_sink_registrations_with_one_name_stop_the_start_naming_both()
    {
        using IHost host = Build(s => s.AddVinceFeatureStore(o => o.DataDirectory = _dir.Path)
            .ReserveSinkName("archive", ".AddPostgres")
            .ReserveSinkName("Archive", ".AddSupabase"));

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("2 sinks are named 'archive' (.AddPostgres, .AddSupabase)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void VinceEnvironment_lists_every_variable_once_with_its_meaning()
    {
        string[] constants = typeof(VinceEnvironment).GetFields(BindingFlags.Public | BindingFlags.Static)
            .Where(f => f.IsLiteral)
            .Select(f => (string)f.GetRawConstantValue()!)
            .ToArray();

        Assert.Equal(constants.Order(StringComparer.Ordinal), VinceEnvironment.Variables.Select(v => v.Key).Order(StringComparer.Ordinal));
        Assert.All(VinceEnvironment.Variables, v => Assert.False(string.IsNullOrWhiteSpace(v.Value)));
        Assert.Equal(VinceEnvironment.DataDirectory, FeatureStoreOptions.DataDirectoryEnvironmentVariable);
    }

    [Fact]
    public void An_injected_environment_is_read_as_set()
    {
        var environment = new VinceEnvironment(name => name == VinceEnvironment.PostgresUrl ? " postgresql://h/db " : null);

        Assert.Equal(" postgresql://h/db ", environment.Get(VinceEnvironment.PostgresUrl));
        Assert.Null(environment.AsFunc()(VinceEnvironment.SupabaseUrl));
    }
}
