using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Vince.FeatureStore.Health;

/// <summary>
/// The health of one sink: <c>Unhealthy</c> while it is blocked by a permanent failure (the description is the blocked
/// error with its advice) or after <see cref="FeatureStoreHealthCheckOptions.UnhealthyConsecutiveFailures"/>
/// failures in a row, <c>Degraded</c> while it fails fewer times, holds parked records in its dead-letter file, or lags
/// the log by more than the configured records or time, <c>Healthy</c> otherwise. The data holds the figures (never a secret: sink errors carry no credentials).
/// </summary>
internal sealed class FeatureSinkHealthCheck(FeatureStore store, string sinkName, FeatureStoreHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        if (store.GetSinkHealth(sinkName, options.DegradedPendingRecords) is not { } health)
        {
            return Task.FromResult(HealthCheckResult.Unhealthy($"The feature store has no sink named '{sinkName}'."));
        }

        FeatureSinkStatus status = health.Status;
        long pendingRecords = health.PendingRecords;
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["sink"] = status.Name,
            ["pendingRecords"] = pendingRecords,
            ["pendingBytes"] = status.PendingBytes,
            ["lagSeconds"] = Math.Round(status.Lag.TotalSeconds, 3),
            ["consecutiveFailures"] = status.ConsecutiveFailures,
            ["written"] = status.Written,
            ["deadLetters"] = status.DeadLetters,
        };
        if (status.BlockedSinceUtc is { } blocked)
        {
            data["blockedSinceUtc"] = blocked.ToString("O", CultureInfo.InvariantCulture);
        }

        if (status.LastError is not null)
        {
            data["lastError"] = status.LastError;
        }

        if (status.LastSuccessUtc is { } success)
        {
            data["lastSuccessUtc"] = success.ToString("O", CultureInfo.InvariantCulture);
        }

        HealthCheckResult result;
        if (status.IsBlocked)
        {
            result = HealthCheckResult.Unhealthy($"Sink {status.Name} is blocked: {status.LastError}", data: data);
        }
        else if (status.ConsecutiveFailures >= options.UnhealthyConsecutiveFailures)
        {
            result = HealthCheckResult.Unhealthy(
                $"Sink {status.Name} failed {status.ConsecutiveFailures} time(s) in a row: {status.LastError}", data: data);
        }
        else if (status.ConsecutiveFailures > 0)
        {
            result = HealthCheckResult.Degraded(
                $"Sink {status.Name} is retrying after {status.ConsecutiveFailures} failure(s): {status.LastError}", data: data);
        }
        else if (status.DeadLetters > 0)
        {
            result = HealthCheckResult.Degraded(
                $"Sink {status.Name} refused {status.DeadLetters} record version(s), parked in {Pipeline.DeadLetterFile.RelativePathOf(status.Name)}: " +
                $"see 'vince-features deadletter list --sink {status.Name}', fix the cause, then 'vince-features deadletter retry --sink {status.Name}'.", data: data);
        }
        else if (pendingRecords > options.DegradedPendingRecords)
        {
            result = HealthCheckResult.Degraded(
                $"Sink {status.Name} is more than {options.DegradedPendingRecords} record version(s) behind the log.", data: data);
        }
        else if (status.Lag > options.DegradedLag)
        {
            result = HealthCheckResult.Degraded(
                $"Sink {status.Name} has not shipped log data that is {status.Lag.TotalSeconds:F0} s old (limit {options.DegradedLag.TotalSeconds:F0} s).", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy(
                pendingRecords == 0 ? $"Sink {status.Name} is caught up with the log." : $"Sink {status.Name} is {pendingRecords} record version(s) behind the log.",
                data);
        }

        return Task.FromResult(result);
    }
}
