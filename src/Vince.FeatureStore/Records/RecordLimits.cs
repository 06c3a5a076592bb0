namespace Vince.FeatureStore;

/// <summary>
/// Bounds of record lines: how deep their JSON may nest, and the values the sinks index. PostgreSQL (and so
/// Supabase) cannot index a text longer than about 2.7 KB (btree) and no timestamp after year 9999: a record beyond
/// them would fail its sink forever and stop everything behind it. Recording refuses such a record; the reader and the shippers skip such a line with a warning (the log
/// keeps it).
/// </summary>
internal static class RecordLimits
{
    /// <summary>
    /// Deepest nesting of a record line's JSON, for every reader of record lines: the fast reader, the header scan and
    /// the serializer (whose default it is), so a line that one of them rejects as too deep none of them accepts.
    /// </summary>
    public const int MaxJsonDepth = 64;

    /// <summary>9999-12-31T23:59:59.999Z in Unix milliseconds.</summary>
    public const long MaxTimestamp = 253_402_300_799_999;

    /// <summary>Most characters of an id (the primary key of the sink tables; the bot's ids have 23).</summary>
    public const int MaxIdLength = 256;

    /// <summary>Most characters of an asset (indexed in the sink tables; tickers are short).</summary>
    public const int MaxAssetLength = 256;

    /// <summary>Why a record's id, asset or timestamp is beyond the limits, or <see langword="null"/>.</summary>
    public static string? Check(string? id, string? asset, long timestamp)
    {
        if (id?.Length > MaxIdLength)
        {
            return $"the record's id is {id!.Length} characters long (at most {MaxIdLength})";
        }

        if (asset?.Length > MaxAssetLength)
        {
            return $"the record's asset is {asset!.Length} characters long (at most {MaxAssetLength})";
        }

        return timestamp > MaxTimestamp ? $"the record's timestamp {timestamp} is beyond year 9999" : null;
    }
}
