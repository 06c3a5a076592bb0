using System.Text.Json.Nodes;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Scoring;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary><see cref="OnnxModelScorer"/> on the signal-quality model, loaded and run by the same core as <see cref="OnnxSignalQualityScorer"/>.</summary>
public sealed class ModelScorerTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void The_model_scorer_and_the_signal_quality_scorer_score_the_same_model_alike_with_calibration_and_threshold()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.45), MetadataJson.For(FeatureNames, threshold: 0.55, calibration: (2.4, -1.1)));
        OnnxSignalQualityScorer quality = _fixture.Scorer();
        using OnnxModelScorer generic = OnnxModelScorer.Load(_fixture.Directory.Path, TrainingModel.SignalQuality);
        var history = new FeatureHistory();
        var serving = new ServingHistory();
        foreach (FeatureRecord earlier in new[] { Decision(1, priceChange: -2.2), Decision(2, "ETH", priceChange: 5), Decision(3, priceChange: 0.6) })
        {
            history.Add(earlier);
            serving.Add(earlier);
        }

        FeatureRecord record = Decision(4, priceChange: -1.3, strength: 80);
        float[] expected = ExpectedVector(record, 0.6, -2.2);
        double raw = OnnxModels.Probability(Trees, expected, 0.45);
        double calibrated = 1 / (1 + Math.Exp(-((2.4 * raw) - 1.1)));

        SignalQualityScore byQuality = quality.Score(record, history);
        float[] vector = new float[FeatureNames.Length];
        ModelScore byServing = generic.Score(record, serving, vector);
        ModelScore byHistory = generic.Score(record, history);

        Assert.Equal(raw, byQuality.ModelProbability, Tolerance);
        Assert.Equal(calibrated, byQuality.Probability, Tolerance);
        Assert.Equal(0.55, byQuality.Threshold);
        Assert.Equal(ModelOutputKind.Probability, generic.OutputKind);
        Assert.True(generic.IsCalibrated);
        Assert.Equal(0.55, generic.Threshold);
        Assert.Equal(expected, vector);
        foreach (ModelScore score in new[] { byServing, byHistory })
        {
            Assert.Equal(byQuality.ModelProbability, score.ModelValue, Tolerance);
            Assert.Equal(byQuality.Probability, score.Value, Tolerance);
            Assert.Equal(0.55, score.Threshold);
            Assert.Equal(byQuality.PassesThreshold, score.PassesThreshold);
            Assert.Equal(InputHash.Of(expected), score.InputHash);
            Assert.True(score.ColdLags); // two earlier BTC records: lag3 is missing
        }
    }

    [Fact]
    public void Fewer_than_three_earlier_records_of_the_asset_are_reported_as_cold_lags()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));
        using OnnxModelScorer scorer = OnnxModelScorer.Load(_fixture.Directory.Path, TrainingModel.SignalQuality);
        var history = new FeatureHistory();
        history.Add(Decision(1, priceChange: -2.2));
        history.Add(Decision(2, priceChange: 0.6));

        Assert.True(scorer.Score(Decision(3), history).ColdLags);
        history.Add(Decision(3, priceChange: 1.1));
        Assert.False(scorer.Score(Decision(4), history).ColdLags);
        Assert.True(scorer.Score(Decision(5, "ETH"), history).ColdLags);
    }

    [Fact]
    public void A_model_whose_hash_differs_from_the_metadata_is_refused_as_files_that_may_still_be_written()
    {
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["onnx_hashes"] = new JsonObject { ["signal_quality"] = new string('0', 64) };
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), metadata);

        OnnxModelLoadException refused = Assert.Throws<OnnxModelLoadException>(() => OnnxModelScorer.Load(_fixture.Directory.Path, TrainingModel.SignalQuality));

        Assert.True(refused.FilesIncomplete);
        Assert.Contains("onnx_hashes.signal_quality", refused.Message, StringComparison.Ordinal);
        using OnnxModelScorer loaded = OnnxModelScorer.Load(_fixture.Directory.Path, TrainingModel.SignalQuality, new OnnxScoringOptions { VerifyModelHash = false });
        Assert.Equal(FeatureNames, loaded.FeatureNames);
    }

    [Fact]
    public void A_disposed_model_scorer_refuses_to_score()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));
        OnnxModelScorer scorer = OnnxModelScorer.Load(_fixture.Directory.Path, TrainingModel.SignalQuality);
        Assert.InRange(scorer.Score(Decision(1), new ServingHistory()).Value, 0, 1);

        scorer.Dispose();
        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.Score(Decision(1), new ServingHistory()));
        Assert.Throws<ObjectDisposedException>(() => scorer.Score(Decision(1), (FeatureHistory?)null));
    }
}
