using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Health;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Pipeline;

/// <summary>
/// The store's <see cref="SinkShipper"/>s, one per sink in registration order, and what is asked of them together:
/// when each stretch of the log was committed (for their lag), whether all have caught up, and their shutdown.
/// </summary>
internal sealed class SinkShippers : IDisposable
{
    private readonly List<SinkShipper> _shippers = [];
    private readonly JsonlFeatureLog _log;
    private readonly LogCommitTimes _commitTimes;
    private readonly AsyncSignal _logSignal;
    private readonly AsyncSignal _progressSignal = new();
    private readonly CancellationTokenSource _drain = new();
    private readonly TimeProvider _time;
    private Task[] _running = [];

    /// <exception cref="ArgumentException">A sink name is not valid, or two clash.</exception>
    // The sinks come through Validate first: the store refuses bad names before it touches the directory.
    public SinkShippers(
        IReadOnlyList<IFeatureSink> sinks,
        string dataDirectory,
        JsonlFeatureLog log,
        AsyncSignal logSignal,
        FeatureStoreOptions options,
        FeatureStoreMetrics metrics,
        ILoggerFactory loggerFactory,
        TimeProvider time)
    {
        _log = log;
        _logSignal = logSignal;
        _time = time;
        _commitTimes = new LogCommitTimes(log.Committed, time.GetUtcNow());
        var cursors = new SinkCursorStore(dataDirectory, options.FsyncOnWrite);
        foreach (IFeatureSink sink in sinks)
        {
            _shippers.Add(new SinkShipper(sink, dataDirectory, cursors, () => log.Committed, logSignal, _progressSignal,
                options, metrics, loggerFactory.CreateLogger("Vince.FeatureStore.Sinks." + sink.Name), time));
        }
    }

    /// <summary>The shippers, in registration order.</summary>
    public IReadOnlyList<SinkShipper> All => _shippers;

    /// <summary>The sink names, in registration order.</summary>
    public IReadOnlyList<string> Names => _shippers.ConvertAll(s => s.Name);

    /// <summary>The sink names for a log line: comma-separated, or <c>(none)</c>.</summary>
    public string Description => _shippers.Count == 0 ? "(none)" : string.Join(", ", _shippers.Select(s => s.Name));

    /// <summary>Starts one loop per shipper (the caller makes sure it happens once).</summary>
    /// <param name="stop">Ends the loops at once.</param>
    public void Start(CancellationToken stop)
        => _running = _shippers.Select(s => Task.Run(() => s.RunAsync(_drain.Token, stop), CancellationToken.None)).ToArray();

    /// <summary>
    /// Call once the log writer has finished: lets every shipper ship the rest of the log and end, until
    /// <paramref name="stop"/> (the shutdown deadline) ends them; a sink still behind then is logged and continues
    /// from its cursor on the next start.
    /// </summary>
    public async Task DrainAsync(TimeSpan shutdownTimeout, ILogger logger, CancellationToken stop)
    {
        await _drain.CancelAsync().ConfigureAwait(false);
        _logSignal.Set();
        Task shipping = Task.WhenAll(_running);
        try
        {
            await shipping.WaitAsync(stop).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            ReportBehind(shutdownTimeout, logger);
        }

        try
        {
            await shipping.ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            // Expected for shippers stopped at the deadline; their cursors are saved.
        }
    }

    /// <summary>Releases the drain signal; call after <see cref="DrainAsync"/>.</summary>
    public void Dispose() => _drain.Dispose();

    /// <summary>Notes that the log is durable up to its committed position now; forgets the times every sink has passed.</summary>
    public void NoteCommit()
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

    /// <summary>Completes when every sink's cursor is at or past <paramref name="target"/>.</summary>
    public async Task WaitUntilShippedAsync(LogPosition target, CancellationToken cancellationToken)
    {
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

    /// <summary>A snapshot of every sink's progress, in registration order.</summary>
    public IReadOnlyList<FeatureSinkStatus> GetStatuses()
    {
        LogPosition committed = _log.Committed;
        DateTimeOffset now = _time.GetUtcNow();
        return _shippers.ConvertAll(s => s.GetStatus(committed, _commitTimes, now));
    }

    /// <summary>One sink's status and its pending record versions, counted up to <paramref name="recordLimit"/> + 1; <see langword="null"/> for an unknown sink.</summary>
    public SinkHealth? GetHealth(string sinkName, long recordLimit)
    {
        SinkShipper? shipper = _shippers.Find(s => string.Equals(s.Name, sinkName, StringComparison.Ordinal));
        if (shipper is null)
        {
            return null;
        }

        LogPosition committed = _log.Committed;
        FeatureSinkStatus status = shipper.GetStatus(committed, _commitTimes, _time.GetUtcNow());
        return new SinkHealth(status, status.PendingBytes == 0 ? 0 : shipper.CountPendingRecords(committed, recordLimit));
    }

    /// <summary>Bytes of the log each sink has not shipped, tagged with the sink's name.</summary>
    public IEnumerable<Measurement<long>> MeasureLag()
    {
        LogPosition committed = _log.Committed;
        foreach (SinkShipper shipper in _shippers)
        {
            yield return new Measurement<long>(shipper.PendingBytes(committed), shipper.Tags);
        }
    }

    private void ReportBehind(TimeSpan shutdownTimeout, ILogger logger)
    {
        LogPosition committed = _log.Committed;
        foreach (SinkShipper shipper in _shippers)
        {
            long pending = shipper.PendingBytes(committed);
            if (pending > 0)
            {
                FeatureStoreLog.SinkBehindAtShutdown(logger, shutdownTimeout, shipper.Name, pending);
            }
        }
    }

    /// <summary>Refuses sink names that are invalid or taken twice, before anything is written to disk.</summary>
    public static IReadOnlyList<IFeatureSink> Validate(IEnumerable<IFeatureSink>? sinks)
    {
        List<IFeatureSink> list = [.. sinks ?? []];
        var names = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        foreach (IFeatureSink sink in list)
        {
            ValidateSinkName(sink, names);
        }

        return list;
    }

    /// <summary>What a sink name may be (it names files in the data directory).</summary>
    public const string NameRule = "use 1–100 letters, digits, '.', '-' or '_', not starting with '.'";

    public static bool IsValidName(string? name)
        => !string.IsNullOrEmpty(name) && name.Length <= 100 && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_') && !name.StartsWith('.');

    private static void ValidateSinkName(IFeatureSink sink, HashSet<string> names)
    {
        ArgumentNullException.ThrowIfNull(sink);
        string name = sink.Name;
        if (!IsValidName(name))
        {
            throw new ArgumentException($"Sink name '{name}' of {sink.GetType().Name} is not valid: {NameRule}.", nameof(sink));
        }

        if (!names.Add(name))
        {
            throw new ArgumentException($"Two sinks are named '{name}'; sink names must be unique (they name the cursor files).", nameof(sink));
        }
    }
}
