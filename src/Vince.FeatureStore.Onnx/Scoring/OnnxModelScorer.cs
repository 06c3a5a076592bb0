using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Scoring;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// Scores decisions with one model of a trained set — <c>signal_quality</c>, <c>position_sizing</c>, <c>tp_optimizer</c>
/// or <c>sl_optimizer</c> — built from that model's own column list and decoded as the trainer wrote it: the
/// probability of class 1 with the metadata's Platt calibration and threshold (signal quality), the regression value
/// (position sizing's r-multiple, the SL quantile), or the class label with the highest probability (the TP level).
/// </summary>
/// <remarks>
/// <para>The column list is <c>model_inputs.&lt;name&gt;.features</c> of <c>training_metadata.json</c>, else (signal quality)
/// <c>signal_quality_feature_names</c>, else <c>&lt;name&gt;_features.json</c>. A list naming a column the flattener does not
/// know is refused at load (it would be fed 0 for ever), as is a model whose input width differs from it.</para>
/// <para>Thread-safe; <see cref="Score(FeatureRecord, ServingHistory)"/> allocates nothing: each concurrent call uses
/// pooled buffers bound to the session once. No file watching: load a new scorer for a new set.</para>
/// </remarks>
public sealed class OnnxModelScorer : IDisposable
{
    private readonly ScoringModel _model;
    private int _disposed;

    private OnnxModelScorer(ScoringModel model) => _model = model;

    /// <summary>Which model this is.</summary>
    public TrainingModel Model => _model.Model;

    /// <summary>The model's name in the set (<c>signal_quality</c> …), as <c>ml.&lt;name&gt;</c> of a served score names it.</summary>
    public string Name => TrainingModels.Name(Model);

    /// <summary>The ONNX file (absolute).</summary>
    public string ModelPath => _model.Info.ModelPath;

    /// <summary>SHA-256 of the ONNX file as read, lower-case hex: which model served a score.</summary>
    public string ModelSha256 => _model.Info.ModelSha256;

    /// <summary>The input columns, in the model's order.</summary>
    public IReadOnlyList<string> FeatureNames => _model.Columns.Names;

    /// <summary>Where the column list was read from.</summary>
    public string ColumnsSource => _model.Info.FeatureNamesSource;

    /// <summary>How the output is decoded.</summary>
    public ModelOutputKind OutputKind => _model.OutputKind;

    /// <summary>The probability threshold (signal quality), else <see langword="null"/>.</summary>
    public double? Threshold => _model.Threshold;

    /// <summary>Whether the model's columns read the history (lag columns).</summary>
    public bool ReadsHistory => _model.Columns.ReadsHistory;

    /// <summary>Whether outputs are calibrated (signal quality with a calibration in the metadata).</summary>
    public bool IsCalibrated => _model.IsCalibrated;

    /// <summary>Loads <paramref name="model"/> from the set in <paramref name="modelsDirectory"/>.</summary>
    /// <param name="modelsDirectory">The directory a trainer wrote (<c>&lt;name&gt;.onnx</c>, <c>training_metadata.json</c>, <c>&lt;name&gt;_features.json</c>).</param>
    /// <param name="model">Which model.</param>
    /// <param name="options">Session and threshold settings (<see cref="OnnxScoringOptions.Threshold"/>, <see cref="OnnxScoringOptions.VerifyModelHash"/>,
    /// <see cref="OnnxScoringOptions.IntraOpNumThreads"/>); the defaults when <see langword="null"/>.</param>
    /// <returns>The scorer, warmed up.</returns>
    /// <exception cref="OnnxModelLoadException">The files cannot be used; the message names the file and the problem.</exception>
    public static OnnxModelScorer Load(string modelsDirectory, TrainingModel model, OnnxScoringOptions? options = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelsDirectory);
        return new OnnxModelScorer(ScoringModelLoader.Build(Path.GetFullPath(modelsDirectory), model, options ?? new OnnxScoringOptions()));
    }

    /// <summary>Scores <paramref name="record"/> with lags from the store's serving history. Does not allocate.</summary>
    /// <param name="record">The decision (not yet recorded: it is not in the history).</param>
    /// <param name="history">The store's <see cref="FeatureStore.History"/>.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, ServingHistory history) => Score(record, history, []);

    /// <summary>Scores <paramref name="record"/> and copies the named input vector (in <see cref="FeatureNames"/> order, before scaling) into <paramref name="vector"/>.</summary>
    /// <param name="record">The decision.</param>
    /// <param name="history">The store's serving history.</param>
    /// <param name="vector">Empty, or at least <see cref="FeatureNames"/>.Count elements.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, ServingHistory history, Span<float> vector)
    {
        ArgumentNullException.ThrowIfNull(history);
        return Run(record, null, history, vector);
    }

    /// <summary>Scores <paramref name="record"/> with lags from a history the caller keeps (e.g. a replay of the log). Does not allocate.</summary>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records; lags are missing (0) without it.</param>
    /// <param name="vector">Empty, or at least <see cref="FeatureNames"/>.Count elements for the input vector.</param>
    /// <returns>The score.</returns>
    public ModelScore Score(FeatureRecord record, FeatureHistory? history, Span<float> vector = default) => Run(record, history, null, vector);

    /// <inheritdoc />
    public void Dispose()
    {
        // Calls in flight hold their own reference: the session goes when the last of them returns.
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            _model.Release();
        }
    }

    private ModelScore Run(FeatureRecord record, FeatureHistory? history, ServingHistory? serving, Span<float> vector)
    {
        ArgumentNullException.ThrowIfNull(record);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0 || !_model.TryAcquire(), this);
        try
        {
            return _model.Score(record, history, serving, vector, hashInput: true);
        }
        finally
        {
            _model.Release();
        }
    }
}
