using System.Diagnostics.Metrics;

namespace Vince.FeatureStore.Diagnostics;

/// <summary>
/// Instruments of the meter <c>Vince.FeatureStore</c>. Names, units and tags are documented in the README;
/// tags never carry secrets (only sink names and reasons).
/// </summary>
internal sealed class FeatureStoreMetrics : IDisposable
{
    public const string MeterName = "Vince.FeatureStore";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public FeatureStoreMetrics(IMeterFactory? meterFactory)
    {
        if (meterFactory is not null)
        {
            _meter = meterFactory.Create(MeterName);
        }
        else
        {
            _meter = new Meter(MeterName);
            _ownsMeter = true;
        }

        Recorded = _meter.CreateCounter<long>("vince.featurestore.records.recorded", "{record}", "Record versions accepted by the store (decisions, executions, outcomes).");
        Dropped = _meter.CreateCounter<long>("vince.featurestore.records.dropped", "{record}", "Record versions refused because the queue was full.");
        LogWritten = _meter.CreateCounter<long>("vince.featurestore.log.written", "{record}", "Record versions appended to the JSONL log and flushed.");
        LogWriteErrors = _meter.CreateCounter<long>("vince.featurestore.log.errors", "{error}", "Failed attempts to write the JSONL log or unmatched_updates.jsonl (retried).");
        SinkWritten = _meter.CreateCounter<long>("vince.featurestore.sink.written", "{record}", "Record versions a sink accepted.");
        SinkRetries = _meter.CreateCounter<long>("vince.featurestore.sink.retries", "{attempt}", "Failed sink writes that will be retried.");
        SinkDeadLettered = _meter.CreateCounter<long>("vince.featurestore.sink.dead_lettered", "{record}", "Record versions a sink refused permanently, parked in its dead-letter file.");
        SkippedLines = _meter.CreateCounter<long>("vince.featurestore.log.skipped_lines", "{line}", "Invalid JSONL lines a sink passed over.");
        Rejected = _meter.CreateCounter<long>("vince.featurestore.records.rejected", "{record}", "Record versions that could not be serialized and were not written.");
        UnmatchedUpdates = _meter.CreateCounter<long>("vince.featurestore.records.unmatched_updates", "{update}", "Execution/outcome updates for ids with no earlier version.");
    }

    public Counter<long> Recorded { get; }
    public Counter<long> Dropped { get; }
    public Counter<long> LogWritten { get; }
    public Counter<long> LogWriteErrors { get; }
    public Counter<long> SinkWritten { get; }
    public Counter<long> SinkRetries { get; }
    public Counter<long> SinkDeadLettered { get; }
    public Counter<long> SkippedLines { get; }
    public Counter<long> UnmatchedUpdates { get; }
    public Counter<long> Rejected { get; }

    public void ObserveQueue(Func<int> depth)
        => _meter.CreateObservableGauge("vince.featurestore.queue.depth", depth, "{record}", "Record versions waiting to be appended to the log.");

    public void ObserveSinkLag(Func<IEnumerable<Measurement<long>>> lag)
        => _meter.CreateObservableGauge("vince.featurestore.sink.lag", lag, "By", "Bytes of the JSONL log a sink has not shipped yet.");

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
