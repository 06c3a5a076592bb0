using System.Text.Json;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Training.Tests.Support;

namespace Vince.FeatureStore.Training.Tests.Serving;

/// <summary>The generic scorer on a real trained set: every model, its own columns, outputs decoded as the trainer wrote them.</summary>
public sealed class ModelSetServingTests(TrainedModelsFixture fixture) : IClassFixture<TrainedModelsFixture>
{
    public static TheoryData<TrainingModel> Models => new() { TrainingModel.SignalQuality, TrainingModel.PositionSizing, TrainingModel.TpOptimizer, TrainingModel.SlOptimizer };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Each_model_scores_raw_records_with_its_own_width_and_reproduces_the_trainers_holdout(TrainingModel model)
    {
        TrainedModelReport report = Assert.Single(fixture.Report.Models, m => m.Model == model);
        using OnnxModelScorer scorer = OnnxModelScorer.Load(fixture.ModelsDirectory, model);
        Assert.Equal(DeclaredWidth(TrainingModels.Name(model)), scorer.FeatureNames.Count);
        Assert.Equal(report.FeatureNames, scorer.FeatureNames);

        Dictionary<string, HoldoutPrediction> holdout = report.HoldoutPredictions.ToDictionary(h => h.Id);
        var history = new FeatureHistory();
        float[] vector = new float[scorer.FeatureNames.Count];
        int scored = 0;
        await foreach (FeatureRecord record in new FeatureLogReader(fixture.DataDirectory).ReadRecordsAsync())
        {
            ModelScore score = scorer.Score(record, history, vector);
            if (holdout.TryGetValue(record.Id, out HoldoutPrediction? expected))
            {
                double decoded = model == TrainingModel.TpOptimizer
                    ? report.ClassLabels[expected.Onnx.ToList().IndexOf(expected.Onnx.Max())]
                    : expected.Onnx[0];
                Assert.Equal(decoded, score.ModelValue, 6);
                scored++;
            }

            history.Add(record);
        }

        Assert.Equal(holdout.Count, scored);
        Assert.Equal(model switch
        {
            TrainingModel.SignalQuality => ModelOutputKind.Probability,
            TrainingModel.TpOptimizer => ModelOutputKind.ClassLabel,
            _ => ModelOutputKind.Regression,
        }, scorer.OutputKind);
        Assert.Equal(model == TrainingModel.SignalQuality, scorer.Threshold is not null);
    }

    [Fact]
    public async Task A_decision_scored_from_its_parts_records_what_was_served_and_ml_is_never_a_training_column()
    {
        using var data = new TempDirectory();
        await using var store = new FeatureStore(TestStores.Options(data.Path));
        await store.StartAsync();
        using OnnxModelSet models = OnnxModelSet.Load(fixture.ModelsDirectory, store.History);
        Assert.Equal(4, models.Models.Count);

        ScoredDecision scored = null!;
        for (int i = 0; i < 5; i++)
        {
            scored = models.ScoreDecision("BTC",
                market: new MarketFeatures { Price = 97_000 + i, PriceChange24h = -1.5 + i, AtrPct = 1.4, FundingPercentile = 70, VolumeRatio = 1.1, LongShortRatio = 1.02 },
                session: new SessionFeatures { UtcHour = 15, IsOpenWindow = true, IsWeekend = false },
                signal: new SignalFeatures { Direction = "long", Strength = 70, Confidence = 65, Sources = ["A", "B"] },
                regime: new RegimeFeatures { VolatilityRegime = "normal", MarketRegime = "bullish" },
                timestamp: DateTimeOffset.FromUnixTimeMilliseconds(TestRecords.BaseTime + (i * 60_000L)),
                includeInputs: true);
            Assert.Equal(i < FeatureHistory.Depth && models.Models.Any(m => m.ReadsHistory), scored.ColdHistory);
            Assert.Equal("", scored.Decision.Id); // no throwaway id: the store gives it one when it is recorded
            store.Record(scored.ToRecord());
        }

        foreach (ServedScore served in scored.Scores)
        {
            Assert.Equal(models.Models.Single(m => m.Name == served.Model).FeatureNames.Count, served.Input!.Count);
        }

        await store.FlushAsync();
        FeatureRecord last = await new FeatureLogReader(data.Path).ReadRecordsAsync().LastAsync();
        JsonElement ml = last.ExtensionData![ScoredDecision.ServedKey];
        JsonElement quality = ml.GetProperty("signal_quality");
        Assert.Equal(scored.SignalQuality!.Value.ModelValue, quality.GetProperty("value").GetDouble());
        Assert.Equal(scored.SignalQuality!.Value.Value, quality.GetProperty("calibrated").GetDouble());
        Assert.Equal(models[TrainingModel.SignalQuality]!.ModelSha256, quality.GetProperty("sha256").GetString());
        Assert.Equal(scored.SignalQuality!.Value.InputHashText, quality.GetProperty("inputHash").GetString());
        Assert.False(quality.GetProperty("coldLags").GetBoolean());
        Assert.Equal(4, ml.EnumerateObject().Count());

        // No flattening rule reads ml: not in the record's columns, not in an export of every column, not a known name.
        Assert.DoesNotContain(FeatureFlattener.Flatten(last), c => c.Key.StartsWith("ml", StringComparison.Ordinal));
        TrainingExportResult export = await TrainingExporter.ExportAsync(new FeatureLogReader(data.Path), null, Path.Combine(data.Path, "export", "all.csv"));
        Assert.DoesNotContain(export.Manifest.Columns, c => c.StartsWith("ml", StringComparison.Ordinal));
        Assert.False(FeatureFlattener.IsKnownColumn("ml_signal_quality"));
        Assert.False(FeatureFlattener.IsKnownColumn("ml_signal_quality_value"));
    }

    [Fact]
    public void A_model_whose_metadata_names_a_column_the_flattener_does_not_know_is_refused_at_load()
    {
        using var copy = new TempDirectory();
        foreach (string file in Directory.GetFiles(fixture.ModelsDirectory))
        {
            File.Copy(file, Path.Combine(copy.Path, Path.GetFileName(file)));
        }

        string metadataPath = Path.Combine(copy.Path, "training_metadata.json");
        JsonNode metadata = JsonNode.Parse(File.ReadAllText(metadataPath))!;
        JsonArray features = metadata["model_inputs"]!["position_sizing"]!["features"]!.AsArray();
        features[0] = "fundingRateTypo";
        File.WriteAllText(metadataPath, metadata.ToJsonString());

        OnnxModelLoadException refused = Assert.Throws<OnnxModelLoadException>(() => OnnxModelScorer.Load(copy.Path, TrainingModel.PositionSizing));
        Assert.Contains("fundingRateTypo", refused.Message, StringComparison.Ordinal);
        Assert.Contains("does not produce", refused.Message, StringComparison.Ordinal);
        Assert.Throws<OnnxModelLoadException>(() => OnnxModelSet.Load(copy.Path, new ServingHistory()));
    }

    private int DeclaredWidth(string name)
    {
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(fixture.ModelsDirectory, "training_metadata.json")));
        return metadata.RootElement.GetProperty("model_inputs").GetProperty(name).GetProperty("n_features").GetInt32();
    }
}
