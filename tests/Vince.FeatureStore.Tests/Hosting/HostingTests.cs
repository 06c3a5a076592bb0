using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Hosting;

public sealed class HostingTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task The_host_starts_the_store_and_stopping_it_flushes_the_log_and_the_sinks()
    {
        var sink = new RecordingSink("test");
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = _dir.Path;
            o.FsyncOnWrite = false;
        }).AddSink(sink);

        using IHost host = builder.Build();
        await host.StartAsync();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        Assert.Same(store, host.Services.GetRequiredService<FeatureStore>());
        string id = store.RecordDecision("BTC");
        await host.StopAsync();

        Assert.Equal(id, FeatureJson.Deserialize(Assert.Single(_dir.AllFeatureLines())).Id);
        Assert.Equal(id, Assert.Single(sink.Received).Id);
    }

    [Fact]
    public async Task Sinks_registered_by_type_are_resolved_from_the_container()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddVinceFeatureStore(o => { o.DataDirectory = _dir.Path; o.FsyncOnWrite = false; }).AddSink<NamedSink>();

        using IHost host = builder.Build();
        await host.StartAsync();
        host.Services.GetRequiredService<FeatureStore>().RecordDecision("ETH");
        await host.StopAsync();

        Assert.Single(host.Services.GetRequiredService<NamedSink>().Inner.Received);
        Assert.Equal("named", Assert.Single(host.Services.GetRequiredService<FeatureStore>().GetSinkStatuses()).Name);
    }

    [Fact]
    public async Task Invalid_options_fail_the_host_at_start_with_a_clear_message()
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = _dir.Path;
            o.QueueCapacity = 0;
            o.ShutdownTimeout = TimeSpan.FromSeconds(-1);
        });
        using IHost host = builder.Build();

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("QueueCapacity must be at least 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("ShutdownTimeout", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Options_bind_from_configuration()
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VinceFeatureStore:DataDirectory"] = _dir.Path,
            ["VinceFeatureStore:RecordsPerFile"] = "250",
            ["VinceFeatureStore:QueueFullMode"] = "DropAndCount",
            ["VinceFeatureStore:FsyncOnWrite"] = "false",
            ["VinceFeatureStore:ShutdownTimeout"] = "00:00:05",
            ["VinceFeatureStore:RetainJsonlDays"] = "14",
        }).Build();
        var services = new ServiceCollection();
        services.AddVinceFeatureStore(configuration.GetSection("VinceFeatureStore"));

        using ServiceProvider provider = services.BuildServiceProvider();
        FeatureStoreOptions options = provider.GetRequiredService<IOptions<FeatureStoreOptions>>().Value;

        Assert.Equal(_dir.Path, options.DataDirectory);
        Assert.Equal(250, options.RecordsPerFile);
        Assert.Equal(QueueFullMode.DropAndCount, options.QueueFullMode);
        Assert.False(options.FsyncOnWrite);
        Assert.Equal(TimeSpan.FromSeconds(5), options.ShutdownTimeout);
        Assert.Equal(14, options.RetainJsonlDays);
        Assert.Equal(10_000, options.QueueCapacity);
    }

    [Theory]
    [InlineData("RecordsPerFile", "many", "an integer")]
    [InlineData("QueueFullMode", "Block", "Wait or DropAndCount")]
    [InlineData("FsyncOnWrite", "yes please", "true or false")]
    [InlineData("ShutdownTimeout", "soon", "time span")]
    public void Unparseable_configuration_values_name_the_key(string key, string value, string expected)
    {
        IConfiguration configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["VinceFeatureStore:" + key] = value,
        }).Build();
        var services = new ServiceCollection();
        services.AddVinceFeatureStore(configuration.GetSection("VinceFeatureStore"));
        using ServiceProvider provider = services.BuildServiceProvider();

        InvalidOperationException error = Assert.Throws<InvalidOperationException>(() => provider.GetRequiredService<IOptions<FeatureStoreOptions>>().Value);

        Assert.Contains($"VinceFeatureStore:{key}", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_data_directory_environment_variable_is_honoured_by_the_host()
    {
        string? saved = Environment.GetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable);
        string fromEnvironment = Path.Combine(_dir.Path, "from-env");
        try
        {
            Environment.SetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable, fromEnvironment);
            HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
            builder.Services.AddVinceFeatureStore(o => o.FsyncOnWrite = false);
            using IHost host = builder.Build();
            await host.StartAsync();
            FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
            store.RecordDecision("SOL");
            await host.StopAsync();

            Assert.Equal(fromEnvironment, store.DataDirectory);
            Assert.Single(Directory.GetFiles(fromEnvironment, "features_*.jsonl"));
        }
        finally
        {
            Environment.SetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable, saved);
        }
    }

    [Fact]
    // Kept in this class with the other environment test: xunit runs classes in parallel.
    public void Data_directory_comes_from_options_then_environment_then_default()
    {
        string? saved = Environment.GetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable);
        try
        {
            Environment.SetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable, null);
            Assert.Equal(".elizadb/vince-paper-bot/features", new FeatureStoreOptions().ResolveDataDirectory());
            Environment.SetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable, "/tmp/from-env");
            Assert.Equal("/tmp/from-env", new FeatureStoreOptions().ResolveDataDirectory());
            Assert.Equal("/explicit", new FeatureStoreOptions { DataDirectory = "/explicit" }.ResolveDataDirectory());
        }
        finally
        {
            Environment.SetEnvironmentVariable(FeatureStoreOptions.DataDirectoryEnvironmentVariable, saved);
        }
    }

    public sealed class NamedSink : IFeatureSink
    {
        public RecordingSink Inner { get; } = new("named");

        public string Name => Inner.Name;

        public Task InitializeAsync(CancellationToken cancellationToken) => Inner.InitializeAsync(cancellationToken);

        public Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken) => Inner.WriteAsync(records, cancellationToken);
    }
}
