using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Vince.FeatureStore;

namespace Vince.FeatureStore.Tests.Hosting;

public sealed class FeatureStoreRegistrationTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task IFeatureStore_resolves_to_the_started_FeatureStore_singleton()
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
        IFeatureStore recording = host.Services.GetRequiredService<IFeatureStore>();
        FeatureStore store = host.Services.GetRequiredService<FeatureStore>();
        Assert.Same(store, recording);
        Assert.Same(recording, host.Services.GetRequiredService<IFeatureStore>());

        string id = recording.RecordDecision("BTC");
        recording.RecordOutcome(id, new OutcomeFeatures { RealizedPnl = 12.5, ExitReason = "take_profit" });
        await recording.WaitForSinksAsync();
        await host.StopAsync();

        FeatureRecord[] versions = _dir.AllFeatureLines().Select(line => FeatureJson.Deserialize(line)).ToArray();
        Assert.Equal([id, id], versions.Select(v => v.Id));
        Assert.Equal("take_profit", versions[1].Outcome?.ExitReason);
        Assert.Equal(2, sink.Received.Count);
    }

    [Fact]
    public async Task Registering_twice_keeps_one_store_behind_both_service_types()
    {
        var services = new ServiceCollection();
        services.AddVinceFeatureStore(o => o.DataDirectory = _dir.Path);
        services.AddVinceFeatureStore(o => o.FsyncOnWrite = false);

        Assert.Single(services, d => d.ServiceType == typeof(IFeatureStore));
        Assert.Single(services, d => d.ServiceType == typeof(FeatureStore));
        // The store is only IAsyncDisposable: the container must be disposed asynchronously.
        await using ServiceProvider provider = services.BuildServiceProvider();
        Assert.Same(provider.GetRequiredService<FeatureStore>(), provider.GetRequiredService<IFeatureStore>());
    }
}
