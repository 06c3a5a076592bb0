using System.Security.Cryptography;
using System.Text.Json;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Training.Tests.Support;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Training;

/// <summary>
/// One training of 1,500 generated trades (written with the real feature store, read back from disk), inspected the
/// way its consumers read it: ONNX Runtime on the files, ML.NET on the saved models, the ONNX scorer on raw records,
/// the scorer's metadata reader.
/// </summary>
public sealed class TrainedModelSetTests(TrainedModelsFixture fixture) : IClassFixture<TrainedModelsFixture>
{
    private const double Parity = 1e-5;

    public static TheoryData<string> Models => new() { "signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer" };

    [Theory]
    [MemberData(nameof(Models))]
    public async Task Mlnet_and_onnx_runtime_agree_on_every_holdout_row(string name)
    {
        TrainedModelReport model = Assert.Single(fixture.Report.Models, m => m.Name == name);
        IReadOnlyList<string> columns = RecordVectors.FeatureNames(fixture.ModelsDirectory, name);
        Dictionary<string, float[]> vectors = (await RecordVectors.BuildAsync(fixture.DataDirectory, columns)).ToDictionary(r => r.Record.Id, r => r.Vector);
        var holdout = model.HoldoutPredictions;
        Assert.Equal(model.HoldoutRows, holdout.Count);
        Assert.True(holdout.Count >= 250, $"{holdout.Count} holdout rows");
        float[][] rows = holdout.Select(h => vectors[h.Id]).ToArray();

        // ML.NET, from the saved models (one per class for the one-versus-all model, normalised as ML.NET's OneVersusAll does).
        float[][] mlNet = name switch
        {
            "signal_quality" => MlNetModels.Predict(File(name + ".mlnet.zip"), rows, "Probability").Select(p => new[] { p }).ToArray(),
            "tp_optimizer" => OneVersusAll(model.ClassLabels.Select(c => MlNetModels.Predict(File($"{name}.{c}.mlnet.zip"), rows, "Probability")).ToArray()),
            _ => MlNetModels.Predict(File(name + ".mlnet.zip"), rows, "Score").Select(s => new[] { s }).ToArray(),
        };
        if (name == "sl_optimizer")
        {
            // The quantile offset is the ONNX base value; ML.NET's regression predicts the mean.
            double offset = model.QuantileOffset!.Value;
            Assert.True(offset > 0, $"offset {offset}");
            mlNet = mlNet.Select(v => new[] { (float)(v[0] + offset) }).ToArray();
        }

        using var onnx = new OnnxRunner(File(name + ".onnx"));
        Assert.Equal(columns.Count, onnx.Width);
        string output = name is "signal_quality" or "tp_optimizer" ? "probabilities" : "output";
        double maxDifference = 0;
        for (int i = 0; i < rows.Length; i++)
        {
            (float[] values, long? label) = onnx.Run(rows[i], output);
            float[] fromOnnx = name == "signal_quality" ? [values[1]] : values;
            Assert.Equal(mlNet[i].Length, fromOnnx.Length);
            for (int k = 0; k < fromOnnx.Length; k++)
            {
                Assert.True(Math.Abs(fromOnnx[k] - mlNet[i][k]) <= Parity, $"{name} row {holdout[i].Id} output {k}: ONNX {fromOnnx[k]}, ML.NET {mlNet[i][k]}");
                maxDifference = Math.Max(maxDifference, Math.Abs(fromOnnx[k] - mlNet[i][k]));

                // What the trainer reported is what the files compute.
                Assert.Equal(holdout[i].Onnx[k], fromOnnx[k]);
                Assert.Equal(holdout[i].MlNet[k], mlNet[i][k], 6);
            }

            if (name == "signal_quality")
            {
                Assert.Equal(1f, values[0] + values[1], 5);
                Assert.Equal(values[1] >= 0.5f ? 1 : 0, label);
            }
            else if (name == "tp_optimizer")
            {
                Assert.Equal(1f, values.Sum(), 5);
                Assert.Equal(model.ClassLabels[Array.IndexOf(values, values.Max())], label);
            }
        }

        Assert.True(maxDifference <= model.MaxOnnxDifference, $"the trainer checked {model.MaxOnnxDifference}, the holdout differs by {maxDifference}");
    }

    [Theory]
    [MemberData(nameof(Models))]
    public async Task The_training_rows_are_the_training_exporters_rows(string name)
    {
        // The CSV export of the same log (the core's TrainingExporter) has the model's columns in the same order, and its
        // last rows are the holdout with the same labels.
        TrainedModelReport model = Assert.Single(fixture.Report.Models, m => m.Name == name);
        Assert.True(TrainingModels.TryParse(name, out TrainingModel parsed));
        string csv = Path.Combine(fixture.ModelsDirectory, "..", "export-" + name, "train.csv");
        Vince.FeatureStore.Export.TrainingExportResult export = await Vince.FeatureStore.Export.TrainingExporter.ExportAsync(new FeatureLogReader(fixture.DataDirectory), parsed, csv);

        Assert.Equal(RecordVectors.FeatureNames(fixture.ModelsDirectory, name), export.Manifest.Columns);
        Assert.Equal(model.TrainingRows + model.HoldoutRows, export.Manifest.RowCount);
        string[] holdoutLines = System.IO.File.ReadAllLines(csv).TakeLast(model.HoldoutRows).ToArray();
        Dictionary<string, float[]> vectors = (await RecordVectors.BuildAsync(fixture.DataDirectory, export.Manifest.Columns)).ToDictionary(r => r.Record.Id, r => r.Vector);
        for (int i = 0; i < holdoutLines.Length; i++)
        {
            double[] fields = holdoutLines[i].Split(',').Select(f => double.Parse(f, System.Globalization.CultureInfo.InvariantCulture)).ToArray();
            Assert.Equal(model.HoldoutPredictions[i].Label, fields[^1]);
            Assert.Equal(vectors[model.HoldoutPredictions[i].Id], fields[..^1].Select(f => (float)f).ToArray());
        }
    }

    [Fact]
    public async Task The_holdout_is_the_newest_fifth_of_each_models_rows()
    {
        List<(FeatureRecord Record, float[] _)> records = await RecordVectors.BuildAsync(fixture.DataDirectory, []);
        foreach (TrainedModelReport model in fixture.Report.Models)
        {
            var labelled = records.Where(r => TrainingModels.LabelOf(model.Model, r.Record) is not null).Select(r => r.Record.Id).ToList();
            int holdout = labelled.Count - (int)(labelled.Count * 0.8);
            Assert.Equal(labelled.Count - holdout, model.TrainingRows);
            Assert.Equal(labelled.TakeLast(holdout), model.HoldoutPredictions.Select(h => h.Id));
        }
    }

    [Fact]
    public async Task Signal_quality_learns_the_known_signal()
    {
        TrainedModelReport model = Assert.Single(fixture.Report.Models, m => m.Model == TrainingModel.SignalQuality);
        Assert.True(model.HoldoutMetrics["holdout_auc"] > 0.7, $"holdout AUC {model.HoldoutMetrics["holdout_auc"]}");

        // Recompute the AUC from the holdout rows themselves, and check the model ranks the generator's rule.
        Dictionary<string, FeatureRecord> records = (await RecordVectors.BuildAsync(fixture.DataDirectory, [])).ToDictionary(r => r.Record.Id, r => r.Record);
        var rows = model.HoldoutPredictions.Select(h => (Label: h.Label > 0.5, P: (double)h.Onnx[0], Record: records[h.Id])).ToList();
        Assert.All(rows, r => Assert.Equal(r.Record.Labels!.Profitable, r.Label));
        double auc = PairwiseAuc(rows.Select(r => (r.Label, r.P)).ToList());
        Assert.Equal(auc, model.HoldoutMetrics["holdout_auc"], 9);
        double withEdge = rows.Where(r => TradeDataSet.HasEdge(r.Record.Signal!.Strength!.Value, r.Record.Market!.FundingPercentile!.Value)).Average(r => r.P);
        double without = rows.Where(r => !TradeDataSet.HasEdge(r.Record.Signal!.Strength!.Value, r.Record.Market!.FundingPercentile!.Value)).Average(r => r.P);
        Assert.True(withEdge > without + 0.3, $"mean P(profitable) with the edge {withEdge:F3}, without {without:F3}");
    }

    [Fact]
    public void The_other_models_beat_their_baselines()
    {
        TrainedModelReport sizing = Assert.Single(fixture.Report.Models, m => m.Model == TrainingModel.PositionSizing);
        Assert.True(sizing.HoldoutMetrics["holdout_mae"] < sizing.HoldoutMetrics["holdout_baseline_mae"], string.Join(", ", sizing.HoldoutMetrics));

        // The stop-loss model predicts a high quantile: most holdout excursions stay below it.
        TrainedModelReport stop = Assert.Single(fixture.Report.Models, m => m.Model == TrainingModel.SlOptimizer);
        int covered = stop.HoldoutPredictions.Count(h => h.Label <= h.Onnx[0]);
        Assert.Equal(covered / (double)stop.HoldoutRows, stop.HoldoutMetrics["holdout_coverage"], 12);
        Assert.InRange(stop.HoldoutMetrics["holdout_coverage"], 0.85, 1.0);
        Assert.All(stop.HoldoutPredictions, h => Assert.InRange(h.Label, 0, 5));

        TrainedModelReport tp = Assert.Single(fixture.Report.Models, m => m.Model == TrainingModel.TpOptimizer);
        Assert.Equal([0L, 1, 2, 3], tp.ClassLabels);
        double majority = tp.HoldoutPredictions.GroupBy(h => h.Label).Max(g => g.Count()) / (double)tp.HoldoutRows;
        Assert.True(tp.HoldoutMetrics["holdout_accuracy"] >= majority - 0.05, $"accuracy {tp.HoldoutMetrics["holdout_accuracy"]}, majority class {majority}");
    }

    [Fact]
    public async Task The_onnx_scorer_fed_raw_records_reproduces_the_holdout_predictions_exactly()
    {
        TrainedModelReport model = Assert.Single(fixture.Report.Models, m => m.Model == TrainingModel.SignalQuality);
        Dictionary<string, HoldoutPrediction> holdout = model.HoldoutPredictions.ToDictionary(h => h.Id);
        (double scale, double intercept) = model.Calibration!.Value;
        using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = fixture.ModelsDirectory, WatchForChanges = false });
        Assert.NotNull(scorer.Model);
        Assert.Equal("probabilities", scorer.Model!.OutputName);
        Assert.Equal(1, scorer.Model.OutputColumn);
        Assert.Empty(scorer.Model.Repairs);
        Assert.Equal(model.SuggestedThreshold, scorer.Model.Threshold);

        // The scorer's own loop: every record in decision-time order, scored with the history of the earlier ones.
        var history = new FeatureHistory();
        int scored = 0;
        await foreach (FeatureRecord record in new FeatureLogReader(fixture.DataDirectory).ReadRecordsAsync())
        {
            SignalQualityScore score = scorer.Score(record, history);
            if (holdout.TryGetValue(record.Id, out HoldoutPrediction? expected))
            {
                Assert.Equal((double)expected.Onnx[0], score.ModelProbability);
                Assert.True(Math.Abs(expected.MlNet[0] - score.ModelProbability) <= Parity);
                Assert.Equal(1 / (1 + Math.Exp(-((scale * score.ModelProbability) + intercept))), score.Probability, 12);
                scored++;
            }

            history.Add(record);
        }

        Assert.Equal(holdout.Count, scored);
    }

    [Fact]
    public void The_metadata_is_read_by_the_scorers_reader_with_every_key_of_the_script()
    {
        string path = File("training_metadata.json");
        TrainingMetadata metadata = TrainingMetadata.Load(path);
        Assert.Empty(metadata.Warnings);
        string[] all = ["signal_quality", "position_sizing", "tp_optimizer", "sl_optimizer"];
        Assert.Equal(all, metadata.ModelsTrained);
        Assert.Equal(all, metadata.ModelsFit);
        Assert.Equal(TrainedModelsFixture.Trades, metadata.TradesWithOutcomes);
        Assert.True(metadata.TotalRecords > TrainedModelsFixture.Trades);
        Assert.NotNull(metadata.TrainedAtLocal);
        Assert.Equal(fixture.DataDirectory, metadata.DataFile);
        foreach (string name in all)
        {
            // The hash the scorer verifies is the file's.
            Assert.Equal(Convert.ToHexString(SHA256.HashData(System.IO.File.ReadAllBytes(File(name + ".onnx")))).ToLowerInvariant(), metadata.HashOf(name));
        }

        IReadOnlyList<string> names = RecordVectors.FeatureNames(fixture.ModelsDirectory, "signal_quality");
        Assert.Equal(names, metadata.SignalQualityFeatureNames);
        Assert.Equal(names.Count, metadata.SignalQualityInputDim);
        Assert.Null(metadata.SignalQualityScaling);

        ImprovementReport report = metadata.ImprovementReport!;
        Assert.Equal(all.Order(StringComparer.Ordinal), report.FeatureImportances!.Keys.Order(StringComparer.Ordinal));
        Assert.Equal(1.0, report.FeatureImportances["signal_quality"].Values.Sum(), 6);
        Assert.InRange(report.SuggestedSignalQualityThreshold!.Value, 0.3, 0.8);
        Assert.NotNull(report.SignalQualityCalibration);
        Assert.NotEmpty(report.TpLevelPerformance!);
        Assert.NotNull(report.SuggestedTuning?.MinStrength);
        Assert.NotEmpty(report.ActionItems!);
        JsonElement holdout = report.HoldoutMetrics!.Value;
        Assert.True(holdout.GetProperty("signal_quality").GetProperty("holdout_auc").GetDouble() > 0.7);
        Assert.True(holdout.GetProperty("position_sizing").TryGetProperty("holdout_mae", out _));
        Assert.True(holdout.GetProperty("tp_optimizer").TryGetProperty("holdout_log_loss", out _));
        Assert.True(holdout.GetProperty("sl_optimizer").TryGetProperty("holdout_quantile_loss", out _));
        Assert.Equal(JsonValueKind.Object, report.DecisionDriversByDirection!.Value.GetProperty("long").ValueKind);
        Assert.Equal(JsonValueKind.Array, report.SuggestedSignalFactors!.Value.ValueKind);

        // Per model: the column list and the statement that inputs are raw.
        JsonElement inputs = metadata.AdditionalProperties["model_inputs"];
        foreach (string name in all)
        {
            JsonElement model = inputs.GetProperty(name);
            Assert.Equal("none", model.GetProperty("scaling").GetString());
            Assert.Equal(RecordVectors.FeatureNames(fixture.ModelsDirectory, name), model.GetProperty("features").EnumerateArray().Select(e => e.GetString()));
        }

        string markdown = System.IO.File.ReadAllText(File("improvement_report.md"));
        Assert.Contains("# Parameter Improvement Report", markdown, StringComparison.Ordinal);
        Assert.Contains("## Holdout metrics", markdown, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Models))]
    public void Each_features_file_matches_its_model(string name)
    {
        using JsonDocument document = JsonDocument.Parse(System.IO.File.ReadAllBytes(File(name + "_features.json")));
        Assert.Equal(name, document.RootElement.GetProperty("model").GetString());
        int count = document.RootElement.GetProperty("n_features").GetInt32();
        Assert.Equal(count, document.RootElement.GetProperty("features").GetArrayLength());
        using var onnx = new OnnxRunner(File(name + ".onnx"));
        Assert.Equal(count, onnx.Width);
        Assert.Equal(name is "signal_quality" or "tp_optimizer" ? ["output", "probabilities"] : ["output"], onnx.OutputNames);
        Assert.All(document.RootElement.GetProperty("features").EnumerateArray(), f => Assert.True(FeatureFlattener.IsKnownColumn(f.GetString()!), f.GetString()));
    }

    private string File(string name) => Path.Combine(fixture.ModelsDirectory, name);

    private static float[][] OneVersusAll(float[][] perClass)
    {
        int rows = perClass[0].Length;
        var result = new float[rows][];
        for (int i = 0; i < rows; i++)
        {
            double sum = perClass.Sum(c => (double)c[i]);
            result[i] = perClass.Select(c => (float)(c[i] / sum)).ToArray();
        }

        return result;
    }

    /// <summary>AUC by counting pairs: P(score of a positive > score of a negative), ties half.</summary>
    private static double PairwiseAuc(List<(bool Label, double Score)> rows)
    {
        double wins = 0;
        long pairs = 0;
        foreach ((bool _, double positive) in rows.Where(r => r.Label))
        {
            foreach ((bool _, double negative) in rows.Where(r => !r.Label))
            {
                wins += positive > negative ? 1 : positive == negative ? 0.5 : 0;
                pairs++;
            }
        }

        return wins / pairs;
    }
}
