using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Health;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.Pipeline;
using Vince.FeatureStore.Recording;

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
/// Bot code should depend on <see cref="IFeatureStore"/>, which the registration resolves to this instance.
/// </remarks>
public sealed class FeatureStore : IFeatureStore, IAsyncDisposable
{
    private readonly FeatureStoreOptions _options;
    private readonly ILogger _logger;
    private readonly FeatureStoreMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly RecordQueue _queue;
    private readonly FeatureLogWriter _writer;
    private readonly JsonlFeatureLog _log;
    private readonly SinkShippers _shippers;
    private readonly AsyncSignal _logSignal = new();
    private readonly CancellationTokenSource _stop = new();
    private readonly object _startLock = new();
    private readonly DataDirectoryLock _owner;
    private Task? _disposeTask;
    private Task? _warmStart;
    private bool _stopReleased;

    /// <summary>Creates a store. Nothing runs until <see cref="StartAsync"/>; records may be enqueued before.</summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="sinks">Sinks to ship the log to; names must be unique.</param>
    /// <param name="loggerFactory">Logging; none when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>Vince.FeatureStore</c> meter; a private meter when <see langword="null"/>.</param>
    /// <param name="timeProvider">Clock for file names, retries and timeouts; the system clock when <see langword="null"/>.</param>
    /// <exception cref="ArgumentException">The options are invalid or sink names clash.</exception>
    /// <exception cref="FeatureStoreException">Another process is writing the data directory (one process per directory).</exception>
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
        IReadOnlyList<IFeatureSink> validSinks = SinkShippers.Validate(sinks); // bad names are refused before the directory is touched
        FileSystemDurability.CreatePrivateDirectory(DataDirectory);
        _owner = DataDirectoryLock.Acquire(DataDirectory, _time.GetUtcNow());
        try
        {
            (_log, _queue, _shippers, _writer) = CreateParts(options, validSinks, loggerFactory);
        }
        catch
        {
            _owner.Dispose(); // a store that failed to build must not keep the directory
            throw;
        }

        _metrics.ObserveQueue(() => _queue.Count);
        _metrics.ObserveSinkLag(_shippers.MeasureLag);
    }

    private (JsonlFeatureLog, RecordQueue, SinkShippers, FeatureLogWriter) CreateParts(FeatureStoreOptions options, IReadOnlyList<IFeatureSink> sinks, ILoggerFactory loggerFactory)
    {
        var log = new JsonlFeatureLog(DataDirectory, options.RecordsPerFile, options.FsyncOnWrite, _time, _logger);
        var queue = new RecordQueue(options, _metrics, _logger, _time);
        var shippers = new SinkShippers(sinks, DataDirectory, log, _logSignal, options, _metrics, loggerFactory, _time);
        var unmatched = new UnmatchedUpdatesFile(DataDirectory, options.FsyncOnWrite, _metrics, _logger, _time);
        var writer = new FeatureLogWriter(
            queue,
            log,
            new OpenRecordIndex(DataDirectory, options.OpenRecordCapacity, _time),
            unmatched,
            new LogRetention(options.RetainJsonlDays, DataDirectory, log, shippers.All, _logger, _time),
            shippers,
            _logSignal,
            options,
            _metrics,
            _logger,
            _time,
            _stop.Token);
        return (log, queue, shippers, writer);
    }

    /// <summary>The absolute path of the JSONL log directory.</summary>
    public string DataDirectory { get; }

    /// <summary>
    /// The earlier records of each asset that lag columns read when a decision is scored: fed by every record recorded
    /// here, warm-started by <see cref="StartAsync"/> from the tail of the log (or <see cref="HistorySource"/> when the log is empty).
    /// </summary>
    public ServingHistory History { get; } = new();

    /// <summary>
    /// Where <see cref="StartAsync"/> warm-starts <see cref="History"/> from when the local log holds no record, e.g. the
    /// Postgres or Supabase reader the training reads (<c>AddVinceFeatureStore</c> sets the registered <see cref="IFeatureQuery"/>).
    /// </summary>
    public IFeatureQuery? HistorySource { get; init; }

    /// <summary>Record versions refused because the queue was full (<see cref="QueueFullMode.DropAndCount"/>) since creation.</summary>
    public long DroppedCount => _queue.Dropped;

    /// <summary>
    /// Warm-starts <see cref="History"/> (once), then starts the log writer and one shipper per sink. Calling it again does nothing.
    /// </summary>
    /// <param name="cancellationToken">Stops the warm start; not used for the background work, which runs until disposal.</param>
    /// <returns>A task that completes once the history is warm and the loops are running.</returns>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Task warmStart;
        lock (_startLock)
        {
            ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
            warmStart = _warmStart ??= WarmStartAsync(cancellationToken);
        }

        await warmStart.ConfigureAwait(false);
        lock (_startLock)
        {
            if (_writer.Loop is not null)
            {
                return;
            }

            ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
            StartLoops();
        }

        FeatureStoreLog.Started(_logger, DataDirectory, _shippers.All.Count, _shippers.Description);
    }

    private async Task WarmStartAsync(CancellationToken cancellationToken)
    {
        ServingHistoryWarmStart warm;
        try
        {
            warm = await History.WarmStartAsync(DataDirectory, HistorySource, new FeatureLogReaderOptions().MaxLineBytes, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException && HistorySource is not null)
        {
            // A training source that is down must not keep the bot from starting: it scores cold, and says so.
            FeatureStoreLog.HistoryWarmStartFailed(_logger, ex, HistorySource.GetType().Name);
            return;
        }

        FeatureStoreLog.HistoryWarmStarted(_logger, warm.Records, warm.Assets, warm.Source, warm.BytesRead, warm.Elapsed.TotalMilliseconds);
    }

    /// <inheritdoc/>
    public string Record(FeatureRecord record)
    {
        record = RecordVersions.Complete(record, _time);
        RecordSizes.EnsureWithin(record, FeatureJson.RecordTypeInfo, _options.MaxRecordBytes, "Record", record.Id, nameof(record));
        if (Enqueue(new PendingWrite(record, null), record.Id))
        {
            History.Add(record); // a record the log never gets (dropped) is not served from either
        }

        return record.Id;
    }

    /// <inheritdoc/>
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
        FeatureRecord decision = RecordVersions.NewDecision(asset, market, session, signal, regime, news, decisionDrivers, timestamp ?? _time.GetUtcNow());
        return Record(execution is null ? decision : decision with { Execution = execution });
    }

    /// <inheritdoc/>
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
        FeatureRecord decision = RecordVersions.NewDecision(asset, market, session, signal, regime, news, decisionDrivers, timestamp ?? _time.GetUtcNow());
        return Record(decision with { Avoided = new AvoidedDecision { Reason = reason, Timestamp = decision.Timestamp } });
    }

    /// <inheritdoc/>
    public void RecordExecution(string id, ExecutionFeatures execution)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(execution);
        RecordSizes.EnsureWithin(execution, FeatureJsonContext.Default.ExecutionFeatures, _options.MaxRecordBytes, "The execution of record", id, nameof(execution));
        var update = new RecordUpdate(id, execution, null);
        if (Enqueue(new PendingWrite(null, update), id))
        {
            History.Apply(update);
        }
    }

    /// <inheritdoc/>
    public void RecordOutcome(string id, OutcomeFeatures outcome)
    {
        ArgumentException.ThrowIfNullOrEmpty(id);
        ArgumentNullException.ThrowIfNull(outcome);
        RecordSizes.EnsureWithin(outcome, FeatureJsonContext.Default.OutcomeFeatures, _options.MaxRecordBytes, "The outcome of record", id, nameof(outcome));
        var update = new RecordUpdate(id, null, outcome);
        if (Enqueue(new PendingWrite(null, update), id))
        {
            History.Apply(update);
        }
    }

    /// <inheritdoc/>
    public Task FlushAsync(CancellationToken cancellationToken = default)
    {
        Task writer = _writer.Loop
            ?? throw new InvalidOperationException("The feature store is not running: call StartAsync (the hosted service of AddVinceFeatureStore does) before FlushAsync.");
        return _writer.Flushed.WaitAsync(_queue.Accepted, writer, cancellationToken);
    }

    /// <inheritdoc/>
    public async Task WaitForSinksAsync(CancellationToken cancellationToken = default)
    {
        await FlushAsync(cancellationToken).ConfigureAwait(false);
        await _shippers.WaitUntilShippedAsync(_log.Committed, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public IReadOnlyList<FeatureSinkStatus> GetSinkStatuses() => _shippers.GetStatuses();

    /// <summary>The names of the sinks, in registration order.</summary>
    internal IReadOnlyList<string> SinkNames => _shippers.Names;

    /// <summary>One sink's status and its pending record versions, counted up to <paramref name="recordLimit"/> + 1; <see langword="null"/> for an unknown sink.</summary>
    internal SinkHealth? GetSinkHealth(string sinkName, long recordLimit) => _shippers.GetHealth(sinkName, recordLimit);

    /// <summary>The state of the log writer, for the log's health check.</summary>
    internal LogWriterHealth GetLogHealth() => _writer.GetHealth(stopping: _disposeTask is not null);

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
        _queue.Close();
        if (_writer.Loop is null)
        {
            // Records enqueued before a start are still written: start, drain, stop.
            lock (_startLock)
            {
                StartLoops();
            }
        }

        using var deadline = new CancellationTokenSource(_options.ShutdownTimeout, _time);
        using CancellationTokenRegistration onDeadline = deadline.Token.Register(() => _stop.Cancel());
        await _writer.Loop!.ConfigureAwait(false);

        await _shippers.DrainAsync(_options.ShutdownTimeout, _logger, _stop.Token).ConfigureAwait(false);
        _log.Dispose();
        _owner.Dispose();
        _metrics.Dispose();
        FeatureStoreLog.Stopped(_logger, _writer.Flushed.Written);
        lock (_startLock)
        {
            _stopReleased = true;
            _stop.Dispose();
        }

        _shippers.Dispose();
    }

    /// <summary>
    /// Stops as <see cref="DisposeAsync"/> does, but stops waiting for sinks as soon as <paramref name="deadline"/>
    /// is cancelled (the host's shutdown time is up): the log is written either way, and a sink still behind
    /// resumes from its cursor on the next start.
    /// </summary>
    internal async Task StopAsync(CancellationToken deadline)
    {
        using CancellationTokenRegistration onDeadline = deadline.Register(StopWaiting);
        await DisposeAsync().ConfigureAwait(false);
    }

    private void StopWaiting()
    {
        lock (_startLock)
        {
            if (!_stopReleased)
            {
                _stop.Cancel();
            }
        }
    }

    private void StartLoops()
    {
        _writer.Start();
        _shippers.Start(_stop.Token);
    }

    /// <returns><see langword="false"/> when the full queue dropped the item (<see cref="QueueFullMode.DropAndCount"/>).</returns>
    private bool Enqueue(PendingWrite item, string id)
    {
        if (_queue.TryAdd(item))
        {
            return true;
        }

        ObjectDisposedException.ThrowIf(_disposeTask is not null, this);
        return _queue.AddWhenFull(item, id);
    }
}
