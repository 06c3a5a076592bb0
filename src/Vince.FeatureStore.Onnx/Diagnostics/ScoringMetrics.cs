using System.Diagnostics.Metrics;

namespace Vince.FeatureStore.Onnx.Diagnostics;

/// <summary>
/// Instruments of the meter <c>Vince.FeatureStore.Scoring</c>: scores served by model, and those among them that
/// missed a lag (the asset had fewer than 3 earlier records in the serving history). Tags carry the model name only.
/// </summary>
internal sealed class ScoringMetrics : IDisposable
{
    public const string MeterName = "Vince.FeatureStore.Scoring";

    private readonly Meter _meter;
    private readonly bool _ownsMeter;

    public ScoringMetrics(IMeterFactory? meterFactory)
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

        Scores = _meter.CreateCounter<long>("vince.featurestore.scoring.scores", "{score}", "Decisions scored, by model.");
        ColdHistory = _meter.CreateCounter<long>("vince.featurestore.scoring.cold_history", "{score}", "Scores whose lag columns missed an earlier record of the asset, by model.");
    }

    public Counter<long> Scores { get; }

    public Counter<long> ColdHistory { get; }

    public void Dispose()
    {
        if (_ownsMeter)
        {
            _meter.Dispose();
        }
    }
}
