using System.Text.Json.Nodes;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx.Model.Proto;
using Vince.FeatureStore.Onnx.Tests.Support;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Scoring;

public sealed class NoModelAndAllocationTests : IDisposable
{
    private readonly ScorerFixture _fixture = new();

    public void Dispose() => _fixture.Dispose();

    [Fact]
    public void Without_a_model_score_says_no_model_and_logs_once()
    {
        OnnxSignalQualityScorer scorer = _fixture.Scorer();

        for (int i = 0; i < 1000; i++)
        {
            SignalQualityScore score = scorer.Score(Decision(i));
            Assert.False(score.HasModel);
            Assert.Equal(SignalQualityScore.NoModel, score);
            Assert.True(double.IsNaN(score.Probability));
            Assert.True(double.IsNaN(score.Threshold));
            Assert.False(score.PassesThreshold);
            Assert.Equal(0, score.ModelVersion);
        }

        Assert.Null(scorer.Model);
        Assert.Equal("no model", scorer.Score(Decision(1)).ToString());
        Assert.Single(_fixture.Logger.Collector.GetSnapshot());
        Assert.Single(_fixture.Events(3003));
        Assert.False(default(SignalQualityScore).HasModel);
    }

    [Fact]
    public async Task A_missing_models_directory_is_no_model_and_a_later_training_is_picked_up()
    {
        string directory = _fixture.Directory.File("not-yet");
        OnnxSignalQualityScorer scorer = _fixture.Scorer(o => o.ModelsDirectory = directory);
        Assert.False(scorer.Score(Decision(1)).HasModel);

        Directory.CreateDirectory(directory);
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), Path.Combine(directory, "signal_quality.onnx"));
        MetadataJson.For(FeatureNames).Save(Path.Combine(directory, "training_metadata.json"));
        OnnxModelInfo? model = await scorer.ReloadAsync();

        Assert.NotNull(model);
        Assert.Equal(1, model.Version);
        FeatureRecord record = Decision(1);
        Assert.Equal(OnnxModels.Probability(Trees, ExpectedVector(record)), scorer.Score(record).Probability, 1e-6);
    }

    public static TheoryData<string> Layouts => new() { "xgboost", "renamed", "zipmap", "logistic" };

    [Theory]
    [MemberData(nameof(Layouts))]
    public void Scoring_allocates_nothing_once_warmed_up(string layout)
    {
        ModelProto model = layout switch
        {
            "xgboost" => OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.4),
            "renamed" => OnnxModels.WithRenamedOutput(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length, 0.4)),
            "zipmap" => OnnxModels.ZipMapClassifier(Trees, FeatureNames.Length),
            _ => OnnxModels.LogisticRegression(Enumerable.Repeat(0.01f, FeatureNames.Length).ToArray(), 0.3f),
        };
        JsonObject metadata = MetadataJson.For(FeatureNames, threshold: 0.55, calibration: (1.7, -0.6));
        metadata["signal_quality_scaling"] = new JsonObject { ["signal_strength"] = new JsonObject { ["mean"] = 50, ["std"] = 10 } };
        _fixture.Write(model, metadata);
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord[] records = Enumerable.Range(0, 64).Select(i => Decision(i, asset: i % 3 == 0 ? "ETH" : "BTC", priceChange: (i % 7) - 3, strength: 30 + i)).ToArray();
        var history = new FeatureHistory();
        foreach (FeatureRecord record in records.Take(8))
        {
            history.Add(record);
        }

        // Warm up until a window of calls allocates nothing: tiered JIT promotion happens on a background
        // timer, and the runtime's own bookkeeping while it installs tier-1 code can land in a fixed count.
        double sum = 0;
        for (int window = 0; window < 50; window++)
        {
            long windowStart = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 1_000; i++)
            {
                sum += scorer.Score(records[i % records.Length], history).Probability;
            }

            if (window >= 1 && GC.GetAllocatedBytesForCurrentThread() == windowStart)
            {
                break;
            }

            Thread.Sleep(20); // give the tiering timer a chance to run
        }

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            sum += scorer.Score(records[i % records.Length], history).Probability;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.Equal(0, allocated);
        Assert.True(sum > 0);
    }

    [Fact]
    public void The_no_model_path_allocates_nothing()
    {
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        FeatureRecord record = Decision(1);
        scorer.Score(record);

        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 10_000; i++)
        {
            scorer.Score(record);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    [Fact]
    public void A_disposed_scorer_refuses_to_score()
    {
        _fixture.Write(OnnxModels.XgboostClassifier(Trees, FeatureNames.Length), MetadataJson.For(FeatureNames));
        OnnxSignalQualityScorer scorer = _fixture.Scorer();
        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.Score(Decision(1)));
        Assert.Null(scorer.Model);
        scorer.Dispose();
    }
}
