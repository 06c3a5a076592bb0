namespace Vince.FeatureStore.Recording;

/// <summary>
/// The latest version of each open record (no outcome, not avoided), so an execution or outcome can be applied to
/// it. Bounded by <see cref="FeatureStoreOptions.OpenRecordCapacity"/>, oldest first out. After a restart the open
/// records are in the log only: the first update that misses triggers one scan of the log. It also gives each version
/// its <see cref="FeatureRecord.UpdatedAt"/>, after the previous version it knows (<see cref="RecordVersionOrder.Next"/>).
/// Used by the log writer alone, so it needs no locking.
/// </summary>
internal sealed class OpenRecordIndex(string dataDirectory, int capacity, TimeProvider time)
{
    private readonly Dictionary<string, FeatureRecord> _open = new(StringComparer.Ordinal);
    private readonly Queue<string> _order = new();
    private bool _scannedLog;

    /// <summary>Whether <paramref name="update"/> misses the index before the log was scanned, so the scan is due.</summary>
    public bool NeedsLogScanFor(RecordUpdate update) => !_scannedLog && !_open.ContainsKey(update.Id);

    /// <summary>Indexes the open records the log holds. Once per start: marked done when it succeeded (a failed scan is retried).</summary>
    /// <param name="cancellationToken">Stops the scan (the store is shutting down).</param>
    public async Task ScanLogAsync(CancellationToken cancellationToken)
    {
        var reader = new FeatureLogReader(dataDirectory, new FeatureLogReaderOptions { RealOnly = true }); // the store's own log
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(FeatureQuery.All, cancellationToken).ConfigureAwait(false))
        {
            if (record.Outcome is null && record.Avoided is null && !_open.ContainsKey(record.Id))
            {
                Remember(record);
            }
        }

        _scannedLog = true;
    }

    /// <summary>The next version of the record <paramref name="update"/> names, or <see langword="null"/> when no open record has its id (the caller keeps it as unmatched).</summary>
    public FeatureRecord? Apply(RecordUpdate update)
        => _open.TryGetValue(update.Id, out FeatureRecord? current) ? update.ApplyTo(current) : null;

    /// <summary>
    /// Stamps a version on its way to the log with its <see cref="FeatureRecord.UpdatedAt"/>, after the record's
    /// previous version (the open one known here, or the one the version was made from), and notes it: an open
    /// version becomes the record's latest, a closed one leaves the index.
    /// </summary>
    /// <returns>The version as it is to be written.</returns>
    public FeatureRecord Track(FeatureRecord record)
    {
        long? previous = record.UpdatedAt;
        if (_open.TryGetValue(record.Id, out FeatureRecord? known) && known.UpdatedAt > previous.GetValueOrDefault(long.MinValue))
        {
            previous = known.UpdatedAt;
        }

        FeatureRecord stamped = record with { UpdatedAt = RecordVersionOrder.Next(time.GetUtcNow().ToUnixTimeMilliseconds(), previous) };
        Remember(stamped);
        return stamped;
    }

    private void Remember(FeatureRecord record)
    {
        if (record.Outcome is not null || record.Avoided is not null)
        {
            _open.Remove(record.Id);
            return;
        }

        if (!_open.ContainsKey(record.Id))
        {
            _order.Enqueue(record.Id);
        }

        _open[record.Id] = record;
        while (_open.Count > capacity && _order.TryDequeue(out string? oldest))
        {
            _open.Remove(oldest);
        }

        if (_order.Count > (2 * capacity) + 64)
        {
            // Closed trades leave their ids in the queue; drop those so it stays bounded.
            string[] live = _order.Where(_open.ContainsKey).ToArray();
            _order.Clear();
            foreach (string id in live)
            {
                _order.Enqueue(id);
            }
        }
    }
}
