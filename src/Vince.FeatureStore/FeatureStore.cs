using System.Diagnostics.Metrics;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.Pipeline;

namespace Vince.FeatureStore;

/// <summary>
/// The facade bots call on their hot path. Recording only validates and enqueues; a background loop
/// appends every record version to the JSONL log (the source of truth, flushed and fsynced before it is
/// acknowledged), and one loop per <see cref="IFeatureSink"/> ships the log to that sink from its own
/// durable cursor.
/// </summary>
/// <remarks>
/// Thread-safe. Register it through <c>services.AddVinceFeatureStore(...)</c>, whose hosted service starts
/// and stops it, or construct it yourself and call <see cref="StartAsync"/> and <see cref="DisposeAsync"/>.
/// </remarks>
public sealed class FeatureStore : IAsyncDisposable
{
    private const string UnmatchedUpdatesFile = "unmatched_updates.jsonl";

    private readonly FeatureStoreOptions _options;
    private readonly ILogger _logger;
    private readonly FeatureStoreMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Channel<PendingWrite> _channel;
    private readonly JsonlFeatureLog _log;
    private readonly LogCommitTimes _commitTimes;
    private readonly List<SinkShipper> _shippers = [];
    private readonly AsyncSignal _logSignal = new();
    private readonly AsyncSignal _progressSignal = new();
    private readonly CancellationTokenSource _drain = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly Dictionary<string, FeatureRecord> _open = new(StringComparer.Ordinal);
    private readonly Queue<string> _openOrder = new();
    private readonly object _flushLock = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _flushWaiters = [];
    private readonly object _startLock = new();
    private readonly string _sinkNames;
    private readonly Action<FeatureRecord, Exception> _onRejected;
    private Task? _writerTask;
    private Task[] _shipperTasks = [];
    private Task? _disposeTask;
    private bool _openLoadedFromLog;
    private long _accepted;
    private long _written;
    private long _dropped;
    private int _logWriteFailures;
    private int _filesSeenForPruning = -1;

    /// <summary>Creates a store. Nothing runs until <see cref="StartAsync"/>; records may be enqueued before.</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="sinks">Sinks to ship the log to; names must be unique.</param>
    /// <param name="loggerFactory">Logging; none when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>Vince.FeatureStore</c> meter; a private meter when <see langword="null"/>.</param>
    /// <param name="timeProvider">Clock for file names, retries and timeouts; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid or sink names clash.</exception>
    public FeatureStore(
        FeatureStoreOptions options,
        IEnumerable<IFeatureSink>? sinks = null,
        ILoggerFactory? loggerFactory = null,
        IMeterFactory? meterFactory = null,
        TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid feature store options: " + string.Join(" ", errors), nameof(options));
        }

        _options = options;
        _time = timeProvider ?? TimeProvider.System;
        loggerFactory ??= NullLoggerFactory.Instance;
        _logger = loggerFactory.CreateLogger<FeatureStore>();
        _metrics = new FeatureStoreMetrics(meterFactory);

        DataDirectory = Path.GetFullPath(options.ResolveDataDirectory());
        FileSystemDurability.CreatePrivateDirectory(DataDirectory);
        _log = new JsonlFeatureLog(DataDirectory, options.RecordsPerFile, options.FsyncOnWrite, _time);
        _commitTimes = new LogCommitTimes(_log.Committed, _time.GetUtcNow());

        _channel = Channel.CreateBounded<PendingWrite>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
            AllowSynchronousContinuations = false,
        });

        var cursors = new SinkCursorStore(DataDirectory, options.FsyncOnWrite);
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (IFeatureSink sink in sinks ?? [])
        {
            ValidateSinkName(sink, names);
            _shippers.Add(new SinkShipper(sink, DataDirectory, cursors, () => _log.Committed, _logSignal, _progressSignal,
                options, _metrics, loggerFactory.CreateLogger("Vince.FeatureStore.Sinks." + sink.Name), _time));
        }

        _onRejected = (record, error) =>
        {
            _metrics.Rejected.Add(1);
            FeatureStoreLog.RecordRejected(_logger, error, record.Id);
        };
        _sinkNames = _shippers.Count == 0 ? "(none)" : string.Join(", ", _shippers.Select(s => s.Name));
        _metrics.ObserveQueue(() => _channel.Reader.Count);
        _metrics.ObserveSinkLag(ObserveSinkLag);
    }

    /// <summary>The absolute path of the JSONL log directory.</summary>
    public string DataDirectory { get; }

    /// <summary>Record versions refused because the queue was full (<see cref="QueueFullMode.DropAndCount"/>) since creation.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Starts the log writer and one shipper per sink. Calling it again does nothing.</summary>
    /// <param name="cancellationToken">Not used for the background work, which runs until disposal.</param>
    /// <returns>A completed task once the loops are running.</returns>
    public Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_startLock)
        {
            if (_writerTask is not null)
            {
                return Task.CompletedTask;
            }

            ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
            StartLoops();
        }

        FeatureStoreLog.Started(_logger, DataDirectory, _shippers.Count, _sinkNames);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Records a version of a record (a new decision, or a later version under the same id). Never waits
    /// for I/O. An empty <see cref="FeatureRecord.Id"/> gets a new id; a zero timestamp becomes now.
    /// </summary>
    /// <param name="record">The record version.</param>
    /// <returns>The record's id.</returns>
    /// <exception cref="ArgumentException">The record has no asset, a timestamp before 1970 or after year 9999, or an asset or id longer than 256 characters.</exception>
    /// <exception cref="FeatureStoreFullException">The queue stayed full for <see cref="FeatureStoreOptions.QueueFullTimeout"/> (mode <see cref="QueueFullMode.Wait"/>).</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    public string Record(FeatureRecord record)
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
            long timestamp = record.Timestamp == 0 ? _time.GetUtcNow().ToUnixTimeMilliseconds() : record.Timestamp;
            record = record with
            {
                Timestamp = timestamp,
                Id = string.IsNullOrEmpty(record.Id) ? FeatureRecordId.New(timestamp) : record.Id,
            };
        }

        Enqueue(new PendingWrite(record, null), record.Id);
        return record.Id;
    }

    /// <summary>Records a new trading decision and returns its id.</summary>
    /// <param name="asset">Ticker, e.g. <c>BTC</c>.</param>
    /// <param name="market">Market state.</param>
    /// <param name="session">Session context.</param>
    /// <param name="signal">The signal.</param>
    /// <param name="regime">The regime.</param>
    /// <param name="news">News context.</param>
    /// <param name="decisionDrivers">Reasons for the decision.</param>
    /// <param name="timestamp">Decision time; now when <see langword="null"/>.</param>
    /// <param name="execution">The execution when the trade opens with the decision (saves a version).</param>
    /// <returns>The new record id, for <see cref="RecordExecution"/> and <see cref="RecordOutcome"/>.</returns>
    public string RecordDecision(
        string asset,
        MarketFeatures? market = null,
        SessionFeatures? session = null,
        SignalFeatures? signal = null,
        RegimeFeatures? regime = null,
        NewsFeatures? news = null,
        IReadOnlyList<string>? decisionDrivers = null,
        DateTimeOffset? timestamp = null,
        ExecutionFeatures? execution = null)
    {
        FeatureRecord decision = NewDecision(asset, market, session, signal, regime, news, decisionDrivers, timestamp);
        return Record(execution is null ? decision : decision with { Execution = execution });
    }

    /// <summary>Records a signal that was evaluated but not traded.</summary>
    /// <param name="asset">Ticker.</param>
    /// <param name="reason">Why it was not traded.</param>
    /// <param name="market">Market state.</param>
    /// <param name="session">Session context.</param>
    /// <param name="signal">The signal.</param>
    /// <param name="regime">The regime.</param>
    /// <param name="news">News context.</param>
    /// <param name="timestamp">Decision time; now when <see langword="null"/>.</param>
    /// <param name="decisionDrivers">Reasons behind the evaluation.</param>
    /// <returns>The new record id.</returns>
    public string RecordAvoided(
        string asset,
        string reason,
        MarketFeatures? market = null,
        SessionFeatures? session = null,
        SignalFeatures? signal = null,
        RegimeFeatures? regime = null,
        NewsFeatures? news = null,
        DateTimeOffset? timestamp = null,
        IReadOnlyList<string>? decisionDrivers = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        FeatureRecord decision = NewDecision(asset, market, session, signal, regime, news, decisionDrivers, timestamp);
        return Record(decision with { Avoided = new AvoidedDecision { Reason = reason, Timestamp = decision.Timestamp } });
    }

    private FeatureRecord NewDecision(
        string asset,
        MarketFeatures? market,
        SessionFeatures? session,
        SignalFeatures? signal,
        RegimeFeatures? regime,
        NewsFeatures? news,
        IReadOnlyList<string>? decisionDrivers,
        DateTimeOffset? timestamp)
    {
        long at = (timestamp ?? _time.GetUtcNow()).ToUnixTimeMilliseconds();
        return new FeatureRecord
        {
            Id = FeatureRecordId.New(at),
            Timestamp = at,
            Asset = asset,
            Market = market,
            Session = session,
            Signal = signal,
            Regime = regime,
            News = news,
            DecisionDrivers = decisionDrivers,
        };
    }

    /// <summary>
    /// Attaches an execution to the record <paramref name="id"/> and writes the new version. The earlier
    /// version is found in memory, or in the log after a restart.
    /// </summary>
    /// <param name="id">Id returned by <see cref="RecordDecision"/>.</param>
    /// <param name="execution">How the trade was opened.</param>
    public void RecordExecution(string id, ExecutionFeatures execution)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(execution);
        Enqueue(new PendingWrite(null, new RecordUpdate(id, execution, null)), id);
    }

    /// <summary>
    /// Attaches the outcome to the record <paramref name="id"/>, derives its labels
    /// (<see cref="FeatureLabels.Derive"/>) and writes the completed version.
    /// </summary>
    /// <param name="id">Id returned by <see cref="RecordDecision"/>.</param>
    /// <param name="outcome">How the trade closed.</param>
    public void RecordOutcome(string id, OutcomeFeatures outcome)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(outcome);
        Enqueue(new PendingWrite(null, new RecordUpdate(id, null, outcome)), id);
    }

    /// <summary>Completes when every record version recorded before the call is on disk in the JSONL log.</summary>
    /// <param name="cancellationToken">Stops waiting (the records are still written).</param>
    /// <returns>A task that completes when the log is durable up to the call.</returns>
    /// <exception cref="InvalidOperationException">The store was not started.</exception>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        if (_writerTask is null)
        {
            throw new InvalidOperationException("The feature store is not running: call StartAsync (the hosted service of AddVinceFeatureStore does) before FlushAsync.");
        }

        long target = Interlocked.Read(ref _accepted);
        lock (_flushLock)
        {
            if (Interlocked.Read(ref _written) >= target)
            {
                return Task.CompletedTask;
            }

            if (_writerTask.IsCompleted)
            {
                return Task.FromException(new ObjectDisposedException(nameof(FeatureStore), "The feature store stopped before these records were written."));
            }

            var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _flushWaiters.Add((target, done));
            return done.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Flushes the log, then completes when every sink has shipped everything in it so far.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when all sinks have caught up.</returns>
    public async Task WaitForSinksAsync(CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        LogPosition target = _log.Committed;
        while (true)
        {
            Task wake = _progressSignal.WaitTask;
            if (_shippers.TrueForAll(s => s.Cursor.IsAtOrPast(target)))
            {
                return;
            }

            await wake.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>A snapshot of every sink's progress.</summary>
    /// <returns>One status per sink, in registration order.</returns>
    public IReadOnlyList<FeatureSinkStatus> GetSinkStatuses()
    {
        LogPosition committed = _log.Committed;
        DateTimeOffset now = _time.GetUtcNow();
        return _shippers.ConvertAll(s => s.GetStatus(committed, _commitTimes, now));
    }

    /// <summary>The names of the sinks, in registration order.</summary>
    internal IReadOnlyList<string> SinkNames => _shippers.ConvertAll(s => s.Name);

    /// <summary>One sink's status and its pending record versions, counted up to <paramref name="recordLimit"/> + 1; <see langword="null"/> for an unknown sink.</summary>
    internal (FeatureSinkStatus Status, long PendingRecords)? GetSinkHealth(string sinkName, long recordLimit)
    {
        SinkShipper? shipper = _shippers.Find(s => string.Equals(s.Name, sinkName, StringComparison.Ordinal));
        if (shipper is null)
        {
            return null;
        }

        LogPosition committed = _log.Committed;
        FeatureSinkStatus status = shipper.GetStatus(committed, _commitTimes, _time.GetUtcNow());
        return (status, status.PendingBytes == 0 ? 0 : shipper.CountPendingRecords(committed, recordLimit));
    }

    /// <summary>The state of the log writer, for the log's health check.</summary>
    internal (bool Running, bool Faulted, int ConsecutiveWriteFailures, int QueueDepth, int QueueCapacity, long Dropped) GetLogHealth()
    {
        Task? writer = _writerTask;
        return (writer is not null && !writer.IsCompleted && _disposeTask is null,
            writer is { IsFaulted: true },
            Volatile.Read(ref _logWriteFailures),
            _channel.Reader.Count,
            _options.QueueCapacity,
            Interlocked.Read(ref _dropped));
    }

    /// <summary>A reader over this store's data directory.</summary>
    /// <param name="options">Which files to read; by default also the training script's <c>synthetic_*.jsonl</c> and <c>combined.jsonl</c>.</param>
    /// <param name="logger">Receives skipped-line warnings.</param>
    /// <returns>A new reader.</returns>
    public FeatureLogReader CreateReader(FeatureLogReaderOptions? options = null, ILogger<FeatureLogReader>? logger = null)
        => new(DataDirectory, options, logger);

    /// <summary>
    /// Stops accepting records, writes everything queued to the log, then waits up to
    /// <see cref="FeatureStoreOptions.ShutdownTimeout"/> for every sink to catch up. A sink still behind
    /// then continues from its cursor on the next start.
    /// </summary>
    /// <returns>A task that completes when the store has stopped.</returns>
    public ValueTask DisposeAsync()
    {
        lock (_startLock)
        {
            _disposeTask ??= DisposeCoreAsync();
        }

        return new ValueTask(_disposeTask);
    }

    private async Task DisposeCoreAsync()
    {
        _channel.Writer.TryComplete();
        if (_writerTask is null)
        {
            // Records enqueued before a start are still written: start, drain, stop.
            lock (_startLock)
            {
                StartLoops();
            }
        }

        using var deadline = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using CancellationTokenRegistration onDeadline = deadline.Token.Register(() => _stop.Cancel());
        await _writerTask!.ConfigureAwait(false);

        await _drain.CancelAsync().ConfigureAwait(false);
        _logSignal.Set();
        Task shipping = Task.WhenAll(_shipperTasks);
        try
        {
            await shipping.WaitAsync(_stop.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            LogPosition committed = _log.Committed;
            foreach (SinkShipper shipper in _shippers)
            {
                long pending = shipper.PendingBytes(committed);
                if (pending > 0)
                {
                    FeatureStoreLog.SinkBehindAtShutdown(_logger, _options.ShutdownTimeout, shipper.Name, pending);
                }
            }
        }

        try
        {
            await shipping.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected for shippers stopped at the deadline; their cursors are saved.
        }

        _log.Dispose();
        _metrics.Dispose();
        long written = Interlocked.Read(ref _written);
        FeatureStoreLog.Stopped(_logger, written);
        _stop.Dispose();
        _drain.Dispose();
    }

    private void StartLoops()
    {
        _writerTask = Task.Run(RunLogWriterAsync, CancellationToken.None);
        _shipperTasks = _shippers.Select(s => Task.Run(() => s.RunAsync(_drain.Token, _stop.Token), CancellationToken.None)).ToArray();
    }

    private void Enqueue(PendingWrite item, string id)
    {
        if (_channel.Writer.TryWrite(item))
        {
            Interlocked.Increment(ref _accepted);
            _metrics.Recorded.Add(1);
            return;
        }

        ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
        if (_options.QueueFullMode == QueueFullMode.DropAndCount)
        {
            long dropped = Interlocked.Increment(ref _dropped);
            _metrics.Dropped.Add(1);
            // One warning per power of two keeps a flood of drops from flooding the log too.
            if ((dropped & (dropped - 1)) == 0)
            {
                FeatureStoreLog.RecordDropped(_logger, _options.QueueCapacity, id, dropped);
            }

            return;
        }

        using var timeout = new CancellationTokenSource(_options.QueueFullTimeout, _time);
        try
        {
            _channel.Writer.WriteAsync(item, timeout.Token).AsTask().GetAwaiter().GetResult();
        }
        catch (OperationCanceledException ex)
        {
            Interlocked.Increment(ref _dropped);
            _metrics.Dropped.Add(1);
            throw new FeatureStoreFullException(
                $"The feature store queue stayed full ({_options.QueueCapacity} records) for {_options.QueueFullTimeout}; record {id} was not recorded. The JSONL log cannot keep up: check the disk, or raise QueueCapacity.", ex);
        }
        catch (ChannelClosedException ex)
        {
            throw new ObjectDisposedException("The feature store is disposed, or its log writer failed (see the log).", ex);
        }

        Interlocked.Increment(ref _accepted);
        _metrics.Recorded.Add(1);
    }

    private async Task RunLogWriterAsync()
    {
        ChannelReader<PendingWrite> reader = _channel.Reader;
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
                        TrackOpenRecord(version);
                        batch.Add(version);
                    }
                }

                if (batch.Count > 0)
                {
                    await AppendWithRetryAsync(batch).ConfigureAwait(false);
                }

                Interlocked.Add(ref _written, items);
                CompleteFlushWaiters(null);
                _logSignal.Set();
                PruneIfDue();
            }
        }
        catch (OperationCanceledException) when (_stop.IsCancellationRequested)
        {
            failure = new ObjectDisposedException(nameof(FeatureStore), $"The feature store stopped after {_options.ShutdownTimeout} while the JSONL log was failing; {_channel.Reader.Count + batch.Count} queued record version(s) were not written.");
            FeatureStoreLog.RecordsLostAtShutdown(_logger, failure);
        }
        catch (Exception ex)
        {
            // A defect, not an I/O failure (those are retried): stop accepting records so callers see it.
            failure = ex;
            _channel.Writer.TryComplete(ex);
            FeatureStoreLog.LogWriterCrashed(_logger, ex);
            throw;
        }
        finally
        {
            CompleteFlushWaiters(failure ?? new ObjectDisposedException(nameof(FeatureStore)));
        }
    }

    private async Task AppendWithRetryAsync(List<FeatureRecord> batch)
    {
        int attempt = 0;
        while (true)
        {
            try
            {
                int written = _log.Append(batch, _onRejected);
                _metrics.LogWritten.Add(written);
                Volatile.Write(ref _logWriteFailures, 0);
                NoteCommit();
                return;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                attempt++;
                Volatile.Write(ref _logWriteFailures, attempt);
                _metrics.LogWriteErrors.Add(1);
                TimeSpan delay = RetryBackoff.Delay(attempt, _options.RetryInitialDelay, _options.RetryMaxDelay, Random.Shared.NextDouble());
                FeatureStoreLog.LogWriteFailed(_logger, ex, batch.Count, attempt, delay);
                await Task.Delay(delay, _time, _stop.Token).ConfigureAwait(false);
            }
        }
    }

    private void NoteCommit()
    {
        if (_shippers.Count == 0)
        {
            return;
        }

        _commitTimes.Committed(_log.Committed, _time.GetUtcNow());
        LogPosition slowest = _shippers[0].Cursor;
        foreach (SinkShipper shipper in _shippers)
        {
            LogPosition cursor = shipper.Cursor;
            if (!cursor.IsAtOrPast(slowest))
            {
                slowest = cursor;
            }
        }

        _commitTimes.Trim(slowest);
    }

    private async Task<FeatureRecord?> ApplyUpdateAsync(RecordUpdate update, List<FeatureRecord> pendingBatch)
    {
        if (!_open.TryGetValue(update.Id, out FeatureRecord? current) && !_openLoadedFromLog)
        {
            // First miss since start (e.g. a trade opened before a restart): write what is pending so the
            // log is current, then index the open records the log holds.
            if (pendingBatch.Count > 0)
            {
                await AppendWithRetryAsync(pendingBatch).ConfigureAwait(false);
                pendingBatch.Clear();
            }

            await LoadOpenRecordsFromLogAsync().ConfigureAwait(false);
            _open.TryGetValue(update.Id, out current);
        }

        if (current is null)
        {
            KeepUnmatchedUpdate(update);
            return null;
        }

        return update.ApplyTo(current);
    }

    private async Task LoadOpenRecordsFromLogAsync()
    {
        _openLoadedFromLog = true;
        var reader = new FeatureLogReader(DataDirectory, new FeatureLogReaderOptions { RealOnly = true }); // the store's own log
        await foreach (FeatureRecord record in reader.ReadRecordsAsync(FeatureQuery.All, _stop.Token).ConfigureAwait(false))
        {
            if (record.Outcome is null && record.Avoided is null && !_open.ContainsKey(record.Id))
            {
                TrackOpenRecord(record);
            }
        }
    }

    private void TrackOpenRecord(FeatureRecord record)
    {
        if (record.Outcome is not null || record.Avoided is not null)
        {
            _open.Remove(record.Id);
            return;
        }

        if (!_open.ContainsKey(record.Id))
        {
            _openOrder.Enqueue(record.Id);
        }

        _open[record.Id] = record;
        while (_open.Count > _options.OpenRecordCapacity && _openOrder.TryDequeue(out string? oldest))
        {
            _open.Remove(oldest);
        }

        if (_openOrder.Count > (2 * _options.OpenRecordCapacity) + 64)
        {
            // Closed trades leave their ids in the queue; drop those so it stays bounded.
            string[] live = _openOrder.Where(_open.ContainsKey).ToArray();
            _openOrder.Clear();
            foreach (string id in live)
            {
                _openOrder.Enqueue(id);
            }
        }
    }

    private void KeepUnmatchedUpdate(RecordUpdate update)
    {
        _metrics.UnmatchedUpdates.Add(1);
        string path = Path.Combine(DataDirectory, UnmatchedUpdatesFile);
        using (var stream = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", update.Id);
            writer.WriteNumber("receivedAt", _time.GetUtcNow().ToUnixTimeMilliseconds());
            if (update.Execution is not null)
            {
                writer.WritePropertyName("execution");
                JsonSerializer.Serialize(writer, update.Execution, FeatureJsonContext.Default.ExecutionFeatures);
            }

            if (update.Outcome is not null)
            {
                writer.WritePropertyName("outcome");
                JsonSerializer.Serialize(writer, update.Outcome, FeatureJsonContext.Default.OutcomeFeatures);
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: _options.FsyncOnWrite);
        }

        string kind = update.Outcome is not null ? "Outcome" : "Execution";
        FeatureStoreLog.UnmatchedUpdate(_logger, kind, update.Id, UnmatchedUpdatesFile);
    }

    private void CompleteFlushWaiters(Exception? failure)
    {
        long written = Interlocked.Read(ref _written);
        lock (_flushLock)
        {
            for (int i = _flushWaiters.Count - 1; i >= 0; i--)
            {
                (long target, TaskCompletionSource done) = _flushWaiters[i];
                if (written >= target)
                {
                    done.TrySetResult();
                }
                else if (failure is not null)
                {
                    done.TrySetException(failure);
                }
                else
                {
                    continue;
                }

                _flushWaiters.RemoveAt(i);
            }
        }
    }

    private void PruneIfDue()
    {
        if (_options.RetainJsonlDays is not { } days || _log.FilesCreated == _filesSeenForPruning)
        {
            return;
        }

        // Checked when a new file starts: pruning is about days, not batches.
        _filesSeenForPruning = _log.FilesCreated;
        DateOnly cutoff = DateOnly.FromDateTime(_time.GetUtcNow().UtcDateTime).AddDays(-days);
        LogPosition committed = _log.Committed;
        foreach (string name in FeatureLogFiles.ListFeatureFiles(DataDirectory))
        {
            if (!FeatureLogFiles.TryParseFeatureFileName(name, out long key, out DateOnly date) || date >= cutoff || name == committed.FileName)
            {
                continue;
            }

            // Keep a file until every sink's cursor has moved past it: pruning must not lose unshipped data.
            if (_shippers.Exists(s => LogPosition.CompareFiles(s.Cursor.FileKey, s.Cursor.FileName, key, name) <= 0))
            {
                continue;
            }

            try
            {
                File.Delete(Path.Combine(DataDirectory, name));
                FeatureStoreLog.PrunedFile(_logger, name, days);
            }
            catch (IOException ex)
            {
                FeatureStoreLog.PruneFailed(_logger, ex, name);
            }
        }
    }

    private IEnumerable<Measurement<long>> ObserveSinkLag()
    {
        LogPosition committed = _log.Committed;
        foreach (SinkShipper shipper in _shippers)
        {
            yield return new Measurement<long>(shipper.PendingBytes(committed), shipper.Tags);
        }
    }

    private static void ValidateSinkName(IFeatureSink sink, HashSet<string> names)
    {
        ArgumentNullException.ThrowIfNull(sink);
        string name = sink.Name;
        if (string.IsNullOrEmpty(name) || name.Length > 100 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') || name.StartsWith('.'))
        {
            throw new ArgumentException($"Sink name '{name}' of {sink.GetType().Name} is not valid: use 1–100 letters, digits, '.', '-' or '_', not starting with '.'.", nameof(sink));
        }

        if (!names.Add(name))
        {
            throw new ArgumentException($"Two sinks are named '{name}'; sink names must be unique (they name the cursor files).", nameof(sink));
        }
    }

    private readonly record struct PendingWrite(FeatureRecord? Record, RecordUpdate? Update);

    private sealed record RecordUpdate(string Id, ExecutionFeatures? Execution, OutcomeFeatures? Outcome)
    {
        public FeatureRecord ApplyTo(FeatureRecord current)
        {
            FeatureRecord next = Execution is null ? current : current with { Execution = Execution };
            return Outcome is null
                ? next
                : next with { Outcome = Outcome, Labels = FeatureLabels.Derive(next.Execution, Outcome) };
        }
    }
}
