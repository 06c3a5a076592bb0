using System.Diagnostics.Metrics;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Diagnostics;
using Vince.FeatureStore.Recording;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// Every model of a trained set (<c>signal_quality</c>, <c>position_sizing</c>, <c>tp_optimizer</c>, <c>sl_optimizer</c>:
/// those present), each an <see cref="OnnxModelScorer"/> built from its own column list, scoring a decision against the
/// store's serving history before the bot records it.
/// </summary>
/// <remarks>
/// <code>
/// ScoredDecision scored = models.ScoreDecision("BTC", market, session, signal, regime);
/// if (!scored.Passes) { store.Record(scored.ToAvoided("signal quality below threshold")); return; }
/// string id = store.Record(scored.ToRecord());   // keeps ml.&lt;model&gt;: what was served
/// </code>
/// Thread-safe.
/// </remarks>
public sealed class OnnxModelSet : IDisposable
{
    private readonly OnnxModelScorer?[] _byModel = new OnnxModelScorer?[TrainingModels.All.Count];
    private readonly ScoringMetrics _metrics;
    private readonly TimeProvider _time;

    private OnnxModelSet(string directory, ServingHistory history, IReadOnlyList<OnnxModelScorer> models, IMeterFactory? meterFactory, TimeProvider? timeProvider)
    {
        Directory = directory;
        History = history;
        Models = models;
        foreach (OnnxModelScorer model in models)
        {
            _byModel[(int)model.Model] = model;
        }

        _metrics = new ScoringMetrics(meterFactory);
        _time = timeProvider ?? TimeProvider.System;
    }

    /// <summary>The set's directory (absolute).</summary>
    public string Directory { get; }

    /// <summary>The history decisions are scored against (the store's).</summary>
    public ServingHistory History { get; }

    /// <summary>The models loaded, in <see cref="TrainingModels.All"/> order.</summary>
    public IReadOnlyList<OnnxModelScorer> Models { get; }

    /// <summary>The scorer of <paramref name="model"/>, or <see langword="null"/> when the set has no such model.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The scorer.</returns>
    public OnnxModelScorer? this[TrainingModel model] => _byModel[(int)model];

    /// <summary>Loads every model of <see cref="TrainingModels.All"/> whose <c>.onnx</c> file the directory holds.</summary>
    /// <param name="modelsDirectory">The set's directory.</param>
    /// <param name="history">The history to score against: the store's <see cref="FeatureStore.History"/>.</param>
    /// <param name="options">Session and threshold settings; defaults when <see langword="null"/>.</param>
    /// <param name="meterFactory">Creates the <c>Vince.FeatureStore.Scoring</c> meter; a private meter when <see langword="null"/>.</param>
    /// <param name="timeProvider">The clock that dates a decision scored without a timestamp.</param>
    /// <returns>The set.</returns>
    /// <exception cref="OnnxModelLoadException">A model cannot be used, or the directory holds none of them.</exception>
    public static OnnxModelSet Load(string modelsDirectory, ServingHistory history, OnnxScoringOptions? options = null, IMeterFactory? meterFactory = null, TimeProvider? timeProvider = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        ArgumentNullException.ThrowIfNull(history);
        string directory = Path.GetFullPath(modelsDirectory);
        var models = new List<OnnxModelScorer>();
        try
        {
            foreach (TrainingModel model in TrainingModels.All)
            {
                if (File.Exists(Path.Combine(directory, TrainingModels.Name(model) + ".onnx")))
                {
                    models.Add(OnnxModelScorer.Load(directory, model, options));
                }
            }
        }
        catch
        {
            models.ForEach(static m => m.Dispose());
            throw;
        }

        if (models.Count == 0)
        {
            throw new OnnxModelLoadException(directory, $"{directory} holds none of {string.Join(", ", TrainingModels.All.Select(m => TrainingModels.Name(m) + ".onnx"))}.");
        }

        return new OnnxModelSet(directory, history, models, meterFactory, timeProvider);
    }

    /// <summary>Scores a decision from its parts, before it is recorded (it has no id until <see cref="IFeatureStore.Record"/> gives it one).</summary>
    /// <param name="asset">Ticker.</param>
    /// <param name="market">Market state.</param>
    /// <param name="session">Session context.</param>
    /// <param name="signal">The signal.</param>
    /// <param name="regime">The regime.</param>
    /// <param name="news">News context.</param>
    /// <param name="decisionDrivers">Reasons for the decision.</param>
    /// <param name="timestamp">Decision time; now when <see langword="null"/> (the recorded record keeps it).</param>
    /// <param name="includeInputs">Whether each score keeps its named input vector (allocates; for diagnostics and tests).</param>
    /// <returns>The decision with every model's score.</returns>
    public ScoredDecision ScoreDecision(
        string asset,
        MarketFeatures? market = null,
        SessionFeatures? session = null,
        SignalFeatures? signal = null,
        RegimeFeatures? regime = null,
        NewsFeatures? news = null,
        IReadOnlyList<string>? decisionDrivers = null,
        DateTimeOffset? timestamp = null,
        bool includeInputs = false)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(asset);
        FeatureRecord decision = RecordVersions.Decision("", asset, market, session, signal, regime, news, decisionDrivers, timestamp ?? _time.GetUtcNow());
        return Score(decision, includeInputs);
    }

    /// <summary>Scores a decision record with every model of the set (the record may have no id yet).</summary>
    /// <param name="decision">The decision.</param>
    /// <param name="includeInputs">Whether each score keeps its named input vector.</param>
    /// <returns>The decision with every model's score.</returns>
    public ScoredDecision Score(FeatureRecord decision, bool includeInputs = false)
    {
        ArgumentNullException.ThrowIfNull(decision);
        var served = new ServedScore[Models.Count];
        for (int i = 0; i < Models.Count; i++)
        {
            OnnxModelScorer model = Models[i];
            float[]? vector = includeInputs ? new float[model.FeatureNames.Count] : null;
            ModelScore score = model.Score(decision, History, vector);
            var tag = new KeyValuePair<string, object?>("model", model.Name);
            _metrics.Scores.Add(1, tag);
            if (score.ColdLags)
            {
                _metrics.ColdHistory.Add(1, tag);
            }

            served[i] = new ServedScore(model.Name, score, model.ModelSha256, model.IsCalibrated, vector);
        }

        return new ScoredDecision(decision, served);
    }

    /// <inheritdoc />
    public void Dispose()
    {
        foreach (OnnxModelScorer model in Models)
        {
            model.Dispose();
        }

        _metrics.Dispose();
    }
}
