using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Vince.FeatureStore.Health;

/// <summary>
/// The health of the JSONL log writer: <c>Unhealthy</c> when it stopped with an error or is not running,
/// <c>Degraded</c> while appends fail (they are retried) or the record queue is nearly full, <c>Healthy</c> otherwise.
/// </summary>
internal sealed class FeatureLogHealthCheck(FeatureStore store, FeatureStoreHealthCheckOptions options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        LogWriterHealth health = store.GetLogHealth();
        var data = new Dictionary<string, object>(StringComparer.Ordinal)
        {
            ["queueDepth"] = health.QueueDepth,
            ["queueCapacity"] = health.QueueCapacity,
            ["consecutiveWriteFailures"] = health.ConsecutiveWriteFailures,
            ["dropped"] = health.Dropped,
        };

        HealthCheckResult result;
        if (health.Faulted)
        {
            result = HealthCheckResult.Unhealthy("The JSONL log writer failed; the feature store accepts no more records (see the log).", data: data);
        }
        else if (!health.Running)
        {
            result = HealthCheckResult.Unhealthy("The feature store is not running (not started yet, or stopped).", data: data);
        }
        else if (health.ConsecutiveWriteFailures > 0)
        {
            result = HealthCheckResult.Degraded($"Appending to the JSONL log failed {health.ConsecutiveWriteFailures} time(s) in a row; retrying.", data: data);
        }
        else if (health.QueueDepth >= options.DegradedQueueFill * health.QueueCapacity)
        {
            result = HealthCheckResult.Degraded($"The record queue is {health.QueueDepth} of {health.QueueCapacity} full: the log cannot keep up.", data: data);
        }
        else
        {
            result = HealthCheckResult.Healthy($"The JSONL log is writing ({health.QueueDepth} queued).", data);
        }

        return Task.FromResult(result);
    }
}
