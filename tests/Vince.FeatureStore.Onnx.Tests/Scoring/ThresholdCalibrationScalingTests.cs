using System.Text.Json.Nodes;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>Threshold precedence, Platt calibration after the model, and the training transform before it.</summary>
public sealed class ThresholdCalibrationScalingTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Theory]
    [InlineData(null, null, 0.6, ThresholdSource.Default)]
    [InlineData(null, 0.52, 0.52, ThresholdSource.Metadata)]
    [InlineData(0.7, 0.52, 0.7, ThresholdSource.Options)]
    public void The_threshold_is_the_options_else_the_metadatas_else_0_6(double? configured, double? suggested, double expected, ThresholdSource source)
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames, threshold: suggested));

        OnnxSignalQualityScorer scorer = _fixture.Scorer(o => o.Threshold = configured);

        SignalQualityScore score = scorer.Score(Decision(1));
        Assert.Equal(expected, score.Threshold);
        Assert.Equal(source, scorer.Model!.ThresholdSource);
        Assert.Equal(score.Probability >= expected, score.PassesThreshold);
    }

    [Fact]
    public void Passing_compares_the_calibrated_probability_with_the_threshold()
    {
        FeatureRecord record = Decision(1);
        double p = OnnxModels.Probability(Trees, ExpectedVector(record));
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));

        Assert.True(_fixture.Scorer(o => o.Threshold = p - 0.001).Score(record).PassesThreshold);
        Assert.False(_fixture.Scorer(o => o.Threshold = p + 0.001).Score(record).PassesThreshold);
    }

    [Fact]
    public void Platt_calibration_is_applied_after_the_model()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.45), MetadataJson.For(FeatureNames, calibration: (2.4, -1.1)));
        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1, strength: 80);
        double raw = OnnxModels.Probability(Trees, ExpectedVector(record), 0.45);
        SignalQualityScore score = scorer.Score(record);

        Assert.Equal(raw, score.ModelProbability, Tolerance);
        Assert.Equal(1 / (1 + Math.Exp(-((2.4 * raw) - 1.1))), score.Probability, Tolerance);
        Assert.Equal(new PlattCalibration(2.4, -1.1), scorer.Model!.Calibration);
    }

    [Theory]
    [InlineData("signal_quality_scaling", false)]
    [InlineData("scaling", false)]
    [InlineData("scaling", true)]
    public void Per_column_mean_and_std_in_the_metadata_standardise_the_input(string key, bool perModel)
    {
        float[] weights = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 3) - 1) * 0.21f).ToArray();
        var stats = new Dictionary<string, (double Mean, double Std)>
        {
            ["market_priceChange24h"] = (0.4, 2.5),
            ["signal_strength"] = (55, 12),
            ["session_utcHour"] = (11.5, 6.9),
            ["market_fundingPercentile"] = (50, 0), // constant in training: only centred
        };
        var columns = new JsonObject();
        foreach ((string name, (double mean, double std)) in stats)
        {
            columns[name] = new JsonObject { ["mean"] = mean, ["std"] = std };
        }

        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata[key] = perModel ? new JsonObject { ["signal_quality"] = columns } : columns;
        _fixture.Write(OnnxModels.LogisticRegression(weights, 0.1f), metadata);

        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        FeatureRecord record = Decision(1);
        float[] x = ExpectedVector(record);
        for (int i = 0; i < x.Length; i++)
        {
            if (stats.TryGetValue(FeatureNames[i], out var s))
            {
                x[i] = (float)((x[i] - s.Mean) / (s.Std > 0 ? s.Std : 1));
            }
        }

        double z = 0.1 + x.Select((v, i) => (double)v * weights[i]).Sum();
        Assert.Equal(1 / (1 + Math.Exp(-z)), scorer.Score(record).Probability, Tolerance);
        Assert.Equal(4, scorer.Model!.ScaledColumnCount);
    }

    [Fact]
    public void Without_scaling_the_raw_values_are_fed_as_the_newest_script_trains()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));

        Assert.Equal(0, _fixture.Scorer().Model!.ScaledColumnCount);
    }
}
