namespace Vince.FeatureStore;

/// <summary>
/// Thresholds of the feature store's health checks (<c>.AddHealthChecks().AddVinceFeatureStoreChecks()</c>).
/// Validated when the host starts.
/// </summary>
public sealed class FeatureStoreHealthCheckOptions
{
    /// <summary>
    /// A sink is <c>Degraded</c> when more than this many record versions of the log wait for it. Default 10 000.
    /// </summary>
    public int DegradedPendingRecords { get; set; } = 10_000;

    /// <summary>
    /// A sink is <c>Degraded</c> when the oldest log data it has not acknowledged has been waiting longer than
    /// this. Default 5 minutes.
    /// </summary>
    public TimeSpan DegradedLag { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// A sink is <c>Unhealthy</c> after this many failed attempts in a row (fewer failures make it
    /// <c>Degraded</c>). Default 5.
    /// </summary>
    public int UnhealthyConsecutiveFailures { get; set; } = 5;

    /// <summary>
    /// The log is <c>Degraded</c> when the record queue is at least this full (0–1). Default 0.9.
    /// </summary>
    public double DegradedQueueFill { get; set; } = 0.9;

    /// <summary>
    /// The models directory whose <c>feature_bins.json</c> the drift check (<c>&lt;name&gt;:drift</c>) compares the
    /// store's recent records with; <see langword="null"/> (the default) adds no drift check. The check is
    /// <c>Degraded</c> naming the columns whose PSI passes <see cref="DriftThreshold"/>, lag columns stuck at 0 and
    /// columns missing from the live records.
    /// </summary>
    public string? DriftModelsDirectory { get; set; }

    /// <summary>The PSI above which a column has drifted. Default 0.2.</summary>
    public double DriftThreshold { get; set; } = Drift.FeatureDriftSettings.DefaultThreshold;

    /// <summary>How many of the newest records the drift check compares with training. Default 500.</summary>
    public int DriftRecentRecords { get; set; } = Drift.FeatureDriftSettings.DefaultRecentRecords;

    /// <summary>
    /// How long a drift result is reused before the log is read again (health probes come often; the drift of a few
    /// hundred records moves slowly). Default 5 minutes.
    /// </summary>
    public TimeSpan DriftCheckInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Returns every problem with the settings, or an empty list.</summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (DegradedPendingRecords < 1)
        {
            errors.Add($"{nameof(DegradedPendingRecords)} must be at least 1 (was {DegradedPendingRecords}).");
        }

        if (DegradedLag <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(DegradedLag)} must be positive (was {DegradedLag}).");
        }

        if (UnhealthyConsecutiveFailures < 1)
        {
            errors.Add($"{nameof(UnhealthyConsecutiveFailures)} must be at least 1 (was {UnhealthyConsecutiveFailures}).");
        }

        if (double.IsNaN(DegradedQueueFill) || DegradedQueueFill is <= 0 or > 1)
        {
            errors.Add($"{nameof(DegradedQueueFill)} must be greater than 0 and at most 1 (was {DegradedQueueFill}).");
        }

        if (DriftModelsDirectory is not null && (DriftModelsDirectory.Trim().Length == 0 || DriftModelsDirectory.IndexOfAny(Path.GetInvalidPathChars()) >= 0))
        {
            errors.Add($"{nameof(DriftModelsDirectory)} '{DriftModelsDirectory}' is not a valid path.");
        }

        if (!(DriftThreshold > 0) || double.IsInfinity(DriftThreshold))
        {
            errors.Add($"{nameof(DriftThreshold)} must be a positive number (was {DriftThreshold}).");
        }

        if (DriftRecentRecords < Drift.FeatureDriftReport.MinimumRecentRecords)
        {
            errors.Add($"{nameof(DriftRecentRecords)} must be at least {Drift.FeatureDriftReport.MinimumRecentRecords} (was {DriftRecentRecords}).");
        }

        if (DriftCheckInterval < TimeSpan.Zero)
        {
            errors.Add($"{nameof(DriftCheckInterval)} must not be negative (was {DriftCheckInterval}).");
        }

        return errors;
    }

    internal Drift.FeatureDriftSettings DriftSettings => new() { Threshold = DriftThreshold, RecentRecords = DriftRecentRecords };

    internal FeatureStoreHealthCheckOptions Clone() => (FeatureStoreHealthCheckOptions)MemberwiseClone();
}
