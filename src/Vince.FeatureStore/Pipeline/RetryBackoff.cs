namespace Vince.FeatureStore.Pipeline;

/// <summary>Exponential backoff with jitter and a cap: attempt n waits between half and all of min(cap, initial·2^(n−1)).</summary>
internal static class RetryBackoff
{
    public static TimeSpan Delay(int attempt, TimeSpan initial, TimeSpan cap, double random)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(attempt, 1);
        double exponent = Math.Min(attempt - 1, 30);
        double ceilingMs = Math.Min(cap.TotalMilliseconds, initial.TotalMilliseconds * Math.Pow(2, exponent));
        // Jitter spreads retries of many processes hitting one recovering server.
        return TimeSpan.FromMilliseconds(ceilingMs * (0.5 + (0.5 * random)));
    }
}
