namespace Vince.FeatureStore.ModelSets;

/// <summary>What <see cref="IModelBucket.DownloadIfMissingAsync"/> did.</summary>
public enum ModelDownloadOutcome
{
    /// <summary>The models directory already has an <c>.onnx</c> file; nothing was downloaded.</summary>
    AlreadyPresent,

    /// <summary>The bucket has no <c>training_metadata.json</c>, or it lists no model; nothing was installed.</summary>
    NotAvailable,

    /// <summary>The model set was downloaded, validated and installed.</summary>
    Installed,
}

/// <summary>The outcome of a model download and the files installed.</summary>
/// <param name="Outcome">What happened.</param>
/// <param name="Files">The file names installed (empty unless <see cref="ModelDownloadOutcome.Installed"/>).</param>
public sealed record ModelDownloadResult(ModelDownloadOutcome Outcome, IReadOnlyList<string> Files);
