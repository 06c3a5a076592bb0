using Microsoft.Extensions.Hosting;

namespace Vince.FeatureStore;

/// <summary>Starts the store with the host and, on shutdown, writes the queue to the log and lets sinks catch up.</summary>
internal sealed class FeatureStoreHostedService(FeatureStore store) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => store.StartAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken)
        // The store bounds its own shutdown by FeatureStoreOptions.ShutdownTimeout; the host's token only
        // stops the waiting here, not the flush.
        => store.DisposeAsync().AsTask().WaitAsync(cancellationToken);
}
