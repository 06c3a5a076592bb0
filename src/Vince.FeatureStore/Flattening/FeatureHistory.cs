namespace Vince.FeatureStore.Flattening;

/// <summary>
/// The most recent earlier records of each asset, for lag columns (<c>market_atrPct_lag1</c> …): a lag is the
/// value 1..3 records earlier of the same asset. Add each record after it has been flattened or scored.
/// </summary>
/// <remarks>
/// <para>This class is the one definition of which records feed the lag columns and in which order; the training
/// export, the store's serving history and the CLI all add records through <see cref="Add"/>:</para>
/// <list type="bullet">
/// <item>every record counts: decisions, avoided ones, open and complete trades;</item>
/// <item>one entry per id, holding its latest version (adding an id again replaces its entry in place);</item>
/// <item>decision-time order (<see cref="FeatureRecord.Timestamp"/>); on equal times the id added first is the older,
/// as the log reader orders ties by the first appearance of the id.</item>
/// </list>
/// <para>Not thread-safe: one history per scoring loop (the store's <see cref="ServingHistory"/> locks around it).</para>
/// </remarks>
public sealed class FeatureHistory
{
    /// <summary>How many earlier records per asset the lag columns use.</summary>
    public const int Depth = 3;

    private readonly Dictionary<string, Ring> _byAsset = new(StringComparer.Ordinal);

    // The asset looked up last: a row's lag columns ask for the same asset many times in a row.
    private string? _lastAsset;
    private Ring? _lastRing;

    /// <summary>The assets that have at least one record, in no particular order.</summary>
    public IEnumerable<string> Assets => _byAsset.Keys;

    /// <summary>
    /// Adds a record under the order rules above: a new id goes to its place by decision time (a record older than
    /// the <see cref="Depth"/> held ones is not needed and is dropped), a known id's entry takes the newer version.
    /// Records with an empty asset share one history.
    /// </summary>
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

        ring.Add(record);
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

    /// <summary>How many earlier records of <paramref name="asset"/> are held (0 to <see cref="Depth"/>); below <see cref="Depth"/> some lag is missing ("cold").</summary>
    /// <param name="asset">The asset.</param>
    /// <returns>The count.</returns>
    public int CountOf(string asset) => RingOf(asset ?? "")?.Count ?? 0;

    /// <summary>The held records of <paramref name="asset"/>, oldest first.</summary>
    /// <param name="asset">The asset.</param>
    /// <returns>Up to <see cref="Depth"/> records.</returns>
    public IReadOnlyList<FeatureRecord> RecordsOf(string asset)
    {
        Ring? ring = RingOf(asset ?? "");
        if (ring is null)
        {
            return [];
        }

        var records = new FeatureRecord[ring.Count];
        for (int i = 0; i < records.Length; i++)
        {
            records[i] = ring.Get(records.Length - i)!;
        }

        return records;
    }

    /// <summary>The asset's earlier records, index 0 the newest (lag 1): looked up once per row, for every lag column of it.</summary>
    internal EarlierRecords Earlier(string asset)
    {
        var earlier = default(EarlierRecords);
        if (RingOf(asset) is { } ring)
        {
            for (int lag = 1; lag <= ring.Count; lag++)
            {
                earlier[lag - 1] = ring.Get(lag);
            }
        }

        return earlier;
    }

    /// <summary>Whether the entry of <paramref name="record"/>'s id is held.</summary>
    internal bool Contains(FeatureRecord record) => RingOf(record.Asset ?? "")?.IndexOf(record.Id) >= 0;

    /// <summary>Replaces the entry of <paramref name="id"/>, if held, by <paramref name="next"/> of it.</summary>
    internal bool TryReplace(string id, Func<FeatureRecord, FeatureRecord> next)
    {
        foreach (Ring ring in _byAsset.Values)
        {
            if (ring.IndexOf(id) is var index and >= 0)
            {
                ring.Replace(index, next(ring.At(index)));
                return true;
            }
        }

        return false;
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

    /// <summary>Up to <see cref="Depth"/> records of one asset, oldest first.</summary>
    private sealed class Ring
    {
        private readonly FeatureRecord[] _items = new FeatureRecord[Depth];

        public int Count { get; private set; }

        public void Add(FeatureRecord record)
        {
            int known = string.IsNullOrEmpty(record.Id) ? -1 : IndexOf(record.Id);
            if (known >= 0)
            {
                _items[known] = record; // a later version keeps its place
                return;
            }

            // The usual case (the export's order, a live bot) appends; an older record is inserted by time, after equal times.
            int at = Count;
            while (at > 0 && _items[at - 1].Timestamp > record.Timestamp)
            {
                at--;
            }

            if (Count == Depth)
            {
                if (at == 0)
                {
                    return; // older than every held record: no lag reads it
                }

                Array.Copy(_items, 1, _items, 0, at - 1);
                _items[at - 1] = record;
                return;
            }

            Array.Copy(_items, at, _items, at + 1, Count - at);
            _items[at] = record;
            Count++;
        }

        public int IndexOf(string id)
        {
            for (int i = 0; i < Count; i++)
            {
                if (string.Equals(_items[i].Id, id, StringComparison.Ordinal))
                {
                    return i;
                }
            }

            return -1;
        }

        public FeatureRecord At(int index) => _items[index];

        public void Replace(int index, FeatureRecord record) => _items[index] = record;

        public FeatureRecord? Get(int lag) => lag <= Count ? _items[Count - lag] : null;
    }
}

/// <summary>Up to <see cref="FeatureHistory.Depth"/> earlier records of one asset, index 0 the newest (lag 1); missing ones are <see langword="null"/>.</summary>
[System.Runtime.CompilerServices.InlineArray(FeatureHistory.Depth)]
internal struct EarlierRecords
{
    private FeatureRecord? _newest;
}
