namespace Vince.FeatureStore.ModelSets;

/// <summary>What <see cref="IModelBucket.DownloadAsync"/> did.</summary>
public enum ModelDownloadOutcome
{
    /// <summary>The models directory already holds the run (same <c>training_metadata.json</c>); nothing was downloaded.</summary>
    UpToDate,

    /// <summary>The bucket holds no set (no <c>latest.json</c>, no flat <c>training_metadata.json</c>, or it lists no model); nothing was installed.</summary>
    NotAvailable,

    /// <summary>The run was downloaded, checked and installed.</summary>
    Installed,
}

/// <summary>The outcome of a model download and the files installed.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Files">The file names installed (empty unless <see cref="ModelDownloadOutcome.Installed"/>).</param>
public sealed record ModelDownloadResult(ModelDownloadOutcome Outcome, IReadOnlyList<string> Files)
{
    /// <summary>The run downloaded or found up to date; <see langword="null"/> when nothing was available.</summary>
    public ModelRun? Run { get; init; }
}
