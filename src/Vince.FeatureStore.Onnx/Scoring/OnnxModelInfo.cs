namespace Vince.FeatureStore.Onnx;

/// <summary>Where the threshold of a loaded model comes from.</summary>
public enum ThresholdSource
{
    /// <summary><see cref="OnnxScoringOptions.Threshold"/>.</summary>
    Options,

    /// <summary>The metadata's <c>improvement_report.suggested_signal_quality_threshold</c>.</summary>
    Metadata,

    /// <summary>Neither: <see cref="OnnxScoringOptions.DefaultThreshold"/> (0.6).</summary>
    Default,
}

/// <summary>The signal-quality model a scorer currently uses, as loaded (immutable).</summary>
public sealed record OnnxModelInfo
{
    /// <summary>The model file.</summary>
    public required string ModelPath { get; init; }

    /// <summary>SHA-256 (lower-case hex) of the model file as read.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>The metadata file, or <see langword="null"/> when there is none.</summary>
    public string? MetadataPath { get; init; }

    /// <summary>
    /// Where the feature names come from: the metadata, else <c>signal_quality_features.json</c>, else (older metadata) the
    /// metadata's <c>improvement_report.feature_importances.signal_quality</c>.
    /// </summary>
    public required string FeatureNamesSource { get; init; }

    /// <summary>The metadata, or <see langword="null"/> when there is none.</summary>
    public TrainingMetadata? Metadata { get; init; }

    /// <summary>Which load of the scorer this is (1 for the first model, +1 per reload).</summary>
    public long Version { get; init; }

    /// <summary>When the model was loaded.</summary>
    public DateTimeOffset LoadedAt { get; init; }

    /// <summary>The input columns, in model order.</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>Feature names no flattening rule produces; they are fed 0.</summary>
    public IReadOnlyList<string> UnknownFeatureNames { get; init; } = [];

    /// <summary>The model input the vector is bound to.</summary>
    public required string InputName { get; init; }

    /// <summary>The model output the probability is read from.</summary>
    public required string OutputName { get; init; }

    /// <summary>The column of that output holding P(profitable).</summary>
    public int OutputColumn { get; init; }

    /// <summary>Changes made to the model file at load so ONNX Runtime runs it correctly (empty for a clean file).</summary>
    public IReadOnlyList<string> Repairs { get; init; } = [];

    /// <summary>The threshold used.</summary>
    public double Threshold { get; init; }

    /// <summary>Where <see cref="Threshold"/> comes from.</summary>
    public ThresholdSource ThresholdSource { get; init; }

    /// <summary>The Platt calibration applied, or <see langword="null"/>.</summary>
    public PlattCalibration? Calibration { get; init; }

    /// <summary>How many input columns are standardised with the metadata's mean/std (0: raw values, as the newest script trains).</summary>
    public int ScaledColumnCount { get; init; }
}
