using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Health;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.Pipeline;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// The one loop that drains the <see cref="RecordQueue"/> into the JSONL log: it applies updates to their open
/// record, appends each batch (flushed and fsynced) and retries I/O failures with backoff until the store stops,
/// then releases flush waiters, wakes the sink shippers and lets retention run. Every local write it makes (the log,
/// <c>unmatched_updates.jsonl</c>, the scan for open records) is retried the same way, so no I/O fault loses an
/// accepted version or stops the store.
/// </summary>
internal sealed class FeatureLogWriter
{
    /// <summary>
    /// Cap of the retry delay of local writes. A retry costs a system call, not a server's time, and a short cap lets
    /// recording resume within a few seconds of a disk having room again (<see cref="FeatureStoreOptions.RetryMaxDelay"/>
    /// is meant for sinks, whose servers must not be hammered).
    /// </summary>
    internal static readonly TimeSpan LocalRetryMaxDelay = TimeSpan.FromSeconds(2);

    private readonly RecordQueue _queue;
    private readonly JsonlFeatureLog _log;
    private readonly OpenRecordIndex _openRecords;
    private readonly UnmatchedUpdatesFile _unmatched;
    private readonly LogRetention _retention;
    private readonly SinkShippers _shippers;
    private readonly AsyncSignal _logSignal;
    private readonly FeatureStoreOptions _options;
    private readonly FeatureStoreMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly CancellationToken _stop;
    private readonly Action<FeatureRecord, Exception> _onRejected;
    private int _consecutiveFailures;

    /// <param name="queue">What to write.</param>
    /// <param name="log">Where to write it.</param>
    /// <param name="openRecords">Open records, for applying updates.</param>
    /// <param name="unmatched">Where updates without an open record are kept.</param>
    /// <param name="retention">Runs after each batch.</param>
    /// <param name="shippers">Told of each commit (for their lag).</param>
    /// <param name="logSignal">Set after each batch: wakes the shippers.</param>
    /// <param name="options">Batch size and retry delays.</param>
    /// <param name="metrics">The store's instruments.</param>
    /// <param name="logger">The store's logger.</param>
    /// <param name="time">Clock for retry delays.</param>
    /// <param name="stop">Cancelled at the shutdown deadline: ends retrying, and the records still queued are lost.</param>
    public FeatureLogWriter(
        RecordQueue queue,
        JsonlFeatureLog log,
        OpenRecordIndex openRecords,
        UnmatchedUpdatesFile unmatched,
        LogRetention retention,
        SinkShippers shippers,
        AsyncSignal logSignal,
        FeatureStoreOptions options,
        FeatureStoreMetrics metrics,
        ILogger logger,
        TimeProvider time,
        CancellationToken stop)
    {
        _queue = queue;
        _log = log;
        _openRecords = openRecords;
        _unmatched = unmatched;
        _retention = retention;
        _shippers = shippers;
        _logSignal = logSignal;
        _options = options;
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _stop = stop;
        _onRejected = (record, error) =>
        {
            _metrics.Rejected.Add(1);
            FeatureStoreLog.RecordRejected(_logger, error, record.Id);
        };
    }

    /// <summary>The writer's loop; <see langword="null"/> until <see cref="Start"/>. It ends when the queue is closed and drained.</summary>
    public Task? Loop { get; private set; }

    /// <summary>How far the writer got, and who waits for it.</summary>
    public FlushWaiters Flushed { get; } = new();

    /// <summary>Failed appends in a row; 0 after a success.</summary>
    public int ConsecutiveWriteFailures => Volatile.Read(ref _consecutiveFailures);

    /// <summary>The writer's state for the log's health check.</summary>
    /// <param name="stopping">The store is being disposed.</param>
    public LogWriterHealth GetHealth(bool stopping)
    {
        Task? loop = Loop;
        return new LogWriterHealth(
            Running: loop is not null && !loop.IsCompleted && !stopping,
            Faulted: loop is { IsFaulted: true },
            ConsecutiveWriteFailures: ConsecutiveWriteFailures,
            QueueDepth: _queue.Count,
            QueueCapacity: _options.QueueCapacity,
            Dropped: _queue.Dropped);
    }

    /// <summary>Starts the loop (the caller makes sure it happens once).</summary>
    public void Start() => Loop = Task.Run(RunAsync, CancellationToken.None);

    private async Task RunAsync()
    {
        ChannelReader<PendingWrite> reader = _queue.Reader;
        var batch = new List<FeatureRecord>(_options.LogBatchSize);
        Exception? failure = null;
        try
        {
            while (await reader.WaitToReadAsync().ConfigureAwait(false))
            {
                int items = 0;
                batch.Clear();
                while (items < _options.LogBatchSize && reader.TryRead(out PendingWrite item))
                {
                    items++;
                    FeatureRecord? version = item.Record ?? await ApplyUpdateAsync(item.Update!, batch).ConfigureAwait(false);
                    if (version is not null)
                    {
                        batch.Add(_openRecords.Track(version));
                    }
                }

                if (batch.Count > 0)
                {
                    await AppendWithRetryAsync(batch).ConfigureAwait(false);
                }

                Flushed.Advance(items);
                _logSignal.Set();
                _retention.PruneIfDue();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            failure = new ObjectDisposedException(nameof(FeatureStore), $"The feature store stopped after {_options.ShutdownTimeout} while the JSONL log was failing; {_queue.Count + batch.Count} queued record version(s) were not written.");
            FeatureStoreLog.RecordsLostAtShutdown(_logger, failure);
        }
        catch (Exception ex)
        {
            // A defect, not an I/O failure (those are retried): stop accepting records so callers see it.
            failure = ex;
            _queue.Close(ex);
            FeatureStoreLog.LogWriterCrashed(_logger, ex);
            throw;
        }
        finally
        {
            Flushed.Fail(failure ?? new ObjectDisposedException(nameof(FeatureStore)));
        }
    }

    private async Task<FeatureRecord?> ApplyUpdateAsync(RecordUpdate update, List<FeatureRecord> pendingBatch)
    {
        if (_openRecords.NeedsLogScanFor(update))
        {
            // First miss since start (e.g. a trade opened before a restart): write what is pending so the
            // log is current, then index the open records the log holds.
            if (pendingBatch.Count > 0)
            {
                await AppendWithRetryAsync(pendingBatch).ConfigureAwait(false);
                pendingBatch.Clear();
            }

            await RetryLocalAsync(
                async () => await _openRecords.ScanLogAsync(_stop).ConfigureAwait(false),
                (ex, attempt, delay) => FeatureStoreLog.OpenRecordScanFailed(_logger, ex, attempt, delay)).ConfigureAwait(false);
        }

        if (_openRecords.Apply(update) is { } next)
        {
            return next;
        }

        await RetryLocalAsync(
            () =>
            {
                _unmatched.Keep(update);
                return Task.CompletedTask;
            },
            (ex, attempt, delay) => FeatureStoreLog.UnmatchedUpdateWriteFailed(_logger, ex, UnmatchedUpdatesFile.Describe(update), update.Id, UnmatchedUpdatesFile.FileName, attempt, delay)).ConfigureAwait(false);
        return null;
    }

    private Task AppendWithRetryAsync(List<FeatureRecord> batch)
        => RetryLocalAsync(
            () =>
            {
                int written = _log.Append(batch, _onRejected);
                _metrics.LogWritten.Add(written);
                _shippers.NoteCommit();
                return Task.CompletedTask;
            },
            (ex, attempt, delay) => FeatureStoreLog.LogWriteFailed(_logger, ex, batch.Count, attempt, delay));

    /// <summary>
    /// Runs a local write until it succeeds, retrying I/O failures (disk full, permission denied, a directory gone)
    /// with capped backoff until the store stops; the log's health shows the failures in a row meanwhile.
    /// </summary>
    private async Task RetryLocalAsync(Func<Task> write, Action<Exception, int, TimeSpan> onFailure)
    {
        int attempt = 0;
        while (true)
        {
            try
            {
                await write().ConfigureAwait(false);
                Volatile.Write(ref _consecutiveFailures, 0);
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                attempt++;
                Volatile.Write(ref _consecutiveFailures, attempt);
                _metrics.LogWriteErrors.Add(1);
                TimeSpan cap = _options.RetryMaxDelay < LocalRetryMaxDelay ? _options.RetryMaxDelay : LocalRetryMaxDelay;
                TimeSpan delay = RetryBackoff.Delay(attempt, _options.RetryInitialDelay, cap, Random.Shared.NextDouble());
                onFailure(ex, attempt, delay);
                await Task.Delay(delay, _time, _stop).ConfigureAwait(false);
            }
        }
    }
}
