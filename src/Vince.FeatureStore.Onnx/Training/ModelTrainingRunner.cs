using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Onnx.Diagnostics;

using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Sources;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// One training, start to finish: a snapshot of the training source (<see cref="Source"/>) → a fresh staging directory next to
/// the models directory → the trainer, reading only the snapshot → <c>data_source</c> in the metadata → validation
/// (<see cref="ModelSetValidator"/>) → <c>last_train_at.txt</c> → the quality gate (the new set against the registry's
/// latest run, else the installed set) → atomic installation (<see cref="ModelSetInstaller"/>) → publication to the
/// registry → scorer reload. Used by the train-when-ready service and by <c>vince-features train</c>.
/// </summary>
/// <remarks>
/// <para>A failed training, an invalid set or a failed installation leaves the models directory exactly as it was,
/// deletes the staging directory, logs the trainer's output and returns <see cref="ModelTrainingRunOutcome.Failed"/>.
/// A trainer that wrote metadata with no model (too few complete trades) installs nothing
/// (<see cref="ModelTrainingRunOutcome.NotEnoughData"/>) and does not count as a training for the 24-hour rule.</para>
/// <para>A set the quality gate refuses is not installed and not published: it is kept in the registry as a rejected run
/// (<c>rejected.json</c> with the reason) and the run ends <see cref="ModelTrainingRunOutcome.Rejected"/>; its training
/// time still counts for the 24-hour rule. <see cref="RunOnceAsync(bool, CancellationToken)"/> with <c>force</c>
/// installs and publishes it anyway.</para>
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
    /// <param name="featuresDirectory">The JSONL feature log directory: the training source when <paramref name="source"/> is not given.</param>
    /// <param name="modelsDirectory">Where the validated set is installed (created when missing).</param>
    /// <param name="minSamples">The fewest complete trades to train on (passed to the trainer). Default 90.</param>
    /// <param name="bucket">Receives the new set after installation (optional).</param>
    /// <param name="scorer">Reloaded after installation (optional).</param>
    /// <param name="logger">Receives progress, failures and the trainer's output (optional).</param>
    /// <param name="timeProvider">Clock for <c>last_train_at.txt</c> and durations (optional).</param>
    /// <param name="meterFactory">Creates the <c>Vince.FeatureStore.Training</c> meter (optional).</param>
    /// <param name="qualityGate">The quality gate's settings (optional: on, tolerance 0.01).</param>
    /// <param name="source">Where training records are read (optional: the store's own files in <paramref name="featuresDirectory"/>).</param>
    /// <exception cref="ArgumentException">A directory is empty, <paramref name="minSamples"/> is below 1 or the gate's settings are invalid.</exception>
    public ModelTrainingRunner(
        IModelTrainer trainer,
        string featuresDirectory,
        string modelsDirectory,
        int minSamples = 90,
        IModelBucket? bucket = null,
        OnnxSignalQualityScorer? scorer = null,
        ILogger? logger = null,
        TimeProvider? timeProvider = null,
        IMeterFactory? meterFactory = null,
        ModelQualityGateOptions? qualityGate = null,
        FeatureSource? source = null)
    {
        ArgumentNullException.ThrowIfNull(trainer);
        ArgumentException.ThrowIfNullOrWhiteSpace(featuresDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        ArgumentOutOfRangeException.ThrowIfLessThan(minSamples, 1);
        Trainer = trainer;
        FeaturesDirectory = Path.GetFullPath(featuresDirectory);
        ModelsDirectory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(modelsDirectory));
        MinSamples = minSamples;
        Source = source ?? FeatureSource.Jsonl(FeaturesDirectory);
        Bucket = bucket;
        Scorer = scorer;
        _logger = logger ?? NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        _metrics = new TrainingMetrics(meterFactory);
        QualityGate = qualityGate ?? new ModelQualityGateOptions();
        IReadOnlyList<string> gateErrors = QualityGate.Validate();
        if (gateErrors.Count > 0)
        {
            throw new ArgumentException("Invalid quality gate options: " + string.Join(" ", gateErrors), nameof(qualityGate));
        }
    }

    /// <summary>The trainer.</summary>
    public IModelTrainer Trainer { get; }

    /// <summary>The feature log directory (absolute).</summary>
    public string FeaturesDirectory { get; }

    /// <summary>The models directory (absolute).</summary>
    public string ModelsDirectory { get; }

    /// <summary>Where training records are read; each run trains on a snapshot of it.</summary>
    public FeatureSource Source { get; }

    /// <summary>The fewest complete trades to train on.</summary>
    public int MinSamples { get; }

    /// <summary>The bucket the new set is uploaded to, or <see langword="null"/>.</summary>
    public IModelBucket? Bucket { get; }

    /// <summary>The scorer reloaded after an installation, or <see langword="null"/>.</summary>
    public OnnxSignalQualityScorer? Scorer { get; }

    /// <summary>The quality gate's settings.</summary>
    public ModelQualityGateOptions QualityGate { get; }

    /// <summary>Trains once and installs the result when it is a valid, non-empty set.</summary>
    /// <param name="cancellationToken">Stops the run (a trainer process is killed); nothing is installed then.</param>
    /// <returns>What happened; a failure is a result with <see cref="ModelTrainingRunOutcome.Failed"/> (see <see cref="ModelTrainingRunResult.ThrowIfFailed"/>).</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled: before the installation nothing
    /// changed; during the upload or reload that follow it, the new set stays installed.</exception>
    public Task<ModelTrainingRunResult> RunOnceAsync(CancellationToken cancellationToken = default) => RunOnceAsync(force: false, cancellationToken);

    /// <summary>Trains once; with <paramref name="force"/> a set the quality gate refuses is installed and published all the same.</summary>
    /// <param name="force">Override the quality gate (<c>train --force</c>): the verdict is still measured and recorded.</param>
    /// <param name="cancellationToken">Stops the run (a trainer process is killed); nothing is installed then.</param>
    /// <returns>What happened; a failure is a result with <see cref="ModelTrainingRunOutcome.Failed"/>.</returns>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<ModelTrainingRunResult> RunOnceAsync(bool force, CancellationToken cancellationToken)
    {
        await _gate.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            return await RunUnderGateAsync(force, cancellationToken).ConfigureAwait(false);
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

    private async Task<ModelTrainingRunResult> RunUnderGateAsync(bool force, CancellationToken cancellationToken)
    {
        long started = _timeProvider.GetTimestamp();
        TrainingLog.TrainingStarted(_logger, Trainer.Name, Source.Description, ModelsDirectory, MinSamples);

        // Left by a process killed mid-run; a day is far beyond any training's timeout.
        int stale = ModelSetInstaller.DeleteStaleStagingDirectories(ModelsDirectory, TimeSpan.FromDays(1));
        if (stale > 0)
        {
            TrainingLog.StaleStagingDeleted(_logger, stale, ModelsDirectory);
        }

        string staging = ModelSetInstaller.CreateStagingDirectory(ModelsDirectory, "train");
        // Beside the staging directory, not in it: the snapshot is what the set was trained on, not part of the set.
        string snapshotDirectory = ModelSetInstaller.CreateStagingDirectory(ModelsDirectory, "snapshot");
        bool installed = false;
        ModelTrainingStage stage = ModelTrainingStage.Snapshot;
        string output = string.Empty;
        FeatureSnapshotManifest? snapshot = null;
        try
        {
            snapshot = await TakeSnapshotAsync(snapshotDirectory, cancellationToken).ConfigureAwait(false);

            stage = ModelTrainingStage.Training;
            ModelTrainingResult trained = await Trainer.TrainAsync(
                new ModelTrainingRequest { FeaturesDirectory = snapshotDirectory, OutputDirectory = staging, MinSamples = MinSamples },
                cancellationToken).ConfigureAwait(false);
            output = trained.Output;
            TrainingDataSource.Stamp(staging, snapshot, _logger);

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
                    Snapshot = snapshot,
                    Duration = _timeProvider.GetElapsedTime(started),
                });
            }

            cancellationToken.ThrowIfCancellationRequested();

            // Written into the staging directory, so the time and the set it describes appear together (locally and in the registry).
            DateTimeOffset trainedAt = _timeProvider.GetUtcNow();
            LastTrainAt.Write(staging, trainedAt);

            stage = ModelTrainingStage.QualityGate;
            ModelGateResult gate = await EvaluateGateAsync(staging, snapshotDirectory, force, cancellationToken).ConfigureAwait(false);
            if (!gate.Passed)
            {
                return Finish(await RejectAsync(staging, set, gate, snapshot, trainedAt, output, started, cancellationToken).ConfigureAwait(false));
            }

            cancellationToken.ThrowIfCancellationRequested();
            stage = ModelTrainingStage.Installation;
            ModelSetSwap swap = ModelSetInstaller.Install(staging, ModelsDirectory);
            installed = true;
            string models = string.Join(", ", set.Models.Select(m => m.FileName));
            TimeSpan elapsed = _timeProvider.GetElapsedTime(started);
            TrainingLog.Installed(_logger, ModelsDirectory, models, swap, elapsed);

            (ModelRun? run, Exception? uploadError) = await PublishAsync(gate, cancellationToken).ConfigureAwait(false);
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
                Gate = gate,
                Run = run,
                Snapshot = snapshot,
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
                Snapshot = snapshot,
                Duration = _timeProvider.GetElapsedTime(started),
            });
        }
        finally
        {
            if (!installed && !ModelSetInstaller.DeleteDirectory(staging))
            {
                TrainingLog.StagingNotDeleted(_logger, staging);
            }

            if (!ModelSetInstaller.DeleteDirectory(snapshotDirectory))
            {
                TrainingLog.StagingNotDeleted(_logger, snapshotDirectory);
            }
        }
    }

    /// <summary>Materializes <see cref="Source"/> into <paramref name="directory"/>: the only records this run's trainer and gate see.</summary>
    private async Task<FeatureSnapshotManifest> TakeSnapshotAsync(string directory, CancellationToken cancellationToken)
    {
        long started = _timeProvider.GetTimestamp();
        FeatureSnapshotManifest snapshot = await FeatureSnapshot.WriteAsync(Source, directory, _timeProvider.GetUtcNow(), cancellationToken).ConfigureAwait(false);
        TimeSpan elapsed = _timeProvider.GetElapsedTime(started);
        TrainingLog.SnapshotTaken(_logger, snapshot.Records, Source.Description, snapshot.AsOf, snapshot.Sha256, elapsed);
        return snapshot;
    }

    /// <summary>The quality gate: the new set against the registry's latest run, else the set installed locally.</summary>
    private async Task<ModelGateResult> EvaluateGateAsync(string staging, string snapshotDirectory, bool force, CancellationToken cancellationToken)
    {
        if (!QualityGate.Enabled)
        {
            return new ModelGateResult(true, "passed: the quality gate is off.") { Tolerance = QualityGate.Tolerance };
        }

        string? champion = null;
        string? championName = null;
        string? downloaded = null;
        try
        {
            if (Bucket is not null)
            {
                try
                {
                    if (await Bucket.GetLatestAsync(cancellationToken).ConfigureAwait(false) is { } latest)
                    {
                        // The registry's latest run is the champion every instance scores with, whatever this directory holds.
                        downloaded = ModelSetInstaller.CreateStagingDirectory(ModelsDirectory, "champion");
                        await Bucket.DownloadAsync(downloaded, new ModelDownloadRequest { Version = latest.Status == ModelRunStatus.Flat ? latest.Id : null, OnlyWhenDifferent = false }, cancellationToken).ConfigureAwait(false);
                        champion = downloaded;
                        championName = $"run {latest.Id} of {Bucket.Name}";
                    }
                }
                catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
                {
                    // Publishing fails as well then, so the registry cannot be harmed: hold the set to the local one.
                    TrainingLog.ChampionUnavailable(_logger, ex, Bucket.Name, ModelsDirectory);
                    ModelSetInstaller.DeleteDirectory(downloaded);
                    downloaded = null;
                }
            }

            if (champion is null && File.Exists(Path.Combine(ModelsDirectory, new OnnxScoringOptions().ModelFileName)))
            {
                champion = ModelsDirectory;
                championName = $"the set installed in {ModelsDirectory}";
            }

            ModelGateResult gate = await ModelQualityGate.EvaluateAsync(staging, champion, championName, snapshotDirectory, QualityGate, _logger, cancellationToken).ConfigureAwait(false);
            if (gate.Passed)
            {
                TrainingLog.GatePassed(_logger, gate.Reason);
                return gate;
            }

            if (force)
            {
                TrainingLog.GateForced(_logger, gate.Reason);
                return gate with { Passed = true, Forced = true, Reason = "forced (the gate was overridden): " + gate.Reason };
            }

            return gate;
        }
        finally
        {
            ModelSetInstaller.DeleteDirectory(downloaded);
        }
    }

    /// <summary>Keeps a refused set as a rejected run; nothing is installed or published.</summary>
    private async Task<ModelTrainingRunResult> RejectAsync(
        string staging, ValidatedModelSet set, ModelGateResult gate, FeatureSnapshotManifest snapshot, DateTimeOffset trainedAt, string output, long started, CancellationToken cancellationToken)
    {
        ModelRun? run = null;
        Exception? uploadError = null;
        if (Bucket is not null)
        {
            try
            {
                run = await Bucket.RejectAsync(staging, gate, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                TrainingLog.RejectedUploadFailed(_logger, ex, Bucket.Name);
                _metrics.Failures.Add(1, new("stage", "upload"), new("trainer", Trainer.Name));
                uploadError = ex;
            }
        }

        // A refused training is a training for the 24-hour rule: without this, every check would train again.
        PrivateDirectory.Create(ModelsDirectory);
        LastTrainAt.Write(ModelsDirectory, trainedAt);
        TrainingLog.Rejected(_logger, Trainer.Name, ModelsDirectory, run?.Id ?? "(not uploaded)", gate.Reason);
        return new ModelTrainingRunResult
        {
            Outcome = ModelTrainingRunOutcome.Rejected,
            Trainer = Trainer.Name,
            ModelsDirectory = ModelsDirectory,
            TrainerOutput = output,
            ModelSet = set,
            TrainedAt = trainedAt,
            Gate = gate,
            Run = run,
            Snapshot = snapshot,
            UploadError = uploadError,
            Duration = _timeProvider.GetElapsedTime(started),
        };
    }

    private async Task<(ModelRun? Run, Exception? Error)> PublishAsync(ModelGateResult gate, CancellationToken cancellationToken)
    {
        if (Bucket is null)
        {
            return (null, null);
        }

        try
        {
            ModelRun run = await Bucket.PublishAsync(ModelsDirectory, gate, cancellationToken).ConfigureAwait(false);
            TrainingLog.Uploaded(_logger, Bucket.Name, run.Id);
            return (run, null);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            // The set is installed; the registry stays on the previous run until the next training publishes.
            TrainingLog.UploadFailed(_logger, ex, Bucket.Name);
            _metrics.Failures.Add(1, new("stage", "upload"), new("trainer", Trainer.Name));
            return (null, ex);
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
            ModelTrainingRunOutcome.Rejected => "rejected",
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
        ModelTrainingStage.QualityGate => "quality_gate",
        ModelTrainingStage.Snapshot => "snapshot",
        _ => "installation",
    };
}
