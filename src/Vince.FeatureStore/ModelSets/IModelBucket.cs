namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// The versioned model registry in a remote bucket, such as the Supabase Storage bucket <c>vince-ml-models</c>: every
/// published training is a run <c>runs/&lt;trained_at&gt;-&lt;sha12&gt;/</c> holding every file of the set, and
/// <c>latest.json</c> points to the run every instance installs (replaced last, so a reader never finds a pointer to a
/// run that is not complete). A run refused by the quality gate is kept with a <c>rejected.json</c> and never pointed
/// to. A bucket in the original bot's flat layout (the set at the root, no <c>latest.json</c>) still downloads.
/// </summary>
public interface IModelBucket
{
    /// <summary>A short name for logs and messages, e.g. <c>supabase:vince-ml-models</c>. Never contains a secret.</summary>
    string Name { get; }

    /// <summary>
    /// Uploads the set in <paramref name="setDirectory"/> as a new run (every model-set file and <c>last_train_at.txt</c>,
    /// then its <c>run.json</c>), then replaces <c>latest.json</c> with a pointer to it.
    /// </summary>
    /// <param name="setDirectory">A directory holding a validated model set (its <c>last_train_at.txt</c> gives the run's time; without it, now).</param>
    /// <param name="gate">The quality gate's verdict, recorded in the manifest (optional).</param>
    /// <param name="cancellationToken">Stops the upload; <c>latest.json</c> is unchanged unless its own upload had started.</param>
    /// <returns>The run, now <see cref="ModelRunStatus.Latest"/>.</returns>
    Task<ModelRun> PublishAsync(string setDirectory, ModelGateResult? gate = null, CancellationToken cancellationToken = default);

    /// <summary>Uploads the set as a run with <c>rejected.json</c> holding the gate's reason; <c>latest.json</c> is not touched.</summary>
    /// <param name="setDirectory">The refused set.</param>
    /// <param name="gate">The gate's verdict (its reason and figures).</param>
    /// <param name="cancellationToken">Stops the upload.</param>
    /// <returns>The run, <see cref="ModelRunStatus.Rejected"/>.</returns>
    Task<ModelRun> RejectAsync(string setDirectory, ModelGateResult gate, CancellationToken cancellationToken = default);

    /// <summary>The run <c>latest.json</c> points to; a <see cref="ModelRunStatus.Flat"/> run for a flat bucket; <see langword="null"/> when the bucket holds no set.</summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The current run, or <see langword="null"/>.</returns>
    Task<ModelRun?> GetLatestAsync(CancellationToken cancellationToken = default);

    /// <summary>Every run, newest first, with its status (and the flat set of an original bucket, when there is no <c>latest.json</c>).</summary>
    /// <param name="cancellationToken">Stops the requests.</param>
    /// <returns>The runs.</returns>
    Task<IReadOnlyList<ModelRun>> ListRunsAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// The time of the newest training the registry holds, published or rejected (read from the run names: one listing),
    /// so that the 24-hour rule holds across redeploys; <see langword="null"/> when there is none.
    /// </summary>
    /// <param name="cancellationToken">Stops the request.</param>
    /// <returns>The time, or <see langword="null"/>.</returns>
    Task<DateTimeOffset?> GetLastTrainingTimeAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Downloads a run (the latest unless <see cref="ModelDownloadRequest.Version"/> names one) into a staging directory,
    /// checks every file against its SHA-256 and installs it into <paramref name="modelsDirectory"/> in one atomic swap
    /// (never a mixed set of two trainings); other files of the directory are kept.
    /// </summary>
    /// <param name="modelsDirectory">The local models directory (created when missing).</param>
    /// <param name="request">Which run, and whether an identical local set is left alone (default: the latest, only when different).</param>
    /// <param name="cancellationToken">Stops the download; nothing is installed then.</param>
    /// <returns>What happened.</returns>
    Task<ModelDownloadResult> DownloadAsync(string modelsDirectory, ModelDownloadRequest? request = null, CancellationToken cancellationToken = default);
}

/// <summary>Which run <see cref="IModelBucket.DownloadAsync"/> installs.</summary>
public sealed class ModelDownloadRequest
{
    /// <summary>The run id (<see cref="ModelRun.Id"/>; <c>flat</c> for the bucket root); <see langword="null"/> for the one <c>latest.json</c> points to.</summary>
    public string? Version { get; init; }

    /// <summary>Leave the models directory alone when it already holds the run (same <c>training_metadata.json</c>). Default on.</summary>
    public bool OnlyWhenDifferent { get; init; } = true;
}
