using Vince.FeatureStore.Flattening;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training;

/// <summary>What one run of <see cref="DotnetModelTrainer"/> did, in more detail than <see cref="ModelTrainingResult"/>.</summary>
public sealed class DotnetTrainingReport
{
    /// <summary>The directory the model set was written to.</summary>
    public required string OutputDirectory { get; init; }

    /// <summary>Records read (latest version of each id).</summary>
    public required int TotalRecords { get; init; }

    /// <summary>Complete trades (records with <c>label_profitable</c>).</summary>
    public required int TradesWithOutcomes { get; init; }

    /// <summary>The minimum number of complete trades the run required.</summary>
    public required int MinSamples { get; init; }

    /// <summary>
    /// <see langword="true"/> when there were fewer than <see cref="MinSamples"/> complete trades: only the minimal
    /// metadata (empty model lists) and the report were written.
    /// </summary>
    public bool BelowMinSamples => TradesWithOutcomes < MinSamples;

    /// <summary>The models trained and exported, in pipeline order.</summary>
    public required IReadOnlyList<TrainedModelReport> Models { get; init; }

    /// <summary>Models not trained and why (e.g. fewer rows than the minimum, one class only).</summary>
    public required IReadOnlyDictionary<string, string> SkippedModels { get; init; }

    /// <summary>The files written, names relative to <see cref="OutputDirectory"/>.</summary>
    public required IReadOnlyList<string> Files { get; init; }

    /// <summary>The run's log lines.</summary>
    public required string Log { get; init; }

    /// <summary>Wall-clock time of the run.</summary>
    public required TimeSpan Duration { get; init; }
}

/// <summary>One trained and exported model.</summary>
public sealed class TrainedModelReport
{
    /// <summary>The model.</summary>
    public required TrainingModel Model { get; init; }

    /// <summary>The pipeline's name, e.g. <c>signal_quality</c>.</summary>
    public string Name => TrainingModels.Name(Model);

    /// <summary>The model's input columns, in input order (raw values: no scaling).</summary>
    public required IReadOnlyList<string> FeatureNames { get; init; }

    /// <summary>Rows the model was fitted on (the older part of its rows).</summary>
    public required int TrainingRows { get; init; }

    /// <summary>Rows held out (the newest part), never trained on.</summary>
    public required int HoldoutRows { get; init; }

    /// <summary>The ONNX file, relative to the output directory (e.g. <c>signal_quality.onnx</c>).</summary>
    public required string OnnxFile { get; init; }

    /// <summary>SHA-256 of the ONNX file, lower-case hex (as in <c>onnx_hashes</c>).</summary>
    public required string OnnxSha256 { get; init; }

    /// <summary>The holdout metrics written to <c>holdout_metrics</c> (e.g. <c>holdout_auc</c>), computed on the exported model's outputs.</summary>
    public required IReadOnlyDictionary<string, double> HoldoutMetrics { get; init; }

    /// <summary>Split-gain importance of each feature, summing to 1.</summary>
    public required IReadOnlyDictionary<string, double> FeatureImportances { get; init; }

    /// <summary>The class labels of a classifier, in the column order of its <c>probabilities</c> output; empty for a regressor.</summary>
    public required IReadOnlyList<long> ClassLabels { get; init; }

    /// <summary>
    /// The largest absolute difference between ML.NET's prediction and ONNX Runtime's on the exported file, over the
    /// rows the trainer checked (the holdout and the first training rows). The run fails above 1e-4.
    /// </summary>
    public required double MaxOnnxDifference { get; init; }

    /// <summary>Platt calibration fitted on the holdout (signal quality only), or <see langword="null"/>.</summary>
    public (double Scale, double Intercept)? Calibration { get; init; }

    /// <summary>The suggested probability threshold (signal quality only), or <see langword="null"/>.</summary>
    public double? SuggestedThreshold { get; init; }

    /// <summary>The constant added to the stop-loss regression to reach its quantile (sl_optimizer only), or <see langword="null"/>.</summary>
    public double? QuantileOffset { get; init; }

    /// <summary>Every holdout row with ML.NET's and ONNX Runtime's predictions.</summary>
    public required IReadOnlyList<HoldoutPrediction> HoldoutPredictions { get; init; }
}

/// <summary>
/// One holdout row: its label and the model's output computed by ML.NET and by ONNX Runtime on the exported file. The
/// outputs are [P(1)] for signal quality, class probabilities for the take-profit model, [value] for the regressors.
/// </summary>
/// <param name="Id">The record id.</param>
/// <param name="Label">The model's label for the record (clipped as trained).</param>
/// <param name="MlNet">ML.NET's output.</param>
/// <param name="Onnx">ONNX Runtime's output on the exported file.</param>
public sealed record HoldoutPrediction(string Id, double Label, IReadOnlyList<float> MlNet, IReadOnlyList<float> Onnx);
