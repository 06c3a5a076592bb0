namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Settings of the quality gate a new model set passes before it is installed and published: its signal-quality
/// holdout AUC must be at least the current set's (the champion's) on the same rows minus <see cref="Tolerance"/>.
/// </summary>
public sealed class ModelQualityGateOptions
{
    /// <summary>The default tolerance, 0.01.</summary>
    public const double DefaultTolerance = 0.01;

    /// <summary>Compare a new set with the current one before installing it. Default on; off installs every valid set (the behaviour before the gate).</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>How much lower than the champion's AUC the challenger's may be and still pass (AUC points, 0 to 0.5). Default 0.01.</summary>
    public double Tolerance { get; set; } = DefaultTolerance;

    /// <summary>Returns every problem with the settings, or an empty list.</summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
        => Tolerance is >= 0 and <= 0.5 ? [] : [$"{nameof(Tolerance)} must be between 0 and 0.5 (AUC points) (was {Tolerance})."];
}
