using System.Text.Json;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Onnx;

/// <summary>One model's score as served: what <c>ml.&lt;model&gt;</c> of the recorded decision keeps.</summary>
/// <param name="Model">The model's name (<c>signal_quality</c> …).</param>
/// <param name="Score">The score.</param>
/// <param name="ModelSha256">SHA-256 of the ONNX file that computed it.</param>
/// <param name="Calibrated">Whether <see cref="ModelScore.Value"/> is a calibrated probability.</param>
/// <param name="Input">The input vector in the model's column order, when asked for.</param>
public sealed record ServedScore(string Model, ModelScore Score, string ModelSha256, bool Calibrated, IReadOnlyList<float>? Input);

/// <summary>A decision scored by every model of a set, before it is recorded.</summary>
public sealed class ScoredDecision
{
    /// <summary>The top-level key of a record that keeps the served scores. No flattening rule reads it: it is never a training column.</summary>
    public const string ServedKey = "ml";

    internal ScoredDecision(FeatureRecord decision, IReadOnlyList<ServedScore> scores)
    {
        Decision = decision;
        Scores = scores;
    }

    /// <summary>The decision as scored (no id yet, unless it had one).</summary>
    public FeatureRecord Decision { get; }

    /// <summary>One score per model of the set.</summary>
    public IReadOnlyList<ServedScore> Scores { get; }

    /// <summary>The signal-quality score, when the set has that model.</summary>
    public ModelScore? SignalQuality => Find(TrainingModel.SignalQuality)?.Score;

    /// <summary>Whether the signal-quality decision lets the trade through (always, without that model).</summary>
    public bool Passes => SignalQuality is not { } quality || quality.PassesThreshold;

    /// <summary>Whether some model scored with a missing lag.</summary>
    public bool ColdHistory => Scores.Any(s => s.Score.ColdLags);

    /// <summary>The score of <paramref name="model"/>, or <see langword="null"/>.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The served score.</returns>
    public ServedScore? Find(TrainingModel model)
    {
        string name = TrainingModels.Name(model);
        return Scores.FirstOrDefault(s => string.Equals(s.Model, name, StringComparison.Ordinal));
    }

    /// <summary>The decision to record (<see cref="IFeatureStore.Record"/>), keeping under <c>ml</c> what each model served.</summary>
    /// <returns>The record.</returns>
    public FeatureRecord ToRecord() => WithServed(Decision);

    /// <summary>The decision recorded as avoided (not traded), with what was served.</summary>
    /// <param name="reason">Why it was not traded.</param>
    /// <returns>The record.</returns>
    public FeatureRecord ToAvoided(string reason)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(reason);
        return WithServed(Decision with { Avoided = new AvoidedDecision { Reason = reason, Timestamp = Decision.Timestamp } });
    }

    private FeatureRecord WithServed(FeatureRecord record)
    {
        var extension = record.ExtensionData is null
            ? new Dictionary<string, JsonElement>(StringComparer.Ordinal)
            : new Dictionary<string, JsonElement>(record.ExtensionData, StringComparer.Ordinal);
        extension[ServedKey] = ServedJson.Write(Scores);
        return record with { ExtensionData = extension };
    }
}
