using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Recording;
using Vince.FeatureStore.Serving;

namespace Vince.FeatureStore;

/// <summary>Where a <see cref="ServingHistory"/> was warm-started from.</summary>
public enum ServingHistorySource
{
    /// <summary>Nothing: the local log was empty and no training source was registered (every asset starts cold).</summary>
    None,

    /// <summary>The tail of the store's own JSONL log.</summary>
    LocalLog,

    /// <summary>The registered training source (<see cref="IFeatureQuery"/>), because the local log was empty.</summary>
    TrainingSource,
}

/// <summary>How a <see cref="ServingHistory"/> was warm-started.</summary>
/// <param name="Source">Where the records came from.</param>
/// <param name="Records">Records the history holds after the warm start.</param>
/// <param name="Assets">Assets that have at least one record.</param>
/// <param name="BytesRead">Bytes of the local log read (0 for another source).</param>
/// <param name="Elapsed">How long it took.</param>
public sealed record ServingHistoryWarmStart(ServingHistorySource Source, int Records, int Assets, long BytesRead, TimeSpan Elapsed);

/// <summary>
/// The store's serving history: the earlier records of each asset that the lag columns of a score read, kept by the
/// same rules as the training export (<see cref="FeatureHistory"/>): every record the store records (decisions,
/// avoided ones, updates applied to the version held), warm-started at <see cref="FeatureStore.StartAsync"/> from the
/// tail of the log, or from the training source when the log is empty. A bot scores with it before it records the
/// decision, so the model sees the lags the training rows had.
/// </summary>
/// <remarks>Thread-safe: every read and change holds one lock for the few records involved.</remarks>
public sealed class ServingHistory
{
    private readonly FeatureHistory _history = new();
    private readonly Lock _lock = new();

    /// <summary>How the history was warm-started, once <see cref="FeatureStore.StartAsync"/> has done it.</summary>
    public ServingHistoryWarmStart? WarmStart { get; private set; }

    /// <summary>Adds a record version under the rules of <see cref="FeatureHistory.Add"/>; the store calls it for every record it records.</summary>
    /// <param name="record">The record.</param>
    public void Add(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            _history.Add(record);
        }
    }

    /// <summary>How many earlier records of <paramref name="asset"/> are held (0 to <see cref="FeatureHistory.Depth"/>).</summary>
    /// <param name="asset">The asset.</param>
    /// <returns>The count.</returns>
    public int CountOf(string asset)
    {
        lock (_lock)
        {
            return _history.CountOf(asset);
        }
    }

    /// <summary>The held records of <paramref name="asset"/>, oldest first (a copy).</summary>
    /// <param name="asset">The asset.</param>
    /// <returns>Up to <see cref="FeatureHistory.Depth"/> records.</returns>
    public IReadOnlyList<FeatureRecord> RecordsOf(string asset)
    {
        lock (_lock)
        {
            return _history.RecordsOf(asset);
        }
    }

    /// <summary>
    /// Writes the model input of <paramref name="record"/> for <paramref name="columns"/>, lags from this history
    /// (as <see cref="CompiledColumns.Fill"/>), and tells whether some lag was cold. Does not allocate.
    /// </summary>
    /// <param name="columns">The model's columns.</param>
    /// <param name="record">The record to score (not yet in the history).</param>
    /// <param name="destination">At least <see cref="CompiledColumns.Count"/> elements.</param>
    /// <returns><see langword="true"/> when the columns read lags and the asset has fewer than <see cref="FeatureHistory.Depth"/> earlier records.</returns>
    public bool Fill(CompiledColumns columns, FeatureRecord record, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentNullException.ThrowIfNull(record);
        lock (_lock)
        {
            columns.Fill(record, _history, destination);
            return columns.HasColdLags(record, _history);
        }
    }

    /// <summary>Applies an execution or outcome to the version held under its id, as the log writer applies it to the log's version.</summary>
    internal void Apply(RecordUpdate update)
    {
        lock (_lock)
        {
            _history.TryReplace(update.Id, update.ApplyTo);
        }
    }

    /// <summary>
    /// Fills the history from the tail of the log in <paramref name="dataDirectory"/>, or, when it holds no record,
    /// from <paramref name="source"/> (streamed in decision-time order; only the newest records per asset are kept).
    /// Records already held (recorded before the start) keep their version.
    /// </summary>
    /// <exception cref="Exception">Whatever <paramref name="source"/> throws; the caller reports it and starts cold.</exception>
    internal async Task<ServingHistoryWarmStart> WarmStartAsync(string dataDirectory, IFeatureQuery? source, int maxLineBytes, CancellationToken cancellationToken)
    {
        TailRead tail = await Task.Run(() => FeatureLogTail.Read(dataDirectory, maxLineBytes, cancellationToken), cancellationToken).ConfigureAwait(false);
        ServingHistoryWarmStart result;
        if (tail.Records.Count > 0 || source is null)
        {
            Merge(tail.Records);
            result = new ServingHistoryWarmStart(tail.Records.Count > 0 ? ServingHistorySource.LocalLog : ServingHistorySource.None, tail.Records.Count, tail.Assets, tail.BytesRead, tail.Elapsed);
        }
        else
        {
            long started = System.Diagnostics.Stopwatch.GetTimestamp();
            var remote = new FeatureHistory();
            await foreach (FeatureRecord record in source.ReadRecordsAsync(FeatureQuery.All, cancellationToken).WithCancellation(cancellationToken).ConfigureAwait(false))
            {
                remote.Add(record);
            }

            var records = remote.Assets.ToList().SelectMany(remote.RecordsOf).ToList();
            Merge(records);
            result = new ServingHistoryWarmStart(records.Count > 0 ? ServingHistorySource.TrainingSource : ServingHistorySource.None, records.Count,
                records.Select(r => r.Asset).Distinct(StringComparer.Ordinal).Count(), 0, System.Diagnostics.Stopwatch.GetElapsedTime(started));
        }

        WarmStart = result;
        return result;
    }

    private void Merge(List<FeatureRecord> records)
    {
        lock (_lock)
        {
            foreach (FeatureRecord record in records)
            {
                if (!_history.Contains(record))
                {
                    _history.Add(record);
                }
            }
        }
    }
}
