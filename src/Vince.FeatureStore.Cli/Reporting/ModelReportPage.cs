using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Reporting;

/// <summary>What the model report shows: the files of the set and, when records were read, their drift.</summary>
internal sealed record ModelReportInput(
    string ModelsDirectory, TrainingMetadata Metadata, ModelSetReport? Curves, FeatureBins? Bins, FeatureDriftReport? Drift, DateTimeOffset GeneratedAt);

/// <summary>
/// The model report: one self-contained HTML page (inline CSS and SVG, no script, font or image file) with a section
/// per trained model and one for the take-profit levels. Every number comes from the model set's files, written by the
/// trainer's own code, or from the drift analysis; what a set does not store is said, never made up.
/// </summary>
internal static class ModelReportPage
{
    private const string Blue = "#2f6fb0";
    private const string Orange = "#e07b22";
    private const string Green = "#3a9a5b";
    private const int DistributionColumnsPerModel = 40;

    public static string Render(ModelReportInput input)
    {
        var html = new StringBuilder();
        TrainingMetadata meta = input.Metadata;
        IReadOnlyList<string> models = meta.ModelsTrained is { Count: > 0 } trained ? trained : meta.ImprovementReport?.FeatureImportances?.Keys.ToList() ?? [];
        html.Append("<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Model report</title><style>")
            .Append("body{font-family:sans-serif;margin:24px;color:#222;max-width:1200px}h1{margin:0 0 4px}section{border-top:2px solid #ddd;margin-top:24px;padding-top:8px}")
            .Append("table{border-collapse:collapse;margin:8px 0}td,th{border:1px solid #ccc;padding:3px 8px;text-align:right}th{background:#f3f3f3}td:first-child,th:first-child{text-align:left}")
            .Append(".charts{display:flex;flex-wrap:wrap;gap:16px}.dist{display:inline-block;margin:4px;font-size:12px}.dist b{display:block}.alarm{color:#b00020;font-weight:bold}.note{color:#555;font-style:italic}")
            .Append("svg .t{font-size:10px;fill:#444}svg .l{font-size:11px;fill:#222}</style></head><body>");
        // The set's folder name, not its path: the page is meant to be shared.
        html.Append("<h1>Model report</h1><p>Model set <b>").Append(Encode(Path.GetFileName(Path.TrimEndingDirectorySeparator(input.ModelsDirectory)))).Append("</b> · trained ").Append(Encode(meta.TrainedAt ?? "(unknown)"))
            .Append(Invariant($" · {meta.TotalRecords ?? 0} records, {meta.TradesWithOutcomes ?? 0} complete trades · generated {input.GeneratedAt:yyyy-MM-dd HH:mm:ss}Z</p>"));
        html.Append("<p>").Append(Encode(RecentSummary(input))).Append("</p>");
        if (models.Count == 0)
        {
            html.Append("<p class=\"note\">The model set lists no trained model (too few complete trades at training time): there is nothing to chart.</p>");
        }

        foreach (string model in models)
        {
            ModelSection(html, input, model);
        }

        TpSection(html, meta);
        html.Append("</body></html>\n");
        return html.ToString();
    }

    private static string RecentSummary(ModelReportInput input)
    {
        if (input.Bins is null)
        {
            return $"No {FeatureBins.FileName} in the model set (a set trained by the Python script has none): the training distributions and their drift cannot be shown.";
        }

        if (input.Drift is not { } drift)
        {
            return "No recent records were read (no data directory): the input columns show the training distribution only.";
        }

        string range = drift.FirstTimestamp is { } first && drift.LastTimestamp is { } last
            ? $" ({Format.Time(first)} .. {Format.Time(last)})"
            : "";
        return $"Recent records: {drift.RecentRecords}{range}. {drift.Describe()}";
    }

    private static void ModelSection(StringBuilder html, ModelReportInput input, string model)
    {
        html.Append("<section class=\"model\" id=\"model-").Append(Encode(model)).Append("\"><h2>").Append(Encode(model)).Append("</h2>");
        if (HoldoutMetrics(input.Metadata, model) is { Count: > 0 } metrics)
        {
            html.Append("<table><tr><th>holdout metric</th><th>value</th></tr>");
            foreach ((string name, double value) in metrics)
            {
                html.Append("<tr><td>").Append(Encode(name)).Append("</td><td>").Append(Invariant($"{value:0.0000}")).Append("</td></tr>");
            }

            html.Append("</table>");
        }

        html.Append("<div class=\"charts\">");
        if (input.Curves?.Models.GetValueOrDefault(model) is { } curves)
        {
            string auc = curves.Auc is { } a ? Invariant($"AUC {a:0.000}") : "AUC undefined (one class in the holdout)";
            html.Append("<figure>").Append(SvgChart.UnitSquare($"{model} holdout ROC", "false positive rate", "true positive rate",
                [new ChartSeries(auc, Blue, curves.Roc.Select(p => (p.FalsePositiveRate, p.TruePositiveRate)).ToList())], markers: false))
                .Append(Invariant($"<figcaption>Holdout ROC ({curves.HoldoutRows} rows), {auc}</figcaption></figure>"));
            var series = new List<ChartSeries> { new("before Platt", Orange, curves.BeforeCalibration.Select(b => (b.MeanPredicted, b.ObservedRate)).ToList()) };
            if (curves.AfterCalibration.Count > 0)
            {
                series.Add(new ChartSeries("after Platt", Green, curves.AfterCalibration.Select(b => (b.MeanPredicted, b.ObservedRate)).ToList()));
            }

            string platt = curves.Platt is { } p ? Invariant($"Platt scale {p.Scale:0.0000}, intercept {p.Intercept:0.0000}") : "no Platt calibration (fewer than 10 holdout rows or one class)";
            html.Append("<figure>").Append(SvgChart.UnitSquare($"{model} calibration", "mean predicted probability", "observed win rate", series, markers: true))
                .Append("<figcaption>Reliability per probability decile: ").Append(Encode(platt)).Append("</figcaption></figure>");
        }
        else
        {
            html.Append("<p class=\"note\">").Append(Encode(input.Curves is null
                ? $"No {ModelSetReport.FileName} in the model set (a set trained by the Python script has none): the holdout predictions were not stored, so no ROC curve or calibration plot is drawn."
                : "Not a binary classifier: no ROC curve or calibration plot.")).Append("</p>");
        }

        if (input.Metadata.ImprovementReport?.FeatureImportances?.GetValueOrDefault(model) is { Count: > 0 } importances)
        {
            var bars = importances.OrderByDescending(p => p.Value).Take(20).Select(p => (p.Key, p.Value)).ToList();
            html.Append("<figure>").Append(SvgChart.HorizontalBars($"{model} feature importance", bars, Blue))
                .Append(Invariant($"<figcaption>Feature importance (top {bars.Count} of {importances.Count})</figcaption></figure>"));
        }

        html.Append("</div>");
        Distributions(html, input, model);
        html.Append("</section>");
    }

    private static void Distributions(StringBuilder html, ModelReportInput input, string model)
    {
        if (input.Bins is not { } bins || input.Metadata.ImprovementReport?.FeatureImportances?.GetValueOrDefault(model) is not { } importances)
        {
            return;
        }

        var byName = bins.Columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var drift = input.Drift?.Columns.ToDictionary(c => c.Name, StringComparer.Ordinal);
        var columns = importances.Keys.Where(byName.ContainsKey).Take(DistributionColumnsPerModel).ToList();
        html.Append("<h3>Input columns: training distribution").Append(drift is null ? "" : " against the recent records")
            .Append(Invariant($" <span style=\"color:{Blue}\">■ training</span>"))
            .Append(drift is null ? "" : Invariant($" <span style=\"color:{Orange}\">■ recent</span>")).Append("</h3><div>");
        foreach (string column in columns)
        {
            ColumnBins training = byName[column];
            ColumnDrift? recent = drift?.GetValueOrDefault(column);
            var series = new List<(string, string, IReadOnlyList<double>)> { ("training", Blue, training.Proportions) };
            if (recent is not null)
            {
                series.Add(("recent", Orange, recent.RecentProportions));
            }

            double max = Math.Max(0.05, series.Max(s => s.Item3.Max()));
            string[] labels = training.Edges.Count == 0
                ? ["all"]
                : Enumerable.Range(0, training.Proportions.Count)
                    .Select(i => i < training.Edges.Count ? Invariant($"≤{training.Edges[i]:0.##}") : Invariant($">{training.Edges[^1]:0.##}"))
                    .ToArray();
            string caption = recent is null ? "" : Invariant($" PSI {recent.Psi:0.000}") + (recent.IsAlarm ? $" · {recent.StatusName.Replace('_', ' ')}" : "");
            html.Append("<div class=\"dist\"><b").Append(recent?.IsAlarm == true ? " class=\"alarm\"" : "").Append('>').Append(Encode(column)).Append(Encode(caption)).Append("</b>")
                .Append(SvgChart.GroupedBars($"{column} distribution", labels, series, max, "share", width: 280, height: 150, legend: false)).Append("</div>");
        }

        html.Append("</div>");
    }

    private static void TpSection(StringBuilder html, TrainingMetadata meta)
    {
        if (meta.ImprovementReport?.TpLevelPerformance is not { Count: > 0 } levels)
        {
            return;
        }

        var ordered = levels.OrderBy(l => double.TryParse(l.Key, NumberStyles.Float, CultureInfo.InvariantCulture, out double n) ? n : double.MaxValue).ToList();
        html.Append("<section class=\"tp\" id=\"tp-levels\"><h2>Take-profit level performance</h2><table><tr><th>TP level</th><th>win rate</th><th>trades</th></tr>");
        foreach ((string level, TpLevelPerformance performance) in ordered)
        {
            html.Append("<tr><td>").Append(Encode(level)).Append("</td><td>")
                .Append(performance.WinRate is { } w ? Invariant($"{w:P1}") : "–").Append("</td><td>")
                .Append(performance.Count?.ToString(CultureInfo.InvariantCulture) ?? "–").Append("</td></tr>");
        }

        html.Append("</table>").Append(SvgChart.GroupedBars("win rate per take-profit level", ordered.Select(l => "TP " + l.Key).ToList(),
            [("win rate", Green, ordered.Select(l => l.Value.WinRate ?? 0).ToList())], 1, "win rate", width: 420, height: 200)).Append("</section>");
    }

    /// <summary><c>improvement_report.holdout_metrics[model]</c> as the trainer wrote it (numbers only).</summary>
    private static List<(string Name, double Value)> HoldoutMetrics(TrainingMetadata meta, string model)
    {
        if (meta.ImprovementReport?.HoldoutMetrics is not { ValueKind: JsonValueKind.Object } all
            || !all.TryGetProperty(model, out JsonElement metrics) || metrics.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        return metrics.EnumerateObject().Where(p => p.Value.ValueKind == JsonValueKind.Number).Select(p => (p.Name, p.Value.GetDouble())).ToList();
    }

    private static string Encode(string text) => WebUtility.HtmlEncode(text);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
