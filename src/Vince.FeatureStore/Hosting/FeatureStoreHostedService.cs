using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Diagnostics;

namespace Vince.FeatureStore;

/// <summary>Starts the store with the host and, on shutdown, writes the queue to the log and lets sinks catch up.</summary>
internal sealed class FeatureStoreHostedService(FeatureStore store, ILoggerFactory? loggerFactory = null) : IHostedService
{
    private readonly ILogger _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger<FeatureStoreHostedService>();

    public Task StartAsync(CancellationToken cancellationToken) => store.StartAsync(cancellationToken);

    /// <summary>
    /// Never throws: the host cancels <paramref name="cancellationToken"/> when its own ShutdownTimeout is up, and
    /// the store then stops waiting for sinks (they resume from their cursors) instead of outliving the host's
    /// budget. A failure of the store itself is logged, not thrown into the host's shutdown.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await store.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FeatureStoreLog.StoppedWithError(_logger, ex);
        }
    }
}
