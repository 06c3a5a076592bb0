using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>
/// Ships the JSONL log to one sink from the sink's durable cursor: reads a batch of lines after the
/// cursor (never past what the log has committed), writes it with retry, then moves and saves the cursor.
/// One shipper per sink, so a slow or failing sink delays nobody else.
/// </summary>
internal sealed class SinkShipper
{
    private readonly IFeatureSink _sink;
    private readonly string _dataDirectory;
    private readonly SinkCursorStore _cursors;
    private readonly Func<LogPosition> _committed;
    private readonly AsyncSignal _logSignal;
    private readonly AsyncSignal _progressSignal;
    private readonly FeatureStoreOptions _options;
    private readonly FeatureStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly TagList _tags;
    private LogPosition _cursor;
    private bool _initialized;
    private long _written;
    private int _consecutiveFailures;
    private string? _lastError;
    private DateTimeOffset? _lastSuccess;
    private DateTimeOffset? _lastCaughtUp;
    private readonly DeadLetterFile _deadLetters;
    private DateTimeOffset? _blockedSince;
    private string? _blockedReason;
    private DateTimeOffset _lastReminder;

    public SinkShipper(
        IFeatureSink sink,
        string dataDirectory,
        SinkCursorStore cursors,
        Func<LogPosition> committed,
        AsyncSignal logSignal,
        AsyncSignal progressSignal,
        FeatureStoreOptions options,
        FeatureStoreMetrics metrics,
        ILogger logger,
        TimeProvider time)
    {
        _sink = sink;
        _dataDirectory = dataDirectory;
        _cursors = cursors;
        _committed = committed;
        _logSignal = logSignal;
        _progressSignal = progressSignal;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _tags = new TagList { { "sink", sink.Name } };
        _deadLetters = new DeadLetterFile(dataDirectory, sink.Name, options.FsyncOnWrite);
        LoadedCursor loaded = cursors.Load(sink.Name);
        if (loaded.Problem is not null)
        {
            string resumeFrom = loaded.Position.FileName.Length > 0 ? loaded.Position.FileName : "the log";
            FeatureStoreLog.CursorDamaged(logger, sink.Name, cursors.PathOf(sink.Name), loaded.Problem, resumeFrom);
        }

        _cursor = loaded.Position;
    }

    public string Name => _sink.Name;

    public LogPosition Cursor => Volatile.Read(ref _cursor);

    /// <summary>
    /// Ships until <paramref name="stop"/> is cancelled or, once <paramref name="drain"/> is cancelled,
    /// until the sink has caught up with the log.
    /// </summary>
    public async Task RunAsync(CancellationToken drain, CancellationToken stop)
    {
        int crashes = 0;
        while (true)
        {
            stop.ThrowIfCancellationRequested();
            try
            {
                Task wake = _logSignal.WaitTask;
                LogPosition committed = _committed();
                if (Cursor.IsAtOrPast(committed))
                {
                    _lastCaughtUp = _time.GetUtcNow();
                    _progressSignal.Set();
                    if (drain.IsCancellationRequested)
                    {
                        return;
                    }

                    await wake.WaitAsync(stop).ConfigureAwait(false);
                    continue;
                }

                (List<FeatureRecord> records, List<LogPosition> lines, LogPosition end) = await ReadBatchAsync(committed, stop).ConfigureAwait(false);
                if (records.Count == 0 && end == Cursor)
                {
                    // The log says there is more but the file ends earlier (changed behind our back): don't spin.
                    await Task.WhenAny(wake, Task.Delay(TimeSpan.FromSeconds(1), _time, stop)).ConfigureAwait(false);
                    continue;
                }

                if (records.Count > 0)
                {
                    await WriteWithRetryAsync(records, lines, stop).ConfigureAwait(false);
                }

                _cursors.Save(Name, end);
                Volatile.Write(ref _cursor, end);
                _progressSignal.Set();
                if (crashes > 0)
                {
                    crashes = 0;
                    _consecutiveFailures = 0;
                    _lastError = null;
                }
            }
            catch (OperationCanceledException) when (stop.IsCancellationRequested)
            {
                throw;
            }
            catch (Exception ex)
            {
                // Reading the log or saving the cursor failed (disk trouble): keep the cursor, wait, retry.
                crashes++;
                _consecutiveFailures = crashes;
                _lastError = $"{ex.GetType().Name}: {ex.Message}";
                FeatureStoreLog.SinkCrashed(_logger, ex, Name);
                TimeSpan delay = RetryBackoff.Delay(crashes, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    private async Task<(List<FeatureRecord> Records, List<LogPosition> Lines, LogPosition End)> ReadBatchAsync(LogPosition committed, CancellationToken cancellationToken)
    {
        var records = new List<FeatureRecord>(Math.Min(_options.SinkBatchSize, 1024));
        var lines = new List<LogPosition>(records.Capacity);
        LogPosition position = Cursor;
        List<string> files = FeatureLogFiles.ListFeatureFiles(_dataDirectory);
        int fileIndex = LocateFile(files, position);
        if (fileIndex < files.Count && files[fileIndex] != position.FileName)
        {
            if (position.FileName.Length > 0)
            {
                FeatureStoreLog.CursorFileMissing(_logger, Name, position.FileName);
            }

            position = new LogPosition(files[fileIndex], LogPosition.KeyOf(files[fileIndex]), 0);
        }

        while (records.Count < _options.SinkBatchSize && fileIndex < files.Count)
        {
            string name = files[fileIndex];
            long key = LogPosition.KeyOf(name);
            if (LogPosition.CompareFiles(key, name, committed.FileKey, committed.FileName) > 0)
            {
                break;
            }

            bool isCommittedFile = name == committed.FileName;
            long limit = isCommittedFile ? committed.Offset : long.MaxValue;
            string path = Path.Combine(_dataDirectory, name);
            if (!File.Exists(path))
            {
                fileIndex++;
                continue;
            }

            using (var reader = new JsonlLineReader(path, position.Offset))
            {
                while (records.Count < _options.SinkBatchSize)
                {
                    var (kind, content) = await reader.ReadLineAsync(limit, cancellationToken).ConfigureAwait(false);
                    if (kind == JsonlLineKind.End)
                    {
                        break;
                    }

                    position = position with { Offset = reader.Position };
                    if (kind == JsonlLineKind.Oversized)
                    {
                        SkipLine(name, reader.LineStart, "line too long");
                    }
                    else if (!content.Span.Trim(" \t"u8).IsEmpty)
                    {
                        if (RecordLine.TryParse(content.Span, out FeatureRecord? record, out string? error))
                        {
                            records.Add(record!);
                            lines.Add(position with { Offset = reader.LineStart });
                        }
                        else
                        {
                            SkipLine(name, reader.LineStart, error!);
                        }
                    }
                }
            }

            if (records.Count >= _options.SinkBatchSize || isCommittedFile)
            {
                break;
            }

            // This file is finished: continue in the next one, if the log has committed anything there.
            fileIndex++;
            if (fileIndex < files.Count
                && LogPosition.CompareFiles(LogPosition.KeyOf(files[fileIndex]), files[fileIndex], committed.FileKey, committed.FileName) <= 0)
            {
                position = new LogPosition(files[fileIndex], LogPosition.KeyOf(files[fileIndex]), 0);
            }
        }

        return (records, lines, position);
    }

    private static int LocateFile(List<string> files, LogPosition position)
    {
        for (int i = 0; i < files.Count; i++)
        {
            if (LogPosition.CompareFiles(LogPosition.KeyOf(files[i]), files[i], position.FileKey, position.FileName) >= 0)
            {
                return i;
            }
        }

        return files.Count;
    }

    private void SkipLine(string file, long offset, string reason)
    {
        _metrics.SkippedLines.Add(1, _tags);
        FeatureStoreLog.SinkSkippedLine(_logger, Name, file, offset, reason);
    }

    private async Task WriteWithRetryAsync(List<FeatureRecord> records, List<LogPosition> lines, CancellationToken stop)
    {
        int attempt = 0;
        while (true)
        {
            try
            {
                if (!_initialized)
                {
                    await _sink.InitializeAsync(stop).ConfigureAwait(false);
                    _initialized = true;
                }

                int stored = await WriteOrParkAsync(records, lines, stop).ConfigureAwait(false);
                if (_blockedSince is { } since)
                {
                    TimeSpan blockedFor = _time.GetUtcNow() - since;
                    FeatureStoreLog.SinkUnblocked(_logger, Name, blockedFor, attempt);
                    _blockedSince = null;
                    _blockedReason = null;
                }
                else if (attempt > 0)
                {
                    FeatureStoreLog.SinkRecovered(_logger, Name, attempt);
                }

                Interlocked.Add(ref _written, stored);
                _consecutiveFailures = 0;
                _lastError = null;
                _lastSuccess = _time.GetUtcNow();
                _metrics.SinkWritten.Add(stored, _tags);
                return;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                attempt++;
                string reason = FeatureSinkException.Describe(ex);
                _consecutiveFailures = attempt;
                _lastError = reason;
                _metrics.SinkRetries.Add(1, _tags);
                TimeSpan delay = RetryBackoff.Delay(attempt, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
                FeatureStoreLog.SinkFailureDetail(_logger, ex, Name);
                if (FeatureSinkException.KindOf(ex) == FeatureSinkFailureKind.Transient)
                {
                    FeatureStoreLog.SinkWriteFailed(_logger, Name, records.Count, attempt, delay, reason);
                }
                else
                {
                    NoteBlocked(reason, attempt);

                    // Initialize again on the next probe: it re-checks the table and explains what it needs.
                    _initialized = false;
                }

                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
        }
    }

    /// <summary>One error line when the sink becomes blocked (or its reason changes), then a reminder at most every interval.</summary>
    private void NoteBlocked(string reason, int probes)
    {
        DateTimeOffset now = _time.GetUtcNow();
        if (_blockedSince is not { } since)
        {
            _blockedSince = now;
            _blockedReason = reason;
            _lastReminder = now;
            FeatureStoreLog.SinkBlocked(_logger, Name, reason, _options.RetryMaxDelay);
        }
        else if (!string.Equals(reason, _blockedReason, StringComparison.Ordinal) || now - _lastReminder >= _options.BlockedReminderInterval)
        {
            _blockedReason = reason;
            _lastReminder = now;
            TimeSpan blockedFor = now - since;
            FeatureStoreLog.SinkStillBlocked(_logger, Name, blockedFor, probes, reason);
        }
    }

    /// <summary>
    /// Writes the batch. When the sink refuses a record (<see cref="FeatureSinkFailureKind.RecordRejected"/>), bisects
    /// the batch to find each refused record, parks it in the dead-letter file and stores the rest. Returns the
    /// versions stored. A batch of several in which every record is refused means the sink, not the data, is wrong:
    /// that throws as <see cref="FeatureSinkFailureKind.Permanent"/> and nothing is parked.
    /// </summary>
    private async Task<int> WriteOrParkAsync(List<FeatureRecord> records, List<LogPosition> lines, CancellationToken stop)
    {
        try
        {
            await _sink.WriteAsync(records, stop).ConfigureAwait(false);
            return records.Count;
        }
        catch (Exception ex) when (!stop.IsCancellationRequested && FeatureSinkException.KindOf(ex) == FeatureSinkFailureKind.RecordRejected)
        {
            var parked = new List<DeadLetter>();
            int stored = await BisectAsync(records, lines, 0, records.Count, ex, parked, stop).ConfigureAwait(false);
            if (stored == 0 && records.Count > 1)
            {
                string reason = FeatureSinkException.Describe(ex);
                throw new FeatureSinkException(
                    FeatureSinkFailureKind.Permanent,
                    $"every one of {records.Count} record(s) was refused, so the sink rather than a record is at fault: {reason}",
                    FeatureSinkException.Find(ex)?.Advice,
                    ex);
            }

            // Parked durably before the cursor moves past them: nothing is lost if the process dies now.
            await _deadLetters.AppendAsync(parked, stop).ConfigureAwait(false);
            _metrics.SinkDeadLettered.Add(parked.Count, _tags);
            foreach (DeadLetter letter in parked)
            {
                FeatureStoreLog.RecordParked(_logger, Name, letter.Id, letter.File, letter.Offset, letter.Error, _deadLetters.FilePath);
            }

            return stored;
        }
    }

    /// <summary>Stores what it can of records[start..start+count), whose write failed with <paramref name="failure"/>; collects refused records.</summary>
    private async Task<int> BisectAsync(List<FeatureRecord> records, List<LogPosition> lines, int start, int count, Exception failure, List<DeadLetter> parked, CancellationToken stop)
    {
        if (count == 1)
        {
            LogPosition line = lines[start];
            parked.Add(new DeadLetter(records[start].Id, _time.GetUtcNow(), line.FileName, line.Offset, FeatureSinkException.Describe(failure), records[start]));
            return 0;
        }

        int half = count / 2;
        int stored = 0;
        foreach ((int from, int length) in new[] { (start, half), (start + half, count - half) })
        {
            List<FeatureRecord> part = records.GetRange(from, length);
            try
            {
                await _sink.WriteAsync(part, stop).ConfigureAwait(false);
                stored += length;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested && FeatureSinkException.KindOf(ex) == FeatureSinkFailureKind.RecordRejected)
            {
                stored += await BisectAsync(records, lines, from, length, ex, parked, stop).ConfigureAwait(false);
            }

            // Any other failure ends the search: the whole batch is retried (upserts by id make that harmless).
        }

        return stored;
    }

    /// <summary>Bytes between the cursor and the committed end of the log.</summary>
    public long PendingBytes(LogPosition committed)
    {
        LogPosition cursor = Cursor;
        if (cursor.IsAtOrPast(committed))
        {
            return 0;
        }

        if (cursor.FileName == committed.FileName)
        {
            return committed.Offset - cursor.Offset;
        }

        long pending = 0;
        foreach ((string name, long start, long? end) in PendingStretches(cursor, committed))
        {
            long length = end ?? SafeLength(Path.Combine(_dataDirectory, name));
            pending += Math.Max(0, length - start);
        }

        return pending;
    }

    /// <summary>The files between the cursor and the committed end, each with the offset to start at and, for the committed file, where to stop.</summary>
    private IEnumerable<(string Name, long Start, long? End)> PendingStretches(LogPosition cursor, LogPosition committed)
    {
        foreach (string name in FeatureLogFiles.ListFeatureFiles(_dataDirectory))
        {
            long key = LogPosition.KeyOf(name);
            int vsCursor = LogPosition.CompareFiles(key, name, cursor.FileKey, cursor.FileName);
            int vsCommitted = LogPosition.CompareFiles(key, name, committed.FileKey, committed.FileName);
            if (vsCursor >= 0 && vsCommitted <= 0)
            {
                yield return (name, vsCursor == 0 ? cursor.Offset : 0, vsCommitted == 0 ? committed.Offset : null);
            }
        }
    }

    private static long SafeLength(string path)
    {
        try
        {
            return new FileInfo(path).Length;
        }
        catch (IOException)
        {
            return 0;
        }
    }

    /// <summary>
    /// Complete lines between the cursor and the committed end of the log, counting no further than
    /// <paramref name="limit"/> + 1 (enough to tell "more than the limit"): reads at most that many lines.
    /// </summary>
    public long CountPendingRecords(LogPosition committed, long limit)
    {
        LogPosition cursor = Cursor;
        if (cursor.IsAtOrPast(committed))
        {
            return 0;
        }

        long count = 0;
        byte[] buffer = new byte[64 * 1024];
        foreach ((string name, long start, long? stretchEnd) in PendingStretches(cursor, committed))
        {
            long end = stretchEnd ?? long.MaxValue;
            try
            {
                using var stream = new FileStream(Path.Combine(_dataDirectory, name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1);
                stream.Position = Math.Min(start, stream.Length);
                long remaining = Math.Min(end, stream.Length) - stream.Position;
                while (remaining > 0)
                {
                    int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, remaining));
                    if (read == 0)
                    {
                        break;
                    }

                    remaining -= read;
                    count += buffer.AsSpan(0, read).Count((byte)'\n');
                    if (count > limit)
                    {
                        return count;
                    }
                }
            }
            catch (IOException)
            {
                // A file pruned or unreadable right now: count what the others hold.
            }
        }

        return count;
    }

    public FeatureSinkStatus GetStatus(LogPosition committed, LogCommitTimes commitTimes, DateTimeOffset now) => new()
    {
        Name = Name,
        PendingBytes = PendingBytes(committed),
        Lag = commitTimes.OldestPendingSince(Cursor) is { } since && now > since ? now - since : TimeSpan.Zero,
        Written = Interlocked.Read(ref _written),
        ConsecutiveFailures = _consecutiveFailures,
        LastError = _lastError,
        LastSuccessUtc = _lastSuccess,
        LastCaughtUpUtc = _lastCaughtUp,
        BlockedSinceUtc = _blockedSince,
        DeadLetters = _deadLetters.Count(),
    };

    public TagList Tags => _tags;
}
