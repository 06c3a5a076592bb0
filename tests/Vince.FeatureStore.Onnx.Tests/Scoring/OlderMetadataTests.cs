using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>
/// training_metadata.json in the layouts older versions of the training script wrote, built by hand from their
/// description: the oldest has neither <c>signal_quality_feature_names</c> nor <c>signal_quality_input_dim</c> and a flat
/// <c>feature_importances.signal_quality</c>; the middle one has the input width and nests the importances under
/// <c>feature_importances</c>; the newest lists the names (equal to the importance keys). The importance keys are written
/// in the model's input order, which is the only record of that order in the two older layouts.
/// </summary>
public sealed class OlderMetadataTests : IDisposable
{
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    private static JsonObject Importances(IEnumerable<string> names)
    {
        var importances = new JsonObject();
        int rank = 0;
        foreach (string name in names)
        {
            importances[name] = 0.5 / ++rank;
        }

        return importances;
    }

    /// <summary>The oldest layout: no names, no input dim, flat importances.</summary>
    private static JsonObject Oldest(IEnumerable<string> importanceNames) => new()
    {
        ["trained_at"] = "2025-11-02T09:14:55.120931",
        ["data_file"] = ".elizadb/vince-paper-bot/features",
        ["total_records"] = 212,
        ["trades_with_outcomes"] = 131,
        ["models_trained"] = new JsonArray("signal_quality"),
        ["improvement_report"] = new JsonObject
        {
            ["feature_importances"] = new JsonObject { ["signal_quality"] = Importances(importanceNames) },
            ["action_items"] = new JsonArray("Collect more trades."),
        },
    };

    /// <summary>The middle layout: the input width, importances nested one level deeper.</summary>
    private static JsonObject Middle(IReadOnlyList<string> importanceNames, int inputDim) => new()
    {
        ["trained_at"] = "2025-12-20T18:40:02.004512",
        ["data_file"] = ".elizadb/vince-paper-bot/features",
        ["total_records"] = 355,
        ["trades_with_outcomes"] = 150,
        ["models_trained"] = new JsonArray("signal_quality"),
        ["models_fit"] = new JsonArray("signal_quality"),
        ["signal_quality_input_dim"] = inputDim,
        ["improvement_report"] = new JsonObject
        {
            ["feature_importances"] = new JsonObject
            {
                ["signal_quality"] = new JsonObject { ["feature_importances"] = Importances(importanceNames) },
            },
        },
    };

    [Fact]
    public void The_oldest_layout_takes_the_input_order_from_the_importances_with_a_warning()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Oldest(FeatureNames));

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1);
        Assert.Equal(FeatureNames, scorer.Model!.FeatureNames);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record)), scorer.Score(record).Probability, 1e-6);
        Assert.Contains("feature_importances.signal_quality", scorer.Model.FeatureNamesSource, StringComparison.Ordinal);
        var warning = Assert.Single(_fixture.Events(3013));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Warning, warning.Level);
        Assert.Contains("lists no signal_quality_feature_names", warning.Message, StringComparison.Ordinal);
        Assert.Contains($"the {FeatureNames.Length} keys of improvement_report.feature_importances.signal_quality", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_middle_layout_with_nested_importances_and_an_input_dim_loads_too()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Middle(FeatureNames, FeatureNames.Length));

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(2, priceChange: 3.5);
        Assert.Equal(FeatureNames, scorer.Model!.FeatureNames);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record)), scorer.Score(record).Probability, 1e-6);
        Assert.Single(_fixture.Events(3013));
    }

    [Fact]
    public void Importance_values_python_wrote_as_NaN_still_count_as_inputs()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), _fixture.ModelPath);
        string json = Oldest(FeatureNames).ToJsonString().Replace($"\"{FeatureNames[^1]}\":{0.5 / FeatureNames.Length}", $"\"{FeatureNames[^1]}\":NaN", StringComparison.Ordinal);
        Assert.Contains(":NaN", json, StringComparison.Ordinal);
        File.WriteAllText(_fixture.MetadataPath, json);

        Assert.Equal(FeatureNames, _fixture.Scorer().Model!.FeatureNames);
    }

    [Fact]
    public void The_newest_layout_uses_its_names_and_does_not_warn()
    {
        // In the newest layout the importance keys equal the names list exactly.
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["improvement_report"]!["feature_importances"] = new JsonObject { ["signal_quality"] = Importances(FeatureNames) };
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), metadata);

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        Assert.Equal(FeatureNames, scorer.Model!.FeatureNames);
        Assert.Equal(_fixture.MetadataPath, scorer.Model.FeatureNamesSource);
        Assert.Empty(_fixture.Events(3013));
    }

    [Fact]
    public void Importances_that_do_not_cover_every_input_are_refused_with_todays_error()
    {
        // XGBoost leaves out features no tree splits on: then the keys are not the input order.
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Oldest(FeatureNames[..^3]));

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains("input order", error.Message, StringComparison.Ordinal);
        Assert.Contains("lists no signal_quality_feature_names", error.Message, StringComparison.Ordinal);
        Assert.Contains($"has {FeatureNames.Length - 3} keys for a model of {FeatureNames.Length} inputs", error.Message, StringComparison.Ordinal);
        Assert.Contains("signal_quality_features.json does not exist", error.Message, StringComparison.Ordinal);
        Assert.Empty(_fixture.Events(3013));
    }

    [Fact]
    public void Importances_that_contradict_the_declared_input_dim_are_refused()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Middle(FeatureNames, FeatureNames.Length + 1));

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains("input order", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Keys_null_in_every_record_are_inputs_fed_zero_without_a_warning()
    {
        // The real metadata lists market_fundingDelta and market_priceVsSma20 at 0 % non-null: the script kept the columns.
        string[] names = [.. FeatureNames, "market_fundingDelta", "market_priceVsSma20"];
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, names.Length), MetadataJson.For(names));
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = FeatureJson.Deserialize(FeatureJson.Serialize(Decision(3))
            .Replace("\"market\":{", "\"market\":{\"fundingDelta\":null,\"priceVsSma20\":null,", StringComparison.Ordinal));

        ScoringInput input = scorer.BuildInput(record)!;

        float[] expected = [.. ExpectedVector(record), 0f, 0f];
        Assert.Equal(expected, input.Values);
        Assert.Empty(_fixture.Events(3002));
        Assert.Equal(OnnxModels.Probability(Trees, expected), scorer.Score(record).Probability, 1e-6);
    }
}
