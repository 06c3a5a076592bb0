using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Training.Evaluation;
using Vince.FeatureStore.Training.Models;

namespace Vince.FeatureStore.Training.Metadata;

/// <summary>
/// <c>model_report.json</c>: the holdout curves of the binary models, from the holdout predictions and the calibration
/// the metadata's <c>holdout_auc</c> and <c>signal_quality_calibration</c> were computed from.
/// </summary>
internal static class ModelReportBuilder
{
    public static ModelSetReport Build(IEnumerable<BuiltModel> models)
    {
        var curves = new Dictionary<string, HoldoutCurves>(StringComparer.Ordinal);
        foreach (BuiltModel model in models)
        {
            TrainedModelReport report = model.Report;
            if (model.Rows.Model != Flattening.TrainingModel.SignalQuality || report.HoldoutPredictions.Count == 0)
            {
                continue; // only the binary model has a ROC curve and a calibration
            }

            bool[] labels = report.HoldoutPredictions.Select(h => h.Label > 0.5).ToArray();
            double[] raw = report.HoldoutPredictions.Select(h => (double)h.Onnx[0]).ToArray();
            List<ReliabilityBin> after = [];
            if (report.Calibration is { } calibration)
            {
                after = Bins(Statistics.Reliability(raw.Select(p => Statistics.ApplyPlatt(calibration, p)).ToList(), labels));
            }

            curves[model.Rows.Name] = new HoldoutCurves(
                report.HoldoutRows,
                report.HoldoutMetrics.TryGetValue("holdout_auc", out double auc) ? auc : null,
                Statistics.RocCurve(labels, raw).Select(p => new RocPoint(p.FalsePositiveRate, p.TruePositiveRate)).ToList(),
                report.Calibration is { } c ? new PlattParameters(c.Scale, c.Intercept) : null,
                Bins(Statistics.Reliability(raw, labels)),
                after);
        }

        return new ModelSetReport { Models = curves };
    }

    private static List<ReliabilityBin> Bins(List<(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate)> table)
        => table.Select(b => new ReliabilityBin(b.Lower, b.Upper, b.Count, b.MeanPredicted, b.ObservedRate)).ToList();
}
