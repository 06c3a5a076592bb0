using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Training.Data;
using Vince.FeatureStore.Training.Evaluation;
using Vince.FeatureStore.Training.Onnx;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Models;

/// <summary>A model ready to be written: the ONNX bytes, the fitted ML.NET model and what the metadata says about it.</summary>
internal sealed record BuiltModel(ModelRows Rows, FittedModel Fitted, byte[] Onnx, string OutputName, TrainedModelReport Report, string Method);

/// <summary>
/// Trains one of the four models on the older rows, evaluates it on the newest rows (the holdout, never trained on),
/// exports it to ONNX and checks ONNX Runtime against ML.NET on the holdout and the first training rows.
/// </summary>
internal sealed class ModelBuilder
{
    /// <summary>The largest difference between ML.NET and ONNX Runtime a run accepts (float accumulation differs by ~1e-7).</summary>
    public const double ParityTolerance = 1e-4;

    private const int TrainingRowsChecked = 256;

    private readonly DotnetTrainerOptions _options;
    private readonly FastTreeFitter _fitter;

    public ModelBuilder(DotnetTrainerOptions options, FastTreeFitter fitter)
    {
        _options = options;
        _fitter = fitter;
    }

    /// <summary>Builds the model, or returns the reason it cannot be trained on these rows.</summary>
    public (BuiltModel? Model, string? SkipReason) Build(ModelRows rows)
    {
        int split = rows.SplitIndex(_options.HoldoutFraction);
        var train = new Slice(rows, 0, split);
        var holdout = new Slice(rows, split, rows.Count);
        return rows.Model switch
        {
            TrainingModel.SignalQuality => SignalQuality(rows, train, holdout),
            TrainingModel.PositionSizing => PositionSizing(rows, train, holdout),
            TrainingModel.TpOptimizer => TakeProfit(rows, train, holdout),
            TrainingModel.SlOptimizer => StopLoss(rows, train, holdout),
            _ => throw new ArgumentOutOfRangeException(nameof(rows), rows.Model, "Unknown model."),
        };
    }

    private (BuiltModel?, string?) SignalQuality(ModelRows rows, Slice train, Slice holdout)
    {
        int positives = train.Labels.Count(l => l > 0.5);
        if (positives == 0 || positives == train.Count)
        {
            return (null, $"its {train.Count} training rows are all {(positives == 0 ? "unprofitable" : "profitable")}");
        }

        FittedModel fitted = _fitter.FitBinary(train.Features, train.Labels, rows.Columns.Count);
        byte[] onnx = OnnxModelWriter.BinaryClassifier(fitted.Ensembles[0], rows.Columns.Count, rows.Name);
        (List<HoldoutPrediction> predictions, double maxDifference) = Check(rows, fitted, onnx, OnnxModelWriter.ProbabilityOutput, train, holdout, onnxColumn: 1);

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        (double, double)? calibration = null;
        double? threshold = null;
        if (holdout.Count > 0)
        {
            bool[] labels = holdout.Labels.Select(l => l > 0.5).ToArray();
            double[] p = predictions.Select(h => (double)h.Onnx[0]).ToArray();
            double auc = Statistics.RocAuc(labels, p);
            if (double.IsFinite(auc))
            {
                metrics["holdout_auc"] = auc;
            }

            metrics["holdout_accuracy"] = labels.Zip(p).Count(x => x.First == (x.Second >= 0.5)) / (double)labels.Length;
            metrics["holdout_log_loss"] = Statistics.LogLoss(labels.Zip(p).Select(x => x.First ? x.Second : 1 - x.Second).ToList());
            metrics["holdout_positive_rate"] = labels.Count(l => l) / (double)labels.Length;

            // Like the script: Platt scaling needs at least 10 holdout rows with both outcomes.
            if (holdout.Count >= 10)
            {
                calibration = Statistics.FitPlatt(p, labels);
            }

            double[] calibrated = calibration is { } c ? p.Select(x => Statistics.ApplyPlatt(c, x)).ToArray() : p;
            threshold = Statistics.BestF1Threshold(calibrated, labels);
        }

        return (Built(rows, fitted, onnx, OnnxModelWriter.ProbabilityOutput, train, holdout, metrics, predictions, maxDifference, [0, 1],
            "FastTree binary classification; probability = FastTree's logistic map of the tree sum (ONNX: TreeEnsembleClassifier, LOGISTIC)",
            calibration: calibration, threshold: threshold), null);
    }

    private (BuiltModel?, string?) PositionSizing(ModelRows rows, Slice train, Slice holdout)
    {
        FittedModel fitted = _fitter.FitRegression(train.Features, train.Labels, rows.Columns.Count);
        byte[] onnx = OnnxModelWriter.Regressor(fitted.Ensembles[0], rows.Columns.Count, rows.Name);
        (List<HoldoutPrediction> predictions, double maxDifference) = Check(rows, fitted, onnx, OnnxModelWriter.RegressionOutput, train, holdout, onnxColumn: 0);
        var metrics = RegressionMetrics(train, holdout, predictions);
        return (Built(rows, fitted, onnx, OnnxModelWriter.RegressionOutput, train, holdout, metrics, predictions, maxDifference, [],
            "FastTree regression of label_rMultiple clipped to [-2, 3] (ONNX: TreeEnsembleRegressor)"), null);
    }

    private (BuiltModel?, string?) TakeProfit(ModelRows rows, Slice train, Slice holdout)
    {
        long[] classes = train.Labels.Select(l => (long)Math.Round(l)).Distinct().Order().ToArray();
        if (classes.Length < 2)
        {
            return (null, $"its {train.Count} training rows all have take-profit level {(classes.Length == 0 ? "none" : classes[0])}");
        }

        int[] classIndex = train.Labels.Select(l => Array.IndexOf(classes, (long)Math.Round(l))).ToArray();
        FittedModel fitted = _fitter.FitOneVersusAll(train.Features, classIndex, classes.Length, rows.Columns.Count);
        byte[] onnx = OnnxModelWriter.OneVersusAllClassifier(fitted.Ensembles, classes, rows.Columns.Count, rows.Name);
        (List<HoldoutPrediction> predictions, double maxDifference) = Check(rows, fitted, onnx, OnnxModelWriter.ProbabilityOutput, train, holdout, onnxColumn: -1);

        // The label output must name the most probable class (checked on the rows the probabilities were checked on).
        if (holdout.Count > 0)
        {
            List<long> labels = OnnxVerifier.RunLabels(onnx, holdout.Features, rows.Columns.Count);
            for (int i = 0; i < labels.Count; i++)
            {
                long expected = classes[ArgMax(predictions[i].Onnx)];
                if (labels[i] != expected)
                {
                    throw new ModelTrainingException($"The exported {rows.Name} model labels holdout row {holdout.Ids[i]} as {labels[i]} but its most probable class is {expected}.");
                }
            }
        }

        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (holdout.Count > 0)
        {
            int correct = 0;
            var trueClassProbabilities = new List<double>(holdout.Count);
            for (int i = 0; i < holdout.Count; i++)
            {
                long label = (long)Math.Round(holdout.Labels[i]);
                int index = Array.IndexOf(classes, label);
                correct += classes[ArgMax(predictions[i].Onnx)] == label ? 1 : 0;
                trueClassProbabilities.Add(index >= 0 ? predictions[i].Onnx[index] : 0);
            }

            metrics["holdout_accuracy"] = correct / (double)holdout.Count;
            metrics["holdout_log_loss"] = Statistics.LogLoss(trueClassProbabilities);
        }

        return (Built(rows, fitted, onnx, OnnxModelWriter.ProbabilityOutput, train, holdout, metrics, predictions, maxDifference, classes,
            "one-versus-all over the observed take-profit levels: one FastTree binary model per level, probabilities p_k = logistic(tree sum_k) " +
            "normalised to sum to 1, label = most probable level (ONNX: multi-target TreeEnsembleRegressor, Sigmoid, ReduceSum, Div, ArgMax, Gather)"), null);
    }

    private (BuiltModel?, string?) StopLoss(ModelRows rows, Slice train, Slice holdout)
    {
        // No quantile loss in FastTree: fit the conditional mean, then add the q-quantile of out-of-fold residuals
        // (three contiguous folds of the training rows, each predicted by a model fitted on the other two) to the base
        // value. In-sample residuals would understate the spread; the holdout stays untouched for the metrics.
        double offset = 0;
        var residuals = new List<double>(train.Count);
        const int Folds = 3;
        if (train.Count >= Folds * 2)
        {
            for (int fold = 0; fold < Folds; fold++)
            {
                int start = fold * train.Count / Folds;
                int end = (fold + 1) * train.Count / Folds;
                var fitRows = new List<float[]>();
                var fitLabels = new List<double>();
                for (int i = 0; i < train.Count; i++)
                {
                    if (i < start || i >= end)
                    {
                        fitRows.Add(train.Features[i]);
                        fitLabels.Add(train.Labels[i]);
                    }
                }

                FittedModel foldModel = _fitter.FitRegression(fitRows, fitLabels, rows.Columns.Count);
                List<float[]> foldPredictions = foldModel.Predict(train.Features.Skip(start).Take(end - start).ToList());
                for (int i = start; i < end; i++)
                {
                    residuals.Add(train.Labels[i] - foldPredictions[i - start][0]);
                }
            }

            offset = Statistics.Quantile(residuals, _options.StopLossQuantile);
        }

        FittedModel fitted = _fitter.FitRegression(train.Features, train.Labels, rows.Columns.Count, offset);
        byte[] onnx = OnnxModelWriter.Regressor(fitted.Ensembles[0], rows.Columns.Count, rows.Name);
        (List<HoldoutPrediction> predictions, double maxDifference) = Check(rows, fitted, onnx, OnnxModelWriter.RegressionOutput, train, holdout, onnxColumn: 0);
        var metrics = RegressionMetrics(train, holdout, predictions);
        if (holdout.Count > 0)
        {
            double[] predicted = predictions.Select(p => (double)p.Onnx[0]).ToArray();
            metrics["holdout_quantile_loss"] = Statistics.PinballLoss(holdout.Labels, predicted, _options.StopLossQuantile);
            metrics["holdout_coverage"] = holdout.Labels.Zip(predicted).Count(x => x.First <= x.Second) / (double)holdout.Count;
        }

        string q = _options.StopLossQuantile.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture);
        return (Built(rows, fitted, onnx, OnnxModelWriter.RegressionOutput, train, holdout, metrics, predictions, maxDifference, [],
            $"{q} quantile of label_maxAdverseExcursion clipped to [0, 5], approximated: FastTree regression of the label (squared error) plus the {q} " +
            "quantile of its out-of-fold residuals (3 contiguous folds of the training rows) added to the ONNX base value",
            quantileOffset: offset), null);
    }

    private static Dictionary<string, double> RegressionMetrics(Slice train, Slice holdout, List<HoldoutPrediction> predictions)
    {
        var metrics = new Dictionary<string, double>(StringComparer.Ordinal);
        if (holdout.Count > 0)
        {
            double[] predicted = predictions.Select(p => (double)p.Onnx[0]).ToArray();
            metrics["holdout_mae"] = Statistics.MeanAbsoluteError(holdout.Labels, predicted);

            // What predicting the training mean would score: a model should beat it.
            double mean = train.Labels.Average();
            metrics["holdout_baseline_mae"] = Statistics.MeanAbsoluteError(holdout.Labels, holdout.Labels.Select(_ => mean).ToArray());
        }

        return metrics;
    }

    /// <summary>
    /// Runs ML.NET and ONNX Runtime on the holdout and the first training rows and fails the run when they disagree
    /// by more than <see cref="ParityTolerance"/>: a model that does not compute what was trained is never written.
    /// </summary>
    private static (List<HoldoutPrediction> Holdout, double MaxDifference) Check(ModelRows rows, FittedModel fitted, byte[] onnx, string output, Slice train, Slice holdout, int onnxColumn)
    {
        var checkedRows = holdout.Features.Concat(train.Features.Take(TrainingRowsChecked)).ToList();
        List<float[]> mlNet = fitted.Predict(checkedRows);
        List<float[]> runtime = OnnxVerifier.Run(onnx, checkedRows, rows.Columns.Count, output);
        double maxDifference = 0;
        var holdoutPredictions = new List<HoldoutPrediction>(holdout.Count);
        for (int i = 0; i < checkedRows.Count; i++)
        {
            float[] fromOnnx = onnxColumn >= 0 ? [runtime[i][onnxColumn]] : runtime[i];
            if (fromOnnx.Length != mlNet[i].Length)
            {
                throw new ModelTrainingException($"The exported {rows.Name} model returns {fromOnnx.Length} value(s) per row; ML.NET returns {mlNet[i].Length}.");
            }

            for (int k = 0; k < fromOnnx.Length; k++)
            {
                maxDifference = Math.Max(maxDifference, Math.Abs(fromOnnx[k] - mlNet[i][k]));
            }

            if (i < holdout.Count)
            {
                holdoutPredictions.Add(new HoldoutPrediction(holdout.Ids[i], holdout.Labels[i], mlNet[i], fromOnnx));
            }
        }

        if (!(maxDifference <= ParityTolerance))
        {
            throw new ModelTrainingException($"The exported {rows.Name} model disagrees with ML.NET by up to {maxDifference:G3} (limit {ParityTolerance:G1}); it was not written.");
        }

        return (holdoutPredictions, maxDifference);
    }

    private static BuiltModel Built(
        ModelRows rows, FittedModel fitted, byte[] onnx, string output, Slice train, Slice holdout, Dictionary<string, double> metrics,
        List<HoldoutPrediction> predictions, double maxDifference, IReadOnlyList<long> classes, string method,
        (double, double)? calibration = null, double? threshold = null, double? quantileOffset = null)
    {
        var importances = new Dictionary<string, double>(StringComparer.Ordinal);
        for (int i = 0; i < rows.Columns.Count; i++)
        {
            importances[rows.Columns[i]] = fitted.Importances[i];
        }

        var report = new TrainedModelReport
        {
            Model = rows.Model,
            FeatureNames = rows.Columns,
            TrainingRows = train.Count,
            HoldoutRows = holdout.Count,
            OnnxFile = rows.Name + ".onnx",
            OnnxSha256 = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(onnx)).ToLowerInvariant(),
            HoldoutMetrics = metrics,
            FeatureImportances = importances,
            ClassLabels = classes,
            MaxOnnxDifference = maxDifference,
            HoldoutPredictions = predictions,
            Calibration = calibration,
            SuggestedThreshold = threshold,
            QuantileOffset = quantileOffset,
        };
        return new BuiltModel(rows, fitted, onnx, output, report, method);
    }

    private static int ArgMax(IReadOnlyList<float> values)
    {
        int best = 0;
        for (int i = 1; i < values.Count; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }

    /// <summary>A contiguous range of a model's rows.</summary>
    private sealed class Slice
    {
        public Slice(ModelRows rows, int start, int end)
        {
            Ids = rows.Ids.GetRange(start, end - start);
            Features = rows.Features.GetRange(start, end - start);
            Labels = rows.Labels.GetRange(start, end - start);
        }

        public List<string> Ids { get; }

        public List<float[]> Features { get; }

        public List<double> Labels { get; }

        public int Count => Ids.Count;
    }
}
