using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>
/// Creates the scorer when the host starts, so the model is loaded (and a broken model file reported) at
/// start-up rather than on the first call, and the directory is watched from then on. Before that, when a model
/// bucket is registered and the models directory has no <c>.onnx</c>, downloads the latest set; a failed download
/// is logged and the scorer starts with "no model".
/// </summary>
internal sealed class OnnxScoringHostedService(IServiceProvider services) : IHostedService
{
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        OnnxScoringOptions options = services.GetRequiredService<IOptions<OnnxScoringOptions>>().Value;
        bool downloaded = false;
        if (options.DownloadMissingModels && services.GetService<IModelBucket>() is { } bucket)
        {
            downloaded = await DownloadAsync(bucket, options, cancellationToken).ConfigureAwait(false);
        }

        OnnxSignalQualityScorer scorer = services.GetRequiredService<OnnxSignalQualityScorer>();
        if (downloaded)
        {
            // The scorer may have been created by another service before the download: make it read the new files.
            await scorer.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    private async Task<bool> DownloadAsync(IModelBucket bucket, OnnxScoringOptions options, CancellationToken cancellationToken)
    {
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger<OnnxSignalQualityScorer>() ?? (ILogger)NullLogger.Instance;
        string directory = Path.GetFullPath(options.ResolveModelsDirectory());
        using var timeout = new CancellationTokenSource(options.ModelDownloadTimeout, services.GetService<TimeProvider>() ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            ModelDownloadResult result = await bucket.DownloadIfMissingAsync(directory, linked.Token).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case ModelDownloadOutcome.Installed:
                    string files = string.Join(", ", result.Files);
                    TrainingLog.StartupDownloadInstalled(logger, bucket.Name, directory, files);
                    return true;
                case ModelDownloadOutcome.NotAvailable:
                    TrainingLog.StartupDownloadNotAvailable(logger, directory, bucket.Name);
                    return false;
                default:
                    TrainingLog.StartupDownloadSkipped(logger, directory, bucket.Name);
                    return false;
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Scoring without a model is the documented fallback; a bucket outage must not keep the host from starting.
            TrainingLog.StartupDownloadFailed(logger, ex, bucket.Name, directory);
            return false;
        }
    }
}
