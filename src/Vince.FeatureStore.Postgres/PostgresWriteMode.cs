namespace Vince.FeatureStore.Postgres;

/// <summary>
/// How <see cref="PostgresFeatureSink"/> sends a batch to the server. Every mode ends in the same ordered upsert: a
/// stored row is never replaced by an older version (the payload's <c>updatedAt</c>).
/// </summary>
public enum PostgresWriteMode
{
    /// <summary>
    /// <see cref="Unnest"/> when the server is PGlite (it reports itself in <c>version()</c>), otherwise
    /// <see cref="Copy"/>. Decided when the sink initializes.
    /// </summary>
    Auto = 0,

    /// <summary>
    /// Binary <c>COPY</c> into a temporary staging table, then one <c>INSERT … SELECT … ON CONFLICT (id) DO UPDATE</c>:
    /// the fastest path on PostgreSQL. Not for PGlite, whose server wedges on <c>COPY FROM STDIN</c>.
    /// </summary>
    Copy = 1,

    /// <summary>
    /// One <c>INSERT … SELECT FROM unnest(@ids, @times, @payloads) … ON CONFLICT (id) DO UPDATE</c> with array
    /// parameters: no <c>COPY</c>, so it works on PGlite and behind any proxy.
    /// </summary>
    Unnest = 2,
}
