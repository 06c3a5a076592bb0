namespace Vince.FeatureStore.Flattening;

/// <summary>
/// The most recent earlier records of each asset, for lag columns (<c>market_atrPct_lag1</c> …): a lag is the
/// value 1..3 records earlier of the same asset. Add each record after it has been flattened or scored.
/// </summary>
/// <remarks>Training export and scoring use the same class, so lags are computed the same way in both.
/// Not thread-safe: one history per scoring loop.</remarks>
public sealed class FeatureHistory
{
    /// <summary>How many earlier records per asset the lag columns use.</summary>
    public const int Depth = 3;

    private readonly Dictionary<string, Ring> _byAsset = new(StringComparer.Ordinal);

    // The asset looked up last: a row's lag columns ask for the same asset many times in a row.
    private string? _lastAsset;
    private Ring? _lastRing;

    /// <summary>Adds a record as the newest of its asset (records with an empty asset share one history).</summary>
    /// <param name="record">The record.</param>
    public void Add(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        string asset = record.Asset ?? "";
        if (!_byAsset.TryGetValue(asset, out Ring? ring))
        {
            _byAsset[asset] = ring = new Ring();
            _lastAsset = null; // a cached "no history" for this asset is now wrong
        }

        ring.Push(record);
    }

    /// <summary>Forgets every record.</summary>
    public void Clear()
    {
        _byAsset.Clear();
        _lastAsset = null;
        _lastRing = null;
    }

    /// <summary>The record <paramref name="lag"/> positions before now (1 = the newest) of <paramref name="asset"/>, if any.</summary>
    /// <param name="asset">The asset.</param>
    /// <param name="lag">1 to <see cref="Depth"/>.</param>
    /// <returns>The record, or <see langword="null"/>.</returns>
    public FeatureRecord? Previous(string asset, int lag)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(lag, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(lag, Depth);
        return RingOf(asset ?? "")?.Get(lag);
    }

    private Ring? RingOf(string asset)
    {
        if (ReferenceEquals(asset, _lastAsset))
        {
            return _lastRing;
        }

        _byAsset.TryGetValue(asset, out Ring? ring);
        (_lastAsset, _lastRing) = (asset, ring);
        return ring;
    }

    private sealed class Ring
    {
        private readonly FeatureRecord?[] _items = new FeatureRecord?[Depth];
        private int _next;

        public void Push(FeatureRecord record)
        {
            _items[_next] = record;
            _next = (_next + 1) % Depth;
        }

        public FeatureRecord? Get(int lag) => _items[((_next - lag) % Depth + Depth) % Depth];
    }
}
