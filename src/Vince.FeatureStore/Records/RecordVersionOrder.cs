namespace Vince.FeatureStore;

/// <summary>
/// The order of a record's versions, one rule for the store, the batches and every database: a version's order is its
/// <c>updatedAt</c> (Unix ms); a version without one (an old log, the original bot's rows) is older than any version
/// with one. An incoming version replaces a stored one when its order is not lower: on a tie the incoming one wins,
/// so a replay of the same version is idempotent and unversioned rows keep their last-writer-wins upsert.
/// </summary>
internal static class RecordVersionOrder
{
    /// <summary>The top-level JSON key of the order.</summary>
    public const string JsonKey = "updatedAt";

    /// <summary>The order of a version without <c>updatedAt</c>: below every one the store assigns (Unix ms, never negative).</summary>
    public const long Unversioned = -1;

    /// <summary>
    /// The <c>updatedAt</c> of the next version of a record: the clock's time, unless the record's previous version
    /// has that or a later one (several versions in one millisecond, the clock stepped back, or a restart on a clock
    /// behind the old one), then one millisecond after it.
    /// </summary>
    /// <param name="nowUnixMs">The clock's time.</param>
    /// <param name="previous">The <c>updatedAt</c> of the previous version known to the store, if any.</param>
    /// <returns>A value greater than <paramref name="previous"/>.</returns>
    public static long Next(long nowUnixMs, long? previous)
    {
        // A value beyond year 9999 cannot be the store's own: ignore it rather than overflow or run ahead of every clock.
        return previous is { } last and >= 0 and < RecordLimits.MaxTimestamp && last >= nowUnixMs ? last + 1 : nowUnixMs;
    }

    /// <summary>The order of <paramref name="record"/>: its <c>updatedAt</c>, or <see cref="Unversioned"/>.</summary>
    public static long Of(FeatureRecord record) => record.UpdatedAt ?? Unversioned;

    /// <summary>Whether <paramref name="incoming"/> may replace <paramref name="stored"/> (same id).</summary>
    public static bool Replaces(FeatureRecord incoming, FeatureRecord stored) => Of(stored) <= Of(incoming);

    /// <summary>
    /// SQL: the order of a <c>jsonb</c> payload expression, as <see cref="Of"/> computes it (<c>numeric</c>;
    /// <see cref="Unversioned"/> when the payload has no numeric <c>updatedAt</c>). Only <c>pg_catalog</c> functions, so it
    /// also runs in a function with an empty <c>search_path</c>.
    /// </summary>
    /// <param name="payload">A SQL expression of type <c>jsonb</c>, e.g. <c>t.payload</c>.</param>
    /// <returns>The SQL expression.</returns>
    public static string SqlOrderOf(string payload)
        => $"COALESCE(CASE WHEN jsonb_typeof({payload} -> '{JsonKey}') = 'number' THEN ({payload} ->> '{JsonKey}')::numeric END, {Unversioned})";

    /// <summary>SQL: the condition under which the payload <paramref name="incoming"/> may replace <paramref name="stored"/>, as <see cref="Replaces"/>.</summary>
    /// <param name="incoming">The new payload's SQL expression (e.g. <c>EXCLUDED.payload</c>).</param>
    /// <param name="stored">The stored payload's SQL expression.</param>
    /// <returns>The SQL condition.</returns>
    public static string SqlReplaces(string incoming, string stored) => $"{SqlOrderOf(stored)} <= {SqlOrderOf(incoming)}";
}
