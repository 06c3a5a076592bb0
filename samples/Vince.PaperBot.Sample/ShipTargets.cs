using Vince.FeatureStore;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.PaperBot.Sample;

/// <summary>The start-up line naming where the records go: the JSONL log, then every sink with its table.</summary>
internal static class ShipTargets
{
    public static string Describe(string dataDirectory, IEnumerable<IFeatureSink> sinks)
    {
        List<string> targets = sinks.Select(sink => sink switch
        {
            PostgresFeatureSink postgres => $"{sink.Name} ({postgres.TableName})",
            SupabaseFeatureSink supabase => $"{sink.Name} ({supabase.TableName} at {supabase.ProjectUrl})",
            _ => sink.Name,
        }).ToList();
        return $"Recording to the JSONL log in {Path.GetFullPath(dataDirectory)}; shipping to {(targets.Count == 0 ? "no sink (set POSTGRES_URL or SUPABASE_URL and a key to add one)" : string.Join(", ", targets))}";
    }
}
