using Microsoft.Extensions.Diagnostics.HealthChecks;
using Vince.FeatureStore.Drift;

namespace Vince.FeatureStore.Health;

/// <summary>
/// Feature drift of the live records against the installed model set: <c>Degraded</c> naming the columns whose PSI
/// passes the threshold, lag columns stuck at 0 and columns missing from the live records (or when the set has no
/// <c>feature_bins.json</c>), <c>Healthy</c> otherwise (also with too few recent records for a verdict).
/// </summary>
internal sealed class FeatureDriftHealthCheck(FeatureDriftMonitor monitor) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        FeatureDriftCheck check = await monitor.CheckAsync(cancellationToken).ConfigureAwait(false);
        var data = new Dictionary<string, object>(StringComparer.Ordinal) { ["modelsDirectory"] = monitor.ModelsDirectory };
        if (check.Report is not { } report)
        {
            return HealthCheckResult.Degraded(check.Description, data: data);
        }

        data["recentRecords"] = report.RecentRecords;
        data["threshold"] = report.Settings.Threshold;
        IReadOnlyList<ColumnDrift> alarms = report.Alarms;
        data["driftedColumns"] = alarms.Select(a => a.Name).ToArray();
        foreach (ColumnDrift column in report.Columns)
        {
            data["psi:" + column.Name] = Math.Round(column.Psi, 4);
        }

        return alarms.Count > 0 ? HealthCheckResult.Degraded(check.Description, data: data) : HealthCheckResult.Healthy(check.Description, data);
    }
}
