using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>
/// Creates the scorer when the host starts, so the model is loaded (and a broken model file reported) at start-up rather
/// than on the first call, and the directory is watched from then on. Before that, when a model bucket is registered and
/// the models directory does not hold the registry's latest run, downloads and installs it; a failed download is logged
/// and the scorer starts with what the directory holds. Then, every <see cref="OnnxScoringOptions.ModelPollInterval"/>,
/// reads <c>latest.json</c> and installs a newly published run (one atomic swap of the whole set) and reloads the scorer.
/// </summary>
/// <remarks>
/// The poll installs only when the registry's latest run changed since this instance last saw it: a set installed here
/// and not published (e.g. its upload failed) is not replaced until the registry moves on.
/// </remarks>
internal sealed class OnnxScoringHostedService(IServiceProvider services) : IHostedService, IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task? _polling;

    /// <summary>Polls finished so far (for tests).</summary>
    internal int PollsCompleted { get; private set; }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        OnnxScoringOptions options = services.GetRequiredService<IOptions<OnnxScoringOptions>>().Value;
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger<OnnxSignalQualityScorer>() ?? (ILogger)NullLogger.Instance;
        IModelBucket? bucket = options.DownloadLatestModels ? services.GetService<IModelBucket>() : null;
        (bool downloaded, string? seen) = bucket is null ? (false, null) : await DownloadAsync(bucket, options, logger, cancellationToken).ConfigureAwait(false);

        OnnxSignalQualityScorer scorer = services.GetRequiredService<OnnxSignalQualityScorer>();
        if (downloaded)
        {
            // The scorer may have been created by another service before the download: make it read the new files.
            await scorer.ReloadAsync(cancellationToken).ConfigureAwait(false);
        }

        if (bucket is not null && options.ModelPollInterval > TimeSpan.Zero)
        {
            TrainingLog.PollStarted(logger, bucket.Name, options.ModelPollInterval, scorer.ModelsDirectory, seen ?? "none");
            _polling = PollAsync(bucket, scorer, options, logger, seen, _stopping.Token);
        }
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_polling is { } polling)
        {
            // A poll in flight ends at its next cancellation check; the host's own deadline bounds the wait.
            await polling.WaitAsync(cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        if (_polling is { } polling)
        {
            await polling.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        _stopping.Dispose();
    }

    private async Task PollAsync(IModelBucket bucket, OnnxSignalQualityScorer scorer, OnnxScoringOptions options, ILogger logger, string? seen, CancellationToken stoppingToken)
    {
        TimeProvider time = services.GetService<TimeProvider>() ?? TimeProvider.System;
        string directory = scorer.ModelsDirectory;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(options.ModelPollInterval, time, stoppingToken).ConfigureAwait(false);
                ModelRun? latest = await bucket.GetLatestAsync(stoppingToken).ConfigureAwait(false);
                if (latest is not null && !string.Equals(latest.Id, seen, StringComparison.Ordinal))
                {
                    using var timeout = new CancellationTokenSource(options.ModelDownloadTimeout, time);
                    using var linked = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken, timeout.Token);
                    ModelDownloadResult result = await bucket.DownloadAsync(
                        directory, new ModelDownloadRequest { Version = latest.Status == ModelRunStatus.Flat ? latest.Id : null }, linked.Token).ConfigureAwait(false);
                    seen = result.Run?.Id ?? latest.Id;
                    if (result.Outcome == ModelDownloadOutcome.Installed)
                    {
                        OnnxModelInfo? model = await scorer.ReloadAsync(stoppingToken).ConfigureAwait(false);
                        TrainingLog.PolledRunInstalled(logger, bucket.Name, seen, directory, model is null ? "no model" : $"model v{model.Version} ({model.ModelSha256[..12]})");
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                // The current model stays in use; the next poll tries again.
                TrainingLog.PollFailed(logger, ex, bucket.Name, options.ModelPollInterval);
            }

            PollsCompleted++;
        }
    }

    private async Task<(bool Downloaded, string? Run)> DownloadAsync(IModelBucket bucket, OnnxScoringOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        string directory = Path.GetFullPath(options.ResolveModelsDirectory());
        using var timeout = new CancellationTokenSource(options.ModelDownloadTimeout, services.GetService<TimeProvider>() ?? TimeProvider.System);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            ModelDownloadResult result = await bucket.DownloadAsync(directory, new ModelDownloadRequest(), linked.Token).ConfigureAwait(false);
            switch (result.Outcome)
            {
                case ModelDownloadOutcome.Installed:
                    string files = string.Join(", ", result.Files);
                    TrainingLog.StartupDownloadInstalled(logger, bucket.Name, directory, files);
                    return (true, result.Run?.Id);
                case ModelDownloadOutcome.NotAvailable:
                    TrainingLog.StartupDownloadNotAvailable(logger, directory, bucket.Name);
                    return (false, null);
                default:
                    TrainingLog.StartupDownloadSkipped(logger, directory, bucket.Name);
                    return (false, result.Run?.Id);
            }
        }
        catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
        {
            // Scoring with what the directory holds is the documented fallback; a bucket outage must not keep the host from starting.
            TrainingLog.StartupDownloadFailed(logger, ex, bucket.Name, directory);
            return (false, null);
        }
    }
}
