namespace Vince.FeatureStore.Recording;

/// <summary>The checks and defaults a record version gets before it is queued, and how a new decision is built.</summary>
internal static class RecordVersions
{
    /// <summary>Validates <paramref name="record"/> and fills in a missing id (new) and timestamp (now).</summary>
    /// <exception cref="ArgumentException">No asset, a timestamp before 1970 or after year 9999, or an asset or id that is too long.</exception>
    public static FeatureRecord Complete(FeatureRecord record, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (string.IsNullOrWhiteSpace(record.Asset))
        {
            throw new ArgumentException("A feature record needs an asset (e.g. \"BTC\").", nameof(record));
        }

        if (record.Timestamp is < 0 or > RecordLimits.MaxTimestamp)
        {
            // Beyond year 9999 no database timestamp (nor DateTimeOffset) holds it: a sink would fail forever.
            throw new ArgumentException($"The record timestamp must be Unix epoch milliseconds up to year 9999, not {record.Timestamp}.", nameof(record));
        }

        if (record.Asset.Length > RecordLimits.MaxAssetLength || record.Id.Length > RecordLimits.MaxIdLength)
        {
            // The sinks index both: PostgreSQL cannot index longer text, so such a record would fail its sinks forever.
            throw new ArgumentException($"A record's asset and id may have at most {RecordLimits.MaxAssetLength} characters (asset: {record.Asset.Length}, id: {record.Id.Length}).", nameof(record));
        }

        if (record.Timestamp == 0 || string.IsNullOrEmpty(record.Id))
        {
            long timestamp = record.Timestamp == 0 ? time.GetUtcNow().ToUnixTimeMilliseconds() : record.Timestamp;
            record = record with
            {
                Timestamp = timestamp,
                Id = string.IsNullOrEmpty(record.Id) ? FeatureRecordId.New(timestamp) : record.Id,
            };
        }

        return record;
    }

    /// <summary>The first version of a decision made <paramref name="at"/>, under a new id (the record is validated when it is recorded).</summary>
    public static FeatureRecord NewDecision(
        string asset,
        MarketFeatures? market,
        SessionFeatures? session,
        SignalFeatures? signal,
        RegimeFeatures? regime,
        NewsFeatures? news,
        IReadOnlyList<string>? decisionDrivers,
        DateTimeOffset at)
        => Decision(FeatureRecordId.New(at), asset, market, session, signal, regime, news, decisionDrivers, at);

    /// <summary>
    /// A decision made <paramref name="at"/> from its parts, under <paramref name="id"/> (empty for a decision scored before
    /// it is recorded, which gets its id then).
    /// </summary>
    public static FeatureRecord Decision(
        string id,
        string asset,
        MarketFeatures? market,
        SessionFeatures? session,
        SignalFeatures? signal,
        RegimeFeatures? regime,
        NewsFeatures? news,
        IReadOnlyList<string>? decisionDrivers,
        DateTimeOffset at) => new()
        {
            Id = id,
            Timestamp = at.ToUnixTimeMilliseconds(),
            Asset = asset,
            Market = market,
            Session = session,
            Signal = signal,
            Regime = regime,
            News = news,
            DecisionDrivers = decisionDrivers,
        };
}
