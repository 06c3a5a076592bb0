using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Logs once, when the host starts, whether Supabase writing is on (information) or off (debug), and warns when the key is
/// an anon key, whose writes row level security refuses without a policy.
/// </summary>
internal sealed class SupabaseStartupLog(ILogger logger, bool enabled, string table, string reason, string? anonKeySource = null) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (enabled)
        {
            SupabaseLog.Enabled(logger, table);
            if (anonKeySource is not null)
            {
                SupabaseLog.AnonKeyNeedsPolicy(logger, "public." + table, anonKeySource);
            }
        }
        else
        {
            SupabaseLog.Disabled(logger, reason);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
