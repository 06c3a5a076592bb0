using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Onnx.Tests.Metadata;

public sealed class TrainingMetadataTests
{
    // As train_models.py writes it (json.dump, indent 2), including the bare NaN Python writes for an undefined AUC.
    private const string Full = """
        {
          "trained_at": "2026-01-22T14:03:11.512345",
          "data_file": ".elizadb/vince-paper-bot/features",
          "total_records": 412,
          "trades_with_outcomes": 187,
          "models_trained": ["signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer"],
          "models_fit": ["signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer"],
          "onnx_hashes": {"signal_quality": "sha256:ABCDEF0123", "position_sizing": "99aa"},
          "signal_quality_input_dim": 3,
          "signal_quality_feature_names": ["market_priceChange24h", "signal_strength", "asset_BTC"],
          "improvement_report": {
            "feature_importances": {
              "signal_quality": {"signal_strength": 0.41, "market_priceChange24h": 0.2},
              "position_sizing": {"feature_importances": {"market_atrPct": 0.7}}
            },
            "tp_level_performance": {"1": {"win_rate": 0.62, "count": 40}, "2": {"win_rate": 0.41, "count": 22}},
            "decision_drivers_by_direction": {"long": {"trade_count": 90, "sample_drivers": ["Funding extreme"]}},
            "suggested_signal_factors": [{"name": "dvol", "description": "Deribit DVOL", "reason": "mostly null"}],
            "action_items": ["Consider setting ML fallback signalQualityThreshold to 0.58."],
            "holdout_metrics": {"signal_quality": {"auc": NaN, "brier": 0.21}, "sl_optimizer": {"quantile_loss": Infinity}},
            "suggested_tuning": {"min_strength": 55, "min_confidence": 48, "max_leverage": 4},
            "wtt_performance": {"primary_win_rate": 0.57},
            "suggested_signal_quality_threshold": 0.58,
            "signal_quality_calibration": {"scale": 3.1, "intercept": -1.4},
            "report_version": 3
          },
          "signal_quality_scaling": {"signal_strength": {"mean": 55.5, "std": 12.25}},
          "python_version": "3.12.1",
          "notes": {"nested": [1, 2]}
        }
        """;

    [Fact]
    public void Every_listed_key_is_read()
    {
        TrainingMetadata m = TrainingMetadata.Parse(Encoding.UTF8.GetBytes(Full));

        Assert.Equal("2026-01-22T14:03:11.512345", m.TrainedAt);
        Assert.Equal(new DateTime(2026, 1, 22, 14, 3, 11, 512).AddTicks(3450), m.TrainedAtLocal);
        Assert.Equal(DateTimeKind.Unspecified, m.TrainedAtLocal!.Value.Kind);
        Assert.Equal(".elizadb/vince-paper-bot/features", m.DataFile);
        Assert.Equal(412, m.TotalRecords);
        Assert.Equal(187, m.TradesWithOutcomes);
        Assert.Equal(4, m.ModelsTrained!.Count);
        Assert.Equal("sl_optimizer", m.ModelsFit![3]);
        Assert.Equal("abcdef0123", m.HashOf("signal_quality"));
        Assert.Equal("99aa", m.HashOf("position_sizing"));
        Assert.Null(m.HashOf("tp_optimizer"));
        Assert.Equal(3, m.SignalQualityInputDim);
        Assert.Equal(["market_priceChange24h", "signal_strength", "asset_BTC"], m.SignalQualityFeatureNames);

        ImprovementReport r = m.ImprovementReport!;
        Assert.Equal(0.41, r.FeatureImportances!["signal_quality"]["signal_strength"]);
        Assert.Equal(0.7, r.FeatureImportances["position_sizing"]["market_atrPct"]);
        Assert.Equal(new TpLevelPerformance(0.62, 40), r.TpLevelPerformance!["1"]);
        Assert.Equal(new TpLevelPerformance(0.41, 22), r.TpLevelPerformance["2"]);
        Assert.Equal(90, r.DecisionDriversByDirection!.Value.GetProperty("long").GetProperty("trade_count").GetInt32());
        Assert.Equal("dvol", r.SuggestedSignalFactors!.Value[0].GetProperty("name").GetString());
        Assert.Single(r.ActionItems!);
        Assert.Equal(JsonValueKind.Null, r.HoldoutMetrics!.Value.GetProperty("signal_quality").GetProperty("auc").ValueKind);
        Assert.Equal(0.21, r.HoldoutMetrics.Value.GetProperty("signal_quality").GetProperty("brier").GetDouble());
        Assert.Equal(JsonValueKind.Null, r.HoldoutMetrics.Value.GetProperty("sl_optimizer").GetProperty("quantile_loss").ValueKind);
        Assert.Equal(55, r.SuggestedTuning!.MinStrength);
        Assert.Equal(48, r.SuggestedTuning.MinConfidence);
        Assert.Equal(4, r.SuggestedTuning.AdditionalProperties["max_leverage"].GetInt32());
        Assert.Equal(0.57, r.WttPerformance!.Value.GetProperty("primary_win_rate").GetDouble());
        Assert.Equal(0.58, r.SuggestedSignalQualityThreshold);
        Assert.Equal(new PlattCalibration(3.1, -1.4), r.SignalQualityCalibration);
        Assert.Equal(3, r.AdditionalProperties["report_version"].GetInt32());

        Assert.Equal(new Export.ColumnScaling(55.5, 12.25), m.SignalQualityScaling!["signal_strength"]);
        Assert.Equal("3.12.1", m.AdditionalProperties["python_version"].GetString());
        Assert.Equal(2, m.AdditionalProperties["notes"].GetProperty("nested")[1].GetInt32());
        Assert.Equal(2, m.AdditionalProperties.Count);
        Assert.Empty(m.Warnings);
    }

    [Fact]
    public void The_minimal_file_of_a_skipped_training_has_nulls_for_everything_else()
    {
        const string minimal = """
            {
              "trained_at": "2026-01-22T14:03:11.512345",
              "data_file": "features",
              "total_records": 120,
              "trades_with_outcomes": 40,
              "models_trained": [],
              "models_fit": [],
              "improvement_report": {
                "data_summary": {"total_records": 120, "trades_with_outcomes": 40, "min_samples_required": 90},
                "suggested_signal_factors": [],
                "action_items": ["Collect at least 90 completed trades (with outcome/labels), then re-run training."]
              }
            }
            """;

        TrainingMetadata m = TrainingMetadata.Parse(Encoding.UTF8.GetBytes(minimal));

        Assert.Empty(m.ModelsTrained!);
        Assert.Null(m.OnnxHashes);
        Assert.Null(m.SignalQualityInputDim);
        Assert.Null(m.SignalQualityFeatureNames);
        Assert.Null(m.SignalQualityScaling);
        Assert.Null(m.ImprovementReport!.SuggestedSignalQualityThreshold);
        Assert.Null(m.ImprovementReport.SignalQualityCalibration);
        Assert.Null(m.ImprovementReport.TpLevelPerformance);
        Assert.True(m.ImprovementReport.AdditionalProperties.ContainsKey("data_summary"));
        Assert.Empty(m.Warnings);
    }

    [Fact]
    public void Values_of_the_wrong_type_read_as_null_with_a_warning()
    {
        const string odd = """
            {
              "total_records": "412",
              "trades_with_outcomes": 18.5,
              "models_trained": "signal_quality",
              "signal_quality_feature_names": ["a", 3],
              "improvement_report": {
                "suggested_signal_quality_threshold": 58,
                "signal_quality_calibration": {"scale": "x", "intercept": 1},
                "tp_level_performance": {"1": [0.5, 3]},
              },
              "scaling": {"signal_quality": {"signal_strength": {"mean": 1}}},
            }
            """;

        TrainingMetadata m = TrainingMetadata.Parse(Encoding.UTF8.GetBytes(odd));

        Assert.Equal(412, m.TotalRecords); // a number in a string is still a number
        Assert.Null(m.TradesWithOutcomes);
        Assert.Null(m.ModelsTrained);
        Assert.Null(m.SignalQualityFeatureNames);
        Assert.Null(m.ImprovementReport!.SuggestedSignalQualityThreshold);
        Assert.Null(m.ImprovementReport.SignalQualityCalibration);
        Assert.Empty(m.ImprovementReport.TpLevelPerformance!);
        Assert.Null(m.SignalQualityScaling);
        Assert.Contains(m.Warnings, w => w.Contains("'trades_with_outcomes' is not an integer", StringComparison.Ordinal));
        Assert.Contains(m.Warnings, w => w.Contains("'models_trained' is not a list", StringComparison.Ordinal));
        Assert.Contains(m.Warnings, w => w.Contains("'improvement_report.suggested_signal_quality_threshold' (58) is not between 0 and 1", StringComparison.Ordinal));
        Assert.Contains(m.Warnings, w => w.Contains("'improvement_report.signal_quality_calibration.scale' is not a number", StringComparison.Ordinal));
        Assert.Contains(m.Warnings, w => w.Contains("'improvement_report.tp_level_performance.1' is not an object", StringComparison.Ordinal));
        Assert.Contains(m.Warnings, w => w.Contains("'scaling.signal_quality.signal_strength'", StringComparison.Ordinal));
    }

    [Fact]
    public void Nan_inside_strings_is_left_alone()
    {
        TrainingMetadata m = TrainingMetadata.Parse(Encoding.UTF8.GetBytes("""{"data_file": "NaN \"Infinity\" -Infinity", "total_records": -Infinity}"""));

        Assert.Equal("NaN \"Infinity\" -Infinity", m.DataFile);
        Assert.Null(m.TotalRecords);
    }

    [Theory]
    [InlineData("[1, 2]")]
    [InlineData("not json")]
    public void Content_that_is_not_an_object_is_a_json_exception(string content)
    {
        Assert.ThrowsAny<JsonException>(() => TrainingMetadata.Parse(Encoding.UTF8.GetBytes(content)));
    }

    [Fact]
    public void Platt_calibration_is_the_logistic_of_the_scaled_probability()
    {
        var calibration = new PlattCalibration(3.1, -1.4);

        Assert.Equal(1 / (1 + Math.Exp(-((3.1 * 0.62) - 1.4))), calibration.Apply(0.62), 1e-12);
    }
}
