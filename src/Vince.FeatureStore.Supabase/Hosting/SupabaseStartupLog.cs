using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>Logs once, when the host starts, whether Supabase writing is on (information) or off (debug).</summary>
internal sealed class SupabaseStartupLog(ILogger logger, bool enabled, string table, string reason) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (enabled)
        {
            SupabaseLog.Enabled(logger, table);
        }
        else
        {
            SupabaseLog.Disabled(logger, reason);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
