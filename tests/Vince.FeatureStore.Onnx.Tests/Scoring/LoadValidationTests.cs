using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>What is checked when a model is loaded, and the clear errors when it does not fit.</summary>
public sealed class LoadValidationTests : IDisposable
{
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void A_feature_list_of_another_width_names_both_numbers_and_the_file()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames[..^2]));

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains($"takes {FeatureNames.Length} input features", error.Message, StringComparison.Ordinal);
        Assert.Contains($"lists {FeatureNames.Length - 2} feature names", error.Message, StringComparison.Ordinal);
        Assert.Contains(_fixture.ModelPath, error.Message, StringComparison.Ordinal);
        Assert.Contains(_fixture.MetadataPath, error.Message, StringComparison.Ordinal);
        Assert.Equal(_fixture.ModelPath, error.FilePath);
    }

    [Fact]
    public void An_input_dim_that_contradicts_the_names_is_an_error()
    {
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["signal_quality_input_dim"] = 13;
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), metadata);

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains($"signal_quality_input_dim is 13 but {_fixture.MetadataPath} lists {FeatureNames.Length}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_corrupt_model_file_is_a_clear_error()
    {
        MetadataJson.For(FeatureNames).Save(_fixture.MetadataPath);
        byte[] garbage = new byte[4096];
        new Random(5).NextBytes(garbage);
        File.WriteAllBytes(_fixture.ModelPath, garbage);

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.StartsWith(_fixture.ModelPath + " is not an ONNX model", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_truncated_model_file_is_a_clear_error()
    {
        byte[] model = Google.Protobuf.MessageExtensions.ToByteArray(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length));
        File.WriteAllBytes(_fixture.ModelPath, model[..(model.Length / 2)]);
        MetadataJson.For(FeatureNames).Save(_fixture.MetadataPath);

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains(_fixture.ModelPath, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_that_is_not_json_is_a_clear_error()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), _fixture.ModelPath);
        File.WriteAllText(_fixture.MetadataPath, "{\"signal_quality_feature_names\": [\"market_");

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.StartsWith(_fixture.MetadataPath + " is not valid JSON", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_metadata_the_features_file_of_the_pipeline_gives_the_order()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), _fixture.ModelPath);
        string featuresPath = _fixture.Directory.File("signal_quality_features.json");
        new JsonObject
        {
            ["model"] = "signal_quality",
            ["features"] = new JsonArray(FeatureNames.Select(n => (JsonNode?)JsonValue.Create(n)).ToArray()),
            ["n_features"] = FeatureNames.Length,
        }.Save(featuresPath);

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record)), scorer.Score(record).Probability, 1e-6);
        Assert.Equal(featuresPath, scorer.Model!.FeatureNamesSource);
        Assert.Null(scorer.Model.MetadataPath);
        Assert.Equal(OnnxScoringOptions.DefaultThreshold, scorer.Model.Threshold);
        Assert.Single(_fixture.Events(3010));
    }

    [Fact]
    public void Without_any_feature_list_the_error_says_what_is_missing()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), _fixture.ModelPath);

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());

        Assert.Contains("input order", error.Message, StringComparison.Ordinal);
        Assert.Contains("does not exist", error.Message, StringComparison.Ordinal);
        Assert.Contains("signal_quality_features.json", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_that_does_not_match_the_metadata_hash_is_refused_unless_verification_is_off()
    {
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), _fixture.ModelPath);
        JsonObject metadata = MetadataJson.For(FeatureNames).WithHash(_fixture.ModelPath);
        metadata.Save(_fixture.MetadataPath);
        Assert.NotNull(_fixture.Scorer().Model); // matching hash

        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, baseScore: 0.7), _fixture.ModelPath);

        OnnxModelLoadException error = Assert.Throws<OnnxModelLoadException>(() => _fixture.Scorer());
        Assert.Contains("does not match onnx_hashes.signal_quality", error.Message, StringComparison.Ordinal);
        Assert.NotNull(_fixture.Scorer(o => o.VerifyModelHash = false).Model);
    }

    [Fact]
    public void Unknown_feature_names_are_warned_about_once_and_fed_zero()
    {
        string[] names = [.. FeatureNames[..^2], "orderflow_delta", "sentiment_vibes"];
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, names.Length), MetadataJson.For(names));

        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = Decision(1);
        for (int i = 0; i < 10; i++)
        {
            float[] x = ExpectedVector(record);
            x[^2] = 0;
            x[^1] = 0;
            Assert.Equal(OnnxModels.Probability(Trees, x), scorer.Score(record).Probability, 1e-6);
        }

        Assert.Equal(["orderflow_delta", "sentiment_vibes"], scorer.Model!.UnknownFeatureNames);
        var warning = Assert.Single(_fixture.Events(3002));
        Assert.Contains("orderflow_delta, sentiment_vibes", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_problems_are_logged_and_the_rest_is_used()
    {
        JsonObject metadata = MetadataJson.For(FeatureNames, threshold: 0.55);
        metadata["improvement_report"]!["signal_quality_calibration"] = "platt";
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), metadata);

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        Assert.Null(scorer.Model!.Calibration);
        Assert.Equal(0.55, scorer.Model.Threshold);
        Assert.Contains(_fixture.Events(3009), e => e.Message.Contains("signal_quality_calibration", StringComparison.Ordinal));
    }

    [Fact]
    public void Invalid_options_are_rejected_with_every_problem_named()
    {
        var options = new OnnxScoringOptions { ModelsDirectory = _fixture.Directory.Path, Threshold = 1.5, ModelFileName = "../x.onnx", IntraOpNumThreads = -1 };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new OnnxSignalQualityScorer(options));

        Assert.Contains("Threshold must be between 0 and 1 (was 1.5)", error.Message, StringComparison.Ordinal);
        Assert.Contains("ModelFileName '../x.onnx' must be a file name", error.Message, StringComparison.Ordinal);
        Assert.Contains("IntraOpNumThreads must not be negative", error.Message, StringComparison.Ordinal);
    }
}
