using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>What a <see cref="ModelTrainingRunner.RunOnceAsync(bool, CancellationToken)"/> run ended with.</summary>
public enum ModelTrainingRunOutcome
{
    /// <summary>A new model set was trained, validated and installed.</summary>
    Installed,

    /// <summary>The trainer wrote metadata with no model (fewer complete trades than the minimum); nothing was installed.</summary>
    NotEnoughData,

    /// <summary>The training, its validation or its installation failed; the previous models are unchanged.</summary>
    Failed,

    /// <summary>The quality gate refused the new set (see <see cref="ModelTrainingRunResult.Gate"/>): it is kept as a rejected run; the installed and published models are unchanged.</summary>
    Rejected,
}

/// <summary>The step of a run that failed.</summary>
public enum ModelTrainingStage
{
    /// <summary>The trainer failed (exit code, timeout, could not start).</summary>
    Training,

    /// <summary>The trainer's output is not a valid model set.</summary>
    Validation,

    /// <summary>The set could not be moved into the models directory.</summary>
    Installation,

    /// <summary>The quality gate could not compare the new set with the current one (e.g. the registry's latest run could not be downloaded).</summary>
    QualityGate,

    /// <summary>The training source could not be read into the run's snapshot.</summary>
    Snapshot,
}

/// <summary>The result of one training run: what was installed, uploaded and reloaded, or why nothing was.</summary>
public sealed class ModelTrainingRunResult
{
    /// <summary>What the run ended with.</summary>
    public required ModelTrainingRunOutcome Outcome { get; init; }

    /// <summary>The trainer's name (<see cref="IModelTrainer.Name"/>).</summary>
    public required string Trainer { get; init; }

    /// <summary>The models directory (absolute).</summary>
    public required string ModelsDirectory { get; init; }

    /// <summary>How long the run took (training, validation, installation, upload and reload).</summary>
    public TimeSpan Duration { get; init; }

    /// <summary>The trainer's output (the tail of a process's stdout/stderr), or empty.</summary>
    public string TrainerOutput { get; init; } = string.Empty;

    /// <summary>The validated set (for <see cref="ModelTrainingRunOutcome.Installed"/> and <see cref="ModelTrainingRunOutcome.NotEnoughData"/>).</summary>
    public ValidatedModelSet? ModelSet { get; init; }

    /// <summary>The time written to <c>last_train_at.txt</c> (for <see cref="ModelTrainingRunOutcome.Installed"/> and <see cref="ModelTrainingRunOutcome.Rejected"/>).</summary>
    public DateTimeOffset? TrainedAt { get; init; }

    /// <summary>How the set was swapped in (only for <see cref="ModelTrainingRunOutcome.Installed"/>).</summary>
    public ModelSetSwap? Swap { get; init; }

    /// <summary>The step that failed (only for <see cref="ModelTrainingRunOutcome.Failed"/>).</summary>
    public ModelTrainingStage? FailedStage { get; init; }

    /// <summary>Why the run failed: a <see cref="ModelTrainingException"/>, an <see cref="InvalidModelSetException"/>, an I/O error.</summary>
    public Exception? Error { get; init; }

    /// <summary>The quality gate's verdict (for <see cref="ModelTrainingRunOutcome.Installed"/> and <see cref="ModelTrainingRunOutcome.Rejected"/>).</summary>
    public ModelGateResult? Gate { get; init; }

    /// <summary>The snapshot of the training source the trainer read (also <c>data_source</c> in the set's metadata), or <see langword="null"/> when it was not taken.</summary>
    public FeatureSnapshotManifest? Snapshot { get; init; }

    /// <summary>The run in the registry: published (latest) or kept as rejected; <see langword="null"/> without a bucket or when the upload failed.</summary>
    public ModelRun? Run { get; init; }

    /// <summary>Why the upload to the registry failed; an installed set stays installed locally all the same.</summary>
    public Exception? UploadError { get; init; }

    /// <summary>The scorer's model after the reload, when a scorer was given and reloaded.</summary>
    public OnnxModelInfo? ScorerModel { get; init; }

    /// <summary>Why the scorer reload failed; the scorer keeps its previous model.</summary>
    public Exception? ReloadError { get; init; }

    /// <summary>Throws when the run failed.</summary>
    /// <exception cref="ModelTrainingException">The run failed; the message says at which step, the inner exception why, and <see cref="ModelTrainingException.TrainerOutput"/> holds the trainer's output.</exception>
    public void ThrowIfFailed()
    {
        if (Outcome == ModelTrainingRunOutcome.Failed)
        {
            throw new ModelTrainingException($"Training with {Trainer} failed at {FailedStage}; the models in {ModelsDirectory} are unchanged. {Error?.Message}", TrainerOutput, Error)
            {
                ExitCode = (Error as ModelTrainingException)?.ExitCode,
            };
        }
    }
}
