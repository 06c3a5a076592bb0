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

        return errors;
    }

    internal FeatureStoreHealthCheckOptions Clone() => (FeatureStoreHealthCheckOptions)MemberwiseClone();
}
