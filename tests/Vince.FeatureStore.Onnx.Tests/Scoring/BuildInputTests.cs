using System.Text.Json.Nodes;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

/// <summary>
/// <see cref="OnnxSignalQualityScorer.BuildInput"/>: the vector <see cref="OnnxSignalQualityScorer.Score"/> feeds, with its
/// column names, before and after scaling (values written out by hand; the model's output proves it is what was fed).
/// </summary>
public sealed class BuildInputTests : IDisposable
{
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void The_input_holds_the_hand_written_row_in_the_metadatas_order_with_lags_from_the_history()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        var history = new FeatureHistory();
        history.Add(Decision(1, priceChange: -2.2));
        history.Add(Decision(2, "ETH", priceChange: 5));
        history.Add(Decision(3, priceChange: 0.6));
        FeatureRecord record = Decision(4, priceChange: -1.3);

        ScoringInput input = scorer.BuildInput(record, history)!;

        float[] expected = ExpectedVector(record, 0.6, -2.2);
        Assert.Equal(FeatureNames, input.FeatureNames);
        Assert.Equal(expected, input.Values);
        Assert.Equal(expected, input.ModelInput);
        Assert.Same(scorer.Model, input.Model);
        Assert.Equal(OnnxModels.Probability(Trees, expected), scorer.Score(record, history).Probability, 6);
    }

    [Fact]
    public void With_scaling_the_model_input_is_standardised_and_is_what_the_model_is_fed()
    {
        float[] weights = Enumerable.Range(0, FeatureNames.Length).Select(i => ((i % 4) - 1.5f) * 0.13f).ToArray();
        var stats = new Dictionary<string, (double Mean, double Std)>
        {
            ["market_priceChange24h"] = (0.4, 2.5),
            ["signal_strength"] = (55, 12),
            ["market_fundingPercentile"] = (50, 0), // constant in training: only centred
        };
        JsonObject metadata = MetadataJson.For(FeatureNames);
        metadata["signal_quality_scaling"] = new JsonObject(stats.Select(s =>
            KeyValuePair.Create(s.Key, (JsonNode?)new JsonObject { ["mean"] = s.Value.Mean, ["std"] = s.Value.Std })));
        _fixture.Write(OnnxModels.LogisticRegression(weights, -0.2f), metadata);
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = Decision(7, strength: 71);

        ScoringInput input = scorer.BuildInput(record)!;

        float[] raw = ExpectedVector(record);
        Assert.Equal(raw, input.Values);
        for (int i = 0; i < raw.Length; i++)
        {
            float expected = stats.TryGetValue(FeatureNames[i], out var s) ? (float)((raw[i] - s.Mean) / (s.Std > 0 ? s.Std : 1)) : raw[i];
            Assert.Equal(expected, input.ModelInput[i], 5);
        }

        double z = -0.2 + input.ModelInput.Select((v, i) => (double)v * weights[i]).Sum();
        Assert.Equal(1 / (1 + Math.Exp(-z)), scorer.Score(record).Probability, 6);
    }

    [Fact]
    public void Without_a_model_there_is_no_input_and_a_disposed_scorer_refuses()
    {
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        Assert.Null(scorer.BuildInput(Decision(1)));

        scorer.Dispose();
        Assert.Throws<ObjectDisposedException>(() => scorer.BuildInput(Decision(1)));
    }
}
