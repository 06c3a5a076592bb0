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

                (List<FeatureRecord> records, LogPosition end) = await ReadBatchAsync(committed, stop).ConfigureAwait(false);
                if (records.Count == 0 && end == Cursor)
                {
                    // The log says there is more but the file ends earlier (changed behind our back): don't spin.
                    await Task.WhenAny(wake, Task.Delay(TimeSpan.FromSeconds(1), _time, stop)).ConfigureAwait(false);
                    continue;
                }

                if (records.Count > 0)
                {
                    await WriteWithRetryAsync(records, stop).ConfigureAwait(false);
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

    private async Task<(List<FeatureRecord> Records, LogPosition End)> ReadBatchAsync(LogPosition committed, CancellationToken cancellationToken)
    {
        var records = new List<FeatureRecord>(Math.Min(_options.SinkBatchSize, 1024));
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

        return (records, position);
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

    private async Task WriteWithRetryAsync(List<FeatureRecord> records, CancellationToken stop)
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

                await _sink.WriteAsync(records, stop).ConfigureAwait(false);
                if (attempt > 0)
                {
                    FeatureStoreLog.SinkRecovered(_logger, Name, attempt);
                }

                Interlocked.Add(ref _written, records.Count);
                _consecutiveFailures = 0;
                _lastError = null;
                _lastSuccess = _time.GetUtcNow();
                _metrics.SinkWritten.Add(records.Count, _tags);
                return;
            }
            catch (Exception ex) when (!stop.IsCancellationRequested)
            {
                attempt++;
                _consecutiveFailures = attempt;
                _lastError = $"{ex.GetType().Name}: {ex.Message}";
                _metrics.SinkRetries.Add(1, _tags);
                TimeSpan delay = RetryBackoff.Delay(attempt, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
                FeatureStoreLog.SinkWriteFailed(_logger, ex, Name, records.Count, attempt, delay);
                await Task.Delay(delay, _time, stop).ConfigureAwait(false);
            }
        }
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
    };

    public TagList Tags => _tags;
}
