using System.Diagnostics.Metrics;

namespace Vince.FeatureStore.Onnx.Diagnostics;

/// <summary>
/// Instruments of the meter <c>Vince.FeatureStore.Training</c>: training runs by outcome, failures by stage, and the
/// duration of a run. Tags carry only the trainer name, the outcome and the stage.
/// </summary>
internal sealed class TrainingMetrics : IDisposable
{
    public const string MeterName = "Vince.FeatureStore.Training";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public TrainingMetrics(IMeterFactory? meterFactory)
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

        Runs = _meter.CreateCounter<long>("vince.featurestore.training.runs", "{run}", "Training runs, by outcome (installed, not_enough_data, rejected, failed, cancelled).");
        Failures = _meter.CreateCounter<long>("vince.featurestore.training.failures", "{failure}", "Failures of a training run, by stage (training, validation, quality_gate, installation, upload, reload).");
        Duration = _meter.CreateHistogram<double>("vince.featurestore.training.duration", "s", "Duration of a training run, from the start of the trainer to the scorer reload, by outcome.");
    }

    public Counter<long> Runs { get; }

    public Counter<long> Failures { get; }

    public Histogram<double> Duration { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
