using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Onnx.Diagnostics;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// One training, start to finish: a fresh staging directory next to the models directory → the trainer → validation
/// (<see cref="ModelSetValidator"/>) → <c>last_train_at.txt</c> → atomic installation (<see cref="ModelSetInstaller"/>) →
/// upload to the bucket → scorer reload. Used by the train-when-ready service and by <c>vince-features train</c>.
/// </summary>
/// <remarks>
/// <para>A failed training, an invalid set or a failed installation leaves the models directory exactly as it was,
/// deletes the staging directory, logs the trainer's output and returns <see cref="ModelTrainingRunOutcome.Failed"/>.
/// A trainer that wrote metadata with no model (too few complete trades) installs nothing
/// (<see cref="ModelTrainingRunOutcome.NotEnoughData"/>) and does not count as a training for the 24-hour rule.</para>
/// <para>An upload or reload failure after a successful installation is logged and reported in the result; the new set
/// stays installed. Runs of one runner are serialized.</para>
/// </remarks>
public sealed class ModelTrainingRunner : IDisposable
{
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;
    private readonly TrainingMetrics _metrics;
    private readonly SemaphoreSlim _gate = new(1, 1);

    /// <summary>Creates a runner.</summary>
    /// <param name="trainer">Trains into an empty directory.</param>
    /// <param name="featuresDirectory">The JSONL feature log directory the trainer reads.</param>
    /// <param name="modelsDirectory">Where the validated set is installed (created when missing).</param>
    /// <param name="minSamples">The fewest complete trades to train on (passed to the trainer). Default 90.</param>
    /// <param name="bucket">Receives the new set after installation (optional).</param>
    /// <param name="scorer">Reloaded after installation (optional).</param>
    /// <param name="logger">Receives progress, failures and the trainer's output (optional).</param>
    /// <param name="timeProvider">Clock for <c>last_train_at.txt</c> and durations (optional).</param>
    /// <param name="meterFactory">Creates the <c>Vince.FeatureStore.Training</c> meter (optional).</param>
    /// <exception cref="ArgumentException">A directory is empty or <paramref name="minSamples"/> is below 1.</exception>
    public ModelTrainingRunner(
        IModelTrainer trainer,
        string featuresDirectory,
        string modelsDirectory,
        int minSamples = 90,
        IModelBucket? bucket = null,
        OnnxSignalQualityScorer? scorer = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrWhiteSpace(featuresDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSamples, 1);
        Trainer = trainer;
        FeaturesDirectory = Path.GetFullPath(featuresDirectory);
        ModelsDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelsDirectory));
        MinSamples = minSamples;
        Bucket = bucket;
        Scorer = scorer;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = new TrainingMetrics(meterFactory);
    }

    /// <summary>The trainer.</summary>
    public IModelTrainer Trainer { get; }

    /// <summary>The feature log directory (absolute).</summary>
    public string FeaturesDirectory { get; }

    /// <summary>The models directory (absolute).</summary>
    public string ModelsDirectory { get; }

    /// <summary>The fewest complete trades to train on.</summary>
    public int MinSamples { get; }

    /// <summary>The bucket the new set is uploaded to, or <see langword="null"/>.</summary>
    public IModelBucket? Bucket { get; }

    /// <summary>The scorer reloaded after an installation, or <see langword="null"/>.</summary>
    public OnnxSignalQualityScorer? Scorer { get; }

    /// <summary>Trains once and installs the result when it is a valid, non-empty set.</summary>
    /// <param name="cancellationToken">Stops the run (a trainer process is killed); nothing is installed then.</param>
    /// <returns>What happened; a failure is a result with <see cref="ModelTrainingRunOutcome.Failed"/> (see <see cref="ModelTrainingRunResult.ThrowIfFailed"/>).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: before the installation nothing
    /// changed; during the upload or reload that follow it, the new set stays installed.</exception>
    public async Task<ModelTrainingRunResult> RunOnceAsync(CancellationToken cancellationToken = default)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunUnderGateAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            _gate.Release();
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        _metrics.Dispose();
        _gate.Dispose();
    }

    private async Task<ModelTrainingRunResult> RunUnderGateAsync(CancellationToken cancellationToken)
    {
        long started = _timeProvider.GetTimestamp();
        TrainingLog.TrainingStarted(_logger, Trainer.Name, FeaturesDirectory, ModelsDirectory, MinSamples);

        // Left by a process killed mid-run; a day is far beyond any training's timeout.
        int stale = ModelSetInstaller.DeleteStaleStagingDirectories(ModelsDirectory, TimeSpan.FromDays(1));
        if (stale > 0)
        {
            TrainingLog.StaleStagingDeleted(_logger, stale, ModelsDirectory);
        }

        string staging = ModelSetInstaller.CreateStagingDirectory(ModelsDirectory, "train");
        bool installed = false;
        ModelTrainingStage stage = ModelTrainingStage.Training;
        string output = string.Empty;
        try
        {
            ModelTrainingResult trained = await Trainer.TrainAsync(
                new ModelTrainingRequest { FeaturesDirectory = FeaturesDirectory, OutputDirectory = staging, MinSamples = MinSamples },
                cancellationToken).ConfigureAwait(false);
            output = trained.Output;

            stage = ModelTrainingStage.Validation;
            ValidatedModelSet set = await Task.Run(() => ModelSetValidator.Validate(staging, _logger, cancellationToken), cancellationToken).ConfigureAwait(false);
            if (set.IsEmpty)
            {
                TrainingLog.NotEnoughData(_logger, Trainer.Name, set.Metadata.TradesWithOutcomes, MinSamples, ModelsDirectory);
                return Finish(new ModelTrainingRunResult
                {
                    Outcome = ModelTrainingRunOutcome.NotEnoughData,
                    Trainer = Trainer.Name,
                    ModelsDirectory = ModelsDirectory,
                    TrainerOutput = output,
                    ModelSet = set,
                    Duration = _timeProvider.GetElapsedTime(started),
                });
            }

            cancellationToken.ThrowIfCancellationRequested();
            stage = ModelTrainingStage.Installation;

            // Written into the staging directory, so the time and the set it describes appear together.
            DateTimeOffset trainedAt = _timeProvider.GetUtcNow();
            LastTrainAt.Write(staging, trainedAt);
            ModelSetSwap swap = ModelSetInstaller.Install(staging, ModelsDirectory);
            installed = true;
            string models = string.Join(", ", set.Models.Select(m => m.FileName));
            TimeSpan elapsed = _timeProvider.GetElapsedTime(started);
            TrainingLog.Installed(_logger, ModelsDirectory, models, swap, elapsed);

            (IReadOnlyList<string> uploaded, Exception? uploadError) = await UploadAsync(cancellationToken).ConfigureAwait(false);
            (OnnxModelInfo? model, Exception? reloadError) = await ReloadAsync(cancellationToken).ConfigureAwait(false);
            return Finish(new ModelTrainingRunResult
            {
                Outcome = ModelTrainingRunOutcome.Installed,
                Trainer = Trainer.Name,
                ModelsDirectory = ModelsDirectory,
                TrainerOutput = output,
                ModelSet = set,
                TrainedAt = trainedAt,
                Swap = swap,
                UploadedFiles = uploaded,
                UploadError = uploadError,
                ScorerModel = model,
                ReloadError = reloadError,
                Duration = _timeProvider.GetElapsedTime(started),
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested && !installed)
        {
            TrainingLog.Cancelled(_logger, Trainer.Name, ModelsDirectory);
            _metrics.Runs.Add(1, new("outcome", "cancelled"), new("trainer", Trainer.Name));
            throw;
        }
        catch (Exception ex) when (!installed && ex is not OperationCanceledException)
        {
            if (ex is ModelTrainingException { TrainerOutput.Length: > 0 } failed)
            {
                output = failed.TrainerOutput;
            }

            TrainingLog.Failed(_logger, ex, Trainer.Name, stage, ModelsDirectory, ex.Message, output.Length == 0 ? "(none)" : output);
            _metrics.Failures.Add(1, new("stage", StageTag(stage)), new("trainer", Trainer.Name));
            return Finish(new ModelTrainingRunResult
            {
                Outcome = ModelTrainingRunOutcome.Failed,
                Trainer = Trainer.Name,
                ModelsDirectory = ModelsDirectory,
                TrainerOutput = output,
                FailedStage = stage,
                Error = ex,
                Duration = _timeProvider.GetElapsedTime(started),
            });
        }
        finally
        {
            if (!installed && !ModelSetInstaller.DeleteDirectory(staging))
            {
                TrainingLog.StagingNotDeleted(_logger, staging);
            }
        }
    }

    private async Task<(IReadOnlyList<string> Files, Exception? Error)> UploadAsync(CancellationToken cancellationToken)
    {
        if (Bucket is null)
        {
            return ([], null);
        }

        try
        {
            IReadOnlyList<string> files = await Bucket.UploadAsync(ModelsDirectory, cancellationToken).ConfigureAwait(false);
            string names = string.Join(", ", files);
            TrainingLog.Uploaded(_logger, Bucket.Name, names);
            return (files, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The set is installed; the bucket stays on the previous set until the next training uploads.
            TrainingLog.UploadFailed(_logger, ex, Bucket.Name);
            _metrics.Failures.Add(1, new("stage", "upload"), new("trainer", Trainer.Name));
            return ([], ex);
        }
    }

    private async Task<(OnnxModelInfo? Model, Exception? Error)> ReloadAsync(CancellationToken cancellationToken)
    {
        if (Scorer is null)
        {
            return (null, null);
        }

        try
        {
            OnnxModelInfo? model = await Scorer.ReloadAsync(cancellationToken).ConfigureAwait(false);
            TrainingLog.ScorerReloaded(_logger, model is null ? "no model" : $"model v{model.Version} ({model.ModelSha256[..12]})");
            return (model, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            TrainingLog.ScorerReloadFailed(_logger, ex);
            _metrics.Failures.Add(1, new("stage", "reload"), new("trainer", Trainer.Name));
            return (null, ex);
        }
    }

    private ModelTrainingRunResult Finish(ModelTrainingRunResult result)
    {
        string outcome = result.Outcome switch
        {
            ModelTrainingRunOutcome.Installed => "installed",
            ModelTrainingRunOutcome.NotEnoughData => "not_enough_data",
            _ => "failed",
        };
        _metrics.Runs.Add(1, new("outcome", outcome), new("trainer", result.Trainer));
        _metrics.Duration.Record(result.Duration.TotalSeconds, new("outcome", outcome), new("trainer", result.Trainer));
        return result;
    }

    private static string StageTag(ModelTrainingStage stage) => stage switch
    {
        ModelTrainingStage.Training => "training",
        ModelTrainingStage.Validation => "validation",
        _ => "installation",
    };
}
