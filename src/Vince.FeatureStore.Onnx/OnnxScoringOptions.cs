using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Onnx;

/// <summary>Settings of the <see cref="OnnxSignalQualityScorer"/>. Validated at start-up when registered in a host.</summary>
public sealed class OnnxScoringOptions
{
    /// <summary>The models directory of the existing bot.</summary>
    public const string DefaultModelsDirectory = ".elizadb/vince-paper-bot/models";

    /// <summary>The environment variable the bot uses for the models directory (<see cref="VinceEnvironment.ModelsDirectory"/>).</summary>
    public const string ModelsDirectoryEnvironmentVariable = VinceEnvironment.ModelsDirectory;

    /// <summary>The default threshold when neither <see cref="Threshold"/> nor the metadata sets one.</summary>
    public const double DefaultThreshold = 0.6;

    /// <summary>
    /// Directory holding <see cref="ModelFileName"/> and <see cref="MetadataFileName"/>. When unset:
    /// <c>VINCE_ML_MODELS_DIR</c>, else <see cref="DefaultModelsDirectory"/> (relative to the working directory).
    /// </summary>
    public string? ModelsDirectory { get; set; }

    /// <summary>The model file in <see cref="ModelsDirectory"/>. Default <c>signal_quality.onnx</c>.</summary>
    public string ModelFileName { get; set; } = "signal_quality.onnx";

    /// <summary>The training metadata in <see cref="ModelsDirectory"/>. Default <c>training_metadata.json</c>.</summary>
    public string MetadataFileName { get; set; } = TrainingMetadata.FileName;

    /// <summary>
    /// The probability a signal must reach to pass. When unset: the metadata's
    /// <c>improvement_report.suggested_signal_quality_threshold</c>, else <see cref="DefaultThreshold"/> (0.6).
    /// </summary>
    public double? Threshold { get; set; }

    /// <summary>Reload the model when its files change (a new training). Default on.</summary>
    public bool WatchForChanges { get; set; } = true;

    /// <summary>How long the files must be quiet before a changed model is reloaded. Default 2 s.</summary>
    public TimeSpan ReloadDebounce { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// When the metadata lists <c>onnx_hashes.signal_quality</c>, refuse a model file whose SHA-256 differs
    /// (files of two different trainings, or a training still writing them). Default on.
    /// </summary>
    public bool VerifyModelHash { get; set; } = true;

    /// <summary>ONNX Runtime intra-op threads per call. Default 1: one record per call gains nothing from more.</summary>
    public int IntraOpNumThreads { get; set; } = 1;

    /// <summary>
    /// In a host with a registered model bucket (<c>IModelBucket</c>, e.g. Supabase Storage): at start-up, when the models
    /// directory does not hold the registry's latest run (no model, or a different <c>training_metadata.json</c>), download
    /// and install it atomically before the scorer loads; then poll for new runs every <see cref="ModelPollInterval"/>. Default on.
    /// </summary>
    public bool DownloadLatestModels { get; set; } = true;

    /// <summary>
    /// How often a running instance reads the registry's <c>latest.json</c> and, when another run was published, installs
    /// it (one atomic swap of the whole set) and reloads the scorer. Default 5 minutes; <see cref="TimeSpan.Zero"/> turns
    /// polling off. Only with <see cref="DownloadLatestModels"/> and a registered bucket.
    /// </summary>
    public TimeSpan ModelPollInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long the start-up download may take before the scorer starts without it. Default 2 minutes.</summary>
    public TimeSpan ModelDownloadTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>The models directory in effect: <see cref="ModelsDirectory"/>, else the environment variable, else the default.</summary>
    /// <returns>The directory.</returns>
    public string ResolveModelsDirectory() => ResolveModelsDirectory(VinceEnvironment.Process.AsFunc());

    internal string ResolveModelsDirectory(Func<string, string?> environment)
    {
        if (!string.IsNullOrWhiteSpace(ModelsDirectory))
        {
            return ModelsDirectory;
        }

        string? fromEnvironment = environment(VinceEnvironment.ModelsDirectory);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? DefaultModelsDirectory : fromEnvironment;
    }

    /// <summary>Returns every problem with the settings, or an empty list.</summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        string directory = ResolveModelsDirectory();
        if (directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{nameof(ModelsDirectory)} '{directory}' contains characters that are not allowed in a path.");
        }

        CheckFileName(errors, nameof(ModelFileName), ModelFileName);
        CheckFileName(errors, nameof(MetadataFileName), MetadataFileName);
        if (string.Equals(ModelFileName, MetadataFileName, StringComparison.Ordinal))
        {
            errors.Add($"{nameof(ModelFileName)} and {nameof(MetadataFileName)} must differ (both are '{ModelFileName}').");
        }

        if (Threshold is { } threshold && !(threshold >= 0 && threshold <= 1))
        {
            errors.Add($"{nameof(Threshold)} must be between 0 and 1 (was {threshold}).");
        }

        if (ReloadDebounce < TimeSpan.Zero || ReloadDebounce > TimeSpan.FromMinutes(10))
        {
            errors.Add($"{nameof(ReloadDebounce)} must be between 0 and 10 minutes (was {ReloadDebounce}).");
        }

        if (ModelDownloadTimeout <= TimeSpan.Zero || ModelDownloadTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"{nameof(ModelDownloadTimeout)} must be between 0 and 1 hour (was {ModelDownloadTimeout}).");
        }

        if (ModelPollInterval != TimeSpan.Zero && (ModelPollInterval < TimeSpan.FromSeconds(1) || ModelPollInterval > TimeSpan.FromDays(1)))
        {
            errors.Add($"{nameof(ModelPollInterval)} must be 0 (off) or between 1 second and 1 day (was {ModelPollInterval}).");
        }

        if (IntraOpNumThreads < 0)
        {
            errors.Add($"{nameof(IntraOpNumThreads)} must not be negative (was {IntraOpNumThreads}; 0 lets ONNX Runtime decide).");
        }

        return errors;
    }

    private static void CheckFileName(List<string> errors, string option, string? value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            errors.Add($"{option} must be set.");
        }
        else if (value.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0 || value.Contains('/', StringComparison.Ordinal) || value.Contains('\\', StringComparison.Ordinal)
                 || value is "." or "..")
        {
            errors.Add($"{option} '{value}' must be a file name in {nameof(ModelsDirectory)}, not a path.");
        }
    }
}
