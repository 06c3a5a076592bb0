namespace Vince.FeatureStore;

/// <summary>Which store a training (and a warm start of the serving history) reads its records from.</summary>
public enum FeatureSourceKind
{
    /// <summary>The most shared store configured: Supabase, else Postgres, else the local JSONL log.</summary>
    Auto = 0,

    /// <summary>The local JSONL log (the store's own <c>features_*.jsonl</c>).</summary>
    Jsonl = 1,

    /// <summary>The Postgres (or PGlite) table of <c>.AddPostgres(...)</c>.</summary>
    Postgres = 2,

    /// <summary>The Supabase table of <c>.AddSupabase(...)</c>, over its REST API.</summary>
    Supabase = 3,
}
