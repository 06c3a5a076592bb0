using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Training.Models;

namespace Vince.FeatureStore.Training.Metadata;

/// <summary>What <c>training_metadata.json</c> records about the run itself.</summary>
internal sealed record RunInfo(DateTime TrainedAtLocal, string DataFile, int TotalRecords, int TradesWithOutcomes, DotnetTrainerOptions Options);

/// <summary>
/// Writes <c>training_metadata.json</c> with every key of the Python script (FORMATS.md §7) plus, per model, its input
/// columns, their scaling (none: the models take raw values) and how it was trained; <c>&lt;name&gt;_features.json</c>;
/// and <c>improvement_report.md</c>.
/// </summary>
internal static class MetadataWriter
{
    public const string MetadataFile = "training_metadata.json";
    public const string ReportFile = "improvement_report.md";

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Metadata(RunInfo run, ImprovementReport report)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("trained_at", run.TrainedAtLocal.ToString("yyyy-MM-dd'T'HH:mm:ss.ffffff", CultureInfo.InvariantCulture));
            json.WriteString("data_file", run.DataFile);
            json.WriteNumber("total_records", run.TotalRecords);
            json.WriteNumber("trades_with_outcomes", run.TradesWithOutcomes);
            StringArray(json, "models_trained", report.Models.Select(m => m.Rows.Name));
            StringArray(json, "models_fit", report.Models.Select(m => m.Rows.Name));
            if (report.DataSummary is null)
            {
                json.WriteStartObject("onnx_hashes");
                foreach (BuiltModel model in report.Models)
                {
                    json.WriteString(model.Rows.Name, model.Report.OnnxSha256);
                }

                json.WriteEndObject();
            }

            json.WritePropertyName("improvement_report");
            WriteReport(json, report);
            if (report.SignalQuality is { } quality)
            {
                json.WriteNumber("signal_quality_input_dim", quality.Rows.Columns.Count);
                StringArray(json, "signal_quality_feature_names", quality.Rows.Columns);
            }

            json.WriteStartObject("model_inputs");
            foreach (BuiltModel model in report.Models)
            {
                WriteModelInput(json, model);
            }

            json.WriteEndObject();
            WriteTrainer(json, run.Options, report);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary><c>&lt;name&gt;_features.json</c>: <c>{model, features, n_features}</c>, as the script writes it.</summary>
    public static byte[] Features(BuiltModel model)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("model", model.Rows.Name);
            StringArray(json, "features", model.Rows.Columns);
            json.WriteNumber("n_features", model.Rows.Columns.Count);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static void WriteModelInput(Utf8JsonWriter json, BuiltModel model)
    {
        TrainedModelReport report = model.Report;
        json.WriteStartObject(model.Rows.Name);
        StringArray(json, "features", model.Rows.Columns);
        json.WriteNumber("n_features", model.Rows.Columns.Count);
        json.WriteString("scaling", "none");
        json.WriteString("scaling_note", "raw values: booleans 1/0, missing 0, exactly as the flattener fills them; no standardisation");
        json.WriteString("label", TrainingModels.LabelColumn(model.Rows.Model));
        json.WriteString("label_transform", model.Rows.Model switch
        {
            TrainingModel.PositionSizing => "clip(-2, 3)",
            TrainingModel.SlOptimizer => "clip(0, 5)",
            TrainingModel.SignalQuality => "1 when profitable else 0",
            _ => "integer level",
        });
        json.WriteString("onnx_file", report.OnnxFile);
        json.WriteString("onnx_input", "input");
        json.WriteStartObject("onnx_outputs");
        if (model.Rows.Model is TrainingModel.SignalQuality or TrainingModel.TpOptimizer)
        {
            json.WriteString("output", "int64 [N]: predicted class label");
            json.WriteString("probabilities", string.Create(CultureInfo.InvariantCulture, $"float [N, {report.ClassLabels.Count}]: probability per class, columns in class_labels order"));
        }
        else
        {
            json.WriteString("output", "float [N, 1]: prediction");
        }

        json.WriteEndObject();
        if (report.ClassLabels.Count > 0)
        {
            json.WriteStartArray("class_labels");
            foreach (long label in report.ClassLabels)
            {
                json.WriteNumberValue(label);
            }

            json.WriteEndArray();
        }

        if (report.QuantileOffset is { } offset)
        {
            Number(json, "quantile_offset", offset);
        }

        json.WriteNumber("training_rows", report.TrainingRows);
        json.WriteNumber("holdout_rows", report.HoldoutRows);
        Number(json, "onnx_max_abs_difference_vs_mlnet", report.MaxOnnxDifference);
        json.WriteString("method", model.Method);
        json.WriteEndObject();
    }

    private static void WriteTrainer(Utf8JsonWriter json, DotnetTrainerOptions options, ImprovementReport report)
    {
        json.WriteStartObject("trainer");
        json.WriteString("name", "dotnet");
        string? version = typeof(Microsoft.ML.Trainers.FastTree.FastTreeBinaryTrainer).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        json.WriteString("library", "Microsoft.ML.FastTree " + version?.Split('+')[0]);
        json.WriteNumber("number_of_trees", options.NumberOfTrees);
        json.WriteNumber("number_of_leaves", options.NumberOfLeaves);
        json.WriteNumber("minimum_example_count_per_leaf", options.MinimumExampleCountPerLeaf);
        Number(json, "learning_rate", options.LearningRate);
        Number(json, "holdout_fraction", options.HoldoutFraction);
        Number(json, "stop_loss_quantile", options.StopLossQuantile);
        json.WriteNumber("seed", options.Seed);
        json.WriteString("holdout", "the newest rows of each model in decision-time order; the exported model is fitted on the older rows only");
        if (report.SkippedModels.Count > 0)
        {
            json.WriteStartObject("skipped_models");
            foreach ((string model, string reason) in report.SkippedModels)
            {
                json.WriteString(model, reason);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();
    }

    private static void WriteReport(Utf8JsonWriter json, ImprovementReport report)
    {
        json.WriteStartObject();
        if (report.DataSummary is { } summary)
        {
            json.WriteStartObject("data_summary");
            foreach ((string key, int value) in summary)
            {
                json.WriteNumber(key, value);
            }

            json.WriteEndObject();
            WriteFactors(json, report);
            StringArray(json, "action_items", report.ActionItems);
            json.WriteEndObject();
            return;
        }

        if (report.Models.Count == 0)
        {
            // The script writes an empty report when no model could be fitted.
            json.WriteEndObject();
            return;
        }

        json.WriteStartObject("feature_importances");
        foreach (BuiltModel model in report.Models)
        {
            TrainedModelReport r = model.Report;
            json.WriteStartObject(model.Rows.Name);
            json.WriteStartObject("feature_importances");
            foreach (string column in model.Rows.Columns)
            {
                Number(json, column, r.FeatureImportances[column]);
            }

            json.WriteEndObject();
            StringArray(json, "feature_names", model.Rows.Columns);
            json.WriteBoolean("onnx_exported", true);
            json.WriteString("onnx_sha256", r.OnnxSha256);
            json.WritePropertyName("holdout_metrics");
            Metrics(json, r.HoldoutMetrics);
            if (r.SuggestedThreshold is { } threshold)
            {
                Number(json, "suggested_threshold", threshold);
            }

            if (r.Calibration is { } calibration)
            {
                Calibration(json, "signal_quality_calibration", calibration);
            }

            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartObject("tp_level_performance");
        foreach ((long level, double winRate, int count) in report.TpLevels)
        {
            json.WriteStartObject(level.ToString(CultureInfo.InvariantCulture));
            Number(json, "win_rate", winRate);
            json.WriteNumber("count", count);
            json.WriteEndObject();
        }

        json.WriteEndObject();

        json.WriteStartObject("decision_drivers_by_direction");
        foreach ((string direction, Data.DirectionDrivers drivers) in report.DecisionDrivers)
        {
            json.WriteStartObject(direction);
            StringArray(json, "sample_drivers", drivers.Top(8));
            json.WriteNumber("trade_count", drivers.TradeCount);
            json.WriteNumber("total_factor_mentions", drivers.Mentions);
            json.WriteEndObject();
        }

        json.WriteEndObject();
        WriteFactors(json, report);
        StringArray(json, "action_items", report.ActionItems);

        var withMetrics = report.Models.Where(m => m.Report.HoldoutMetrics.Count > 0).ToList();
        if (withMetrics.Count > 0)
        {
            json.WriteStartObject("holdout_metrics");
            foreach (BuiltModel model in withMetrics)
            {
                json.WritePropertyName(model.Rows.Name);
                Metrics(json, model.Report.HoldoutMetrics);
            }

            json.WriteEndObject();
        }

        if (report.SuggestedTuning is { } tuning)
        {
            json.WriteStartObject("suggested_tuning");
            json.WriteNumber("min_strength", tuning.MinStrength);
            json.WriteNumber("min_confidence", tuning.MinConfidence);
            json.WriteEndObject();
        }

        if (report.Wtt is { } wtt)
        {
            json.WriteStartObject("wtt_performance");
            json.WriteNumber("wtt_trades", wtt.WttTrades);
            Number(json, "wtt_win_rate", wtt.WttWinRate);
            Number(json, "non_wtt_win_rate", wtt.NonWttWinRate);
            Number(json, "delta", wtt.Delta);
            foreach ((string name, double value) in wtt.Correlations)
            {
                Number(json, name, value);
            }

            json.WriteEndObject();
        }

        if (report.SignalQuality?.Report is { } quality)
        {
            if (quality.SuggestedThreshold is { } threshold)
            {
                Number(json, "suggested_signal_quality_threshold", threshold);
            }

            if (quality.Calibration is { } calibration)
            {
                Calibration(json, "signal_quality_calibration", calibration);
            }
        }

        json.WriteEndObject();
    }

    private static void WriteFactors(Utf8JsonWriter json, ImprovementReport report)
    {
        json.WriteStartArray("suggested_signal_factors");
        foreach (Data.SuggestedFactor factor in report.SuggestedFactors)
        {
            json.WriteStartObject();
            json.WriteString("name", factor.Name);
            json.WriteString("reason", factor.Reason);
            json.WriteString("description", factor.Description);
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }

    private static void Metrics(Utf8JsonWriter json, IReadOnlyDictionary<string, double> metrics)
    {
        json.WriteStartObject();
        foreach ((string name, double value) in metrics)
        {
            Number(json, name, value);
        }

        json.WriteEndObject();
    }

    private static void Calibration(Utf8JsonWriter json, string name, (double Scale, double Intercept) calibration)
    {
        json.WriteStartObject(name);
        Number(json, "scale", calibration.Scale);
        Number(json, "intercept", calibration.Intercept);
        json.WriteEndObject();
    }

    /// <summary>A number, or null when it is not finite (JSON has no NaN; the script would write a bare NaN).</summary>
    private static void Number(Utf8JsonWriter json, string name, double value)
    {
        if (double.IsFinite(value))
        {
            json.WriteNumber(name, value);
        }
        else
        {
            json.WriteNull(name);
        }
    }

    private static void StringArray(Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    /// <summary><c>improvement_report.md</c>: the report for people, in the script's sections.</summary>
    public static string Markdown(RunInfo run, ImprovementReport report)
    {
        var md = new StringBuilder();
        void Line(string text = "") => md.Append(text).Append('\n');
        Line("# Parameter Improvement Report");
        Line();
        Line("Use this report to see which parameters and weights to improve.");
        Line();
        Line(string.Create(CultureInfo.InvariantCulture, $"Trained by the .NET trainer (ML.NET FastTree) at {run.TrainedAtLocal:yyyy-MM-dd HH:mm:ss} from `{run.DataFile}`: {run.TotalRecords} records, {run.TradesWithOutcomes} complete trades."));
        Line();
        if (report.DataSummary is { } summary)
        {
            Line("## Data summary");
            Line();
            foreach ((string key, int value) in summary)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"- {key}: {value}"));
            }

            Line();
        }

        if (report.DecisionDrivers.Count > 0)
        {
            Line("## Decision drivers that influenced opens (long / short)");
            Line();
            foreach ((string direction, Data.DirectionDrivers drivers) in report.DecisionDrivers)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"### {direction.ToUpperInvariant()} opens (n={drivers.TradeCount} trades)"));
                foreach (string driver in drivers.Top(8))
                {
                    Line($"- {driver}");
                }

                Line();
            }
        }

        if (report.SignalQuality?.Report.SuggestedThreshold is { } threshold)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"- **Suggested signal quality threshold:** `{threshold:0.00}`"));
            Line();
        }

        if (report.Models.Count > 0)
        {
            Line("## Models");
            Line();
            foreach (BuiltModel model in report.Models)
            {
                TrainedModelReport r = model.Report;
                Line(string.Create(CultureInfo.InvariantCulture, $"- **{model.Rows.Name}**: {r.TrainingRows} training rows, {r.HoldoutRows} holdout rows, {model.Rows.Columns.Count} raw features (no scaling). {model.Method}."));
            }

            Line();
            Line("## Feature importances (top features per model)");
            Line();
            foreach (BuiltModel model in report.Models)
            {
                Line($"### {model.Rows.Name}");
                foreach ((string feature, double value) in model.Report.FeatureImportances.OrderByDescending(p => p.Value).Take(8))
                {
                    Line(string.Create(CultureInfo.InvariantCulture, $"- `{feature}`: {value:0.0000}"));
                }

                Line();
            }
        }

        if (report.TpLevels.Count > 0)
        {
            Line("## TP level performance (win rate, count)");
            Line();
            foreach ((long level, double winRate, int count) in report.TpLevels)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"- TP level {level}: win_rate={winRate:P2}, count={count}"));
            }

            Line();
        }

        var withMetrics = report.Models.Where(m => m.Report.HoldoutMetrics.Count > 0).ToList();
        if (withMetrics.Count > 0)
        {
            Line("## Holdout metrics (newest rows, never trained on)");
            Line();
            foreach (BuiltModel model in withMetrics)
            {
                Line($"- **{model.Rows.Name}**: " + string.Join(", ", model.Report.HoldoutMetrics.Select(m => string.Create(CultureInfo.InvariantCulture, $"{m.Key}={m.Value:0.0000}"))));
            }

            Line();
        }

        if (report.SignalQuality?.Report.Calibration is { } calibration)
        {
            Line(string.Create(CultureInfo.InvariantCulture, $"Platt calibration of the signal-quality probability (fitted on the holdout): scale {calibration.Scale:0.0000}, intercept {calibration.Intercept:0.0000}."));
            Line();
        }

        if (report.SkippedModels.Count > 0)
        {
            Line("## Models not trained");
            Line();
            foreach ((string model, string reason) in report.SkippedModels)
            {
                Line($"- {model}: {reason}");
            }

            Line();
        }

        if (report.SuggestedFactors.Count > 0)
        {
            Line("## Suggested signal factors (consider adding)");
            Line();
            foreach (Data.SuggestedFactor factor in report.SuggestedFactors)
            {
                Line($"- **{factor.Name}** (`{factor.Column}`): {factor.Description} — *{factor.Reason}*");
            }

            Line();
        }

        Line("## Action items");
        Line();
        foreach (string item in report.ActionItems)
        {
            Line($"- {item}");
        }

        return md.ToString();
    }
}
