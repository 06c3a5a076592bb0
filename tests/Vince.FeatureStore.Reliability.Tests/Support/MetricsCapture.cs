using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>One instrument of a Vince meter, as published.</summary>
internal sealed record PublishedInstrument(string Meter, string Name, string Kind, string? Unit, string? Description);

/// <summary>
/// Listens to every instrument of the meters named <c>Vince.*</c> that <see cref="Factory"/> created (so stores of tests
/// running in parallel do not count): what is published, and every measurement with its tags (observable instruments
/// are collected on <see cref="Collect"/>). Pass <see cref="Factory"/> to the store as its <see cref="IMeterFactory"/>.
/// </summary>
internal sealed class MetricsCapture : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly object _scope = new();

    public MetricsCapture()
    {
        Factory = new ScopedMeterFactory(_scope);
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (ReferenceEquals(instrument.Meter.Scope, _scope) && instrument.Meter.Name.StartsWith("Vince.", StringComparison.Ordinal))
            {
                Instruments[instrument.Name] = new PublishedInstrument(instrument.Meter.Name, instrument.Name, KindOf(instrument), instrument.Unit, instrument.Description);
                listener.EnableMeasurementEvents(instrument);
            }
        };
        _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<int>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.SetMeasurementEventCallback<double>((instrument, value, tags, _) => Record(instrument, value, tags));
        _listener.Start();
    }

    public IMeterFactory Factory { get; }

    public ConcurrentDictionary<string, PublishedInstrument> Instruments { get; } = new();

    public ConcurrentQueue<(string Name, double Value, KeyValuePair<string, object?>[] Tags)> Measurements { get; } = new();

    /// <summary>Reads the observable instruments now.</summary>
    public void Collect() => _listener.RecordObservableInstruments();

    /// <summary>The sum of the measurements of a counter, over all tags (or those with <paramref name="tag"/>).</summary>
    public double Sum(string name, KeyValuePair<string, object?>? tag = null)
        => Measurements.Where(m => m.Name == name && (tag is null || m.Tags.Contains(tag.Value))).Sum(m => m.Value);

    public void Dispose()
    {
        _listener.Dispose();
        Factory.Dispose();
    }

    private void Record(Instrument instrument, double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
        => Measurements.Enqueue((instrument.Name, value, tags.ToArray()));

    private static string KindOf(Instrument instrument)
    {
        string type = instrument.GetType().Name;
        return type[..type.IndexOf('`', StringComparison.Ordinal)] switch
        {
            "Counter" => "counter",
            "UpDownCounter" => "up-down counter",
            "Histogram" => "histogram",
            "ObservableGauge" => "observable gauge",
            "ObservableCounter" => "observable counter",
            "ObservableUpDownCounter" => "observable up-down counter",
            "Gauge" => "gauge",
            string other => other,
        };
    }
}

/// <summary>Creates meters marked with one scope object; disposes them with itself.</summary>
internal sealed class ScopedMeterFactory(object scope) : IMeterFactory
{
    private readonly ConcurrentBag<Meter> _meters = [];

    public Meter Create(MeterOptions options)
    {
        var meter = new Meter(new MeterOptions(options.Name) { Version = options.Version, Tags = options.Tags, Scope = scope });
        _meters.Add(meter);
        return meter;
    }

    public void Dispose()
    {
        foreach (Meter meter in _meters)
        {
            meter.Dispose();
        }
    }
}
