using System.Globalization;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// The result of <see cref="OnnxSignalQualityScorer.Score"/>: the probability that the trade is profitable and
/// whether it passes the threshold, or — when <see cref="HasModel"/> is <see langword="false"/> — "no model"
/// (the caller decides on its rule-based fallback). A <see langword="default"/> value is "no model" too.
/// </summary>
public readonly record struct SignalQualityScore
{
    private readonly double _probability;
    private readonly double _modelProbability;
    private readonly double _threshold;

    internal SignalQualityScore(double probability, double modelProbability, double threshold, long modelVersion)
    {
        _probability = probability;
        _modelProbability = modelProbability;
        _threshold = threshold;
        ModelVersion = modelVersion;
        HasModel = true;
    }

    /// <summary>The result when no model is loaded.</summary>
    public static SignalQualityScore NoModel => default;

    /// <summary><see langword="false"/>: no model is loaded and the other values are not scores (probability and threshold are NaN).</summary>
    public bool HasModel { get; }

    /// <summary>P(profitable) after Platt calibration (when the metadata has one); NaN without a model.</summary>
    public double Probability => HasModel ? _probability : double.NaN;

    /// <summary>The model's own probability, before calibration; NaN without a model.</summary>
    public double ModelProbability => HasModel ? _modelProbability : double.NaN;

    /// <summary>The threshold used: the options', else the metadata's suggested one, else 0.6; NaN without a model.</summary>
    public double Threshold => HasModel ? _threshold : double.NaN;

    /// <summary><see cref="Probability"/> ≥ <see cref="Threshold"/>; always <see langword="false"/> without a model.</summary>
    public bool PassesThreshold => HasModel && _probability >= _threshold;

    /// <summary>Which load of the scorer produced the score (1 for the first model, +1 per reload); 0 without a model.</summary>
    public long ModelVersion { get; }

    /// <inheritdoc />
    public override string ToString() => HasModel
        ? string.Create(CultureInfo.InvariantCulture, $"p={_probability:0.######} (model {_modelProbability:0.######}), threshold {_threshold:0.###}: {(PassesThreshold ? "pass" : "fail")}, model v{ModelVersion}")
        : "no model";
}
