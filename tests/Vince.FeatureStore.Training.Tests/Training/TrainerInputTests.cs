using System.Text.Json;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Training.Tests.Support;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Training;

/// <summary>The trainer on too little, unusable or missing data, with invalid settings and when cancelled.</summary>
public sealed class TrainerInputTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string Data => Path.Combine(_dir.Path, "features");

    private string Models => Path.Combine(_dir.Path, "models");

    private ModelTrainingRequest Request(int minSamples = 90) => new() { FeaturesDirectory = Data, OutputDirectory = Models, MinSamples = minSamples };

    private static DotnetModelTrainer Trainer() => new(new DotnetTrainerOptions { NumberOfTrees = 10 });

    [Fact]
    public async Task Fewer_trades_than_min_samples_write_the_minimal_metadata_with_empty_model_lists()
    {
        await TradeDataSet.WriteAsync(Data, trades: 40);

        DotnetTrainingReport report = await Trainer().TrainWithReportAsync(Request());

        Assert.True(report.BelowMinSamples);
        Assert.Equal(40, report.TradesWithOutcomes);
        Assert.Empty(report.Models);
        Assert.Equal(["improvement_report.md", "training_metadata.json"], Directory.GetFiles(Models).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(Models, "training_metadata.json"));
        Assert.Empty(metadata.Warnings);
        Assert.Empty(metadata.ModelsTrained!);
        Assert.Empty(metadata.ModelsFit!);
        Assert.Equal(40, metadata.TradesWithOutcomes);
        Assert.Equal(49, metadata.TotalRecords); // 40 trades and the 9 avoided decisions between them (every fifth)
        JsonElement summary = metadata.ImprovementReport!.AdditionalProperties["data_summary"];
        Assert.Equal(90, summary.GetProperty("min_samples_required").GetInt32());
        Assert.Contains(metadata.ImprovementReport.ActionItems!, a => a.Contains("at least 90 complete trades", StringComparison.Ordinal));
        Assert.Contains("## Data summary", File.ReadAllText(Path.Combine(Models, "improvement_report.md")), StringComparison.Ordinal);

        // The scorer treats the directory as "no model".
        using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = Models, WatchForChanges = false });
        Assert.False(scorer.Score(TestRecords.Decision("x")).HasModel);
    }

    [Fact]
    public async Task Keys_null_in_every_record_and_the_scripts_extra_files_are_columns_and_rows_as_in_the_export()
    {
        await TradeDataSet.WriteAsync(Data, trades: 150);
        // The training script's extra files, as the original bot leaves them: a key present only as null (the bot's
        // metadata lists market_fundingDelta and market_priceVsSma20 at 0 % non-null) and one more complete trade.
        File.WriteAllText(Path.Combine(Data, "synthetic_features.jsonl"),
            """{"id":"0b6f3c1e-5a7d-4c2e-9f1a-2d3e4b5c6d7e","timestamp":1700000000000,"asset":"BTC","market":{"priceChange24h":1,"fundingDelta":null,"priceVsSma20":null},"signal":{"direction":"long","strength":50,"confidence":50,"sources":[{"name":"a","sentiment":10}]},"outcome":{"realizedPnl":5,"exitReason":"take_profit","maxAdverseExcursion":0.2,"trailingStopPrice":null},"labels":{"profitable":true,"rMultiple":0.5,"optimalTpLevel":0}}""" + "\n");

        DotnetTrainingReport report = await Trainer().TrainWithReportAsync(Request());

        TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(Models, "training_metadata.json"));
        IReadOnlyList<string> names = metadata.SignalQualityFeatureNames!;
        Assert.Contains("market_fundingDelta", names);
        Assert.Contains("market_priceVsSma20", names);
        string csv = Path.Combine(_dir.Path, "export", "sq.csv");
        Vince.FeatureStore.Export.TrainingExportResult export = await Vince.FeatureStore.Export.TrainingExporter.ExportAsync(
            new FeatureLogReader(Data), Vince.FeatureStore.Flattening.TrainingModel.SignalQuality, csv);
        Assert.Equal(export.Manifest.Columns, names);
        Assert.Equal(151, metadata.TradesWithOutcomes);
        Assert.Contains("signal_quality", report.Models.Select(m => m.Name));

        var realOnly = new DotnetModelTrainer(new DotnetTrainerOptions { NumberOfTrees = 10, RealOnly = true });
        string realModels = Path.Combine(_dir.Path, "real-models");
        await realOnly.TrainWithReportAsync(new ModelTrainingRequest { FeaturesDirectory = Data, OutputDirectory = realModels, MinSamples = 90 });
        TrainingMetadata real = TrainingMetadata.Load(Path.Combine(realModels, "training_metadata.json"));
        Assert.Equal(150, real.TradesWithOutcomes);
        Assert.DoesNotContain("market_fundingDelta", real.SignalQualityFeatureNames!);
    }

    [Fact]
    public async Task A_model_whose_training_rows_hold_one_class_is_skipped_and_the_others_are_trained()
    {
        await TradeDataSet.WriteAsync(Data, trades: 150, everyTradeWins: true);

        DotnetTrainingReport report = await Trainer().TrainWithReportAsync(Request());

        Assert.Contains("all profitable", report.SkippedModels["signal_quality"], StringComparison.Ordinal);
        Assert.Equal(["position_sizing", "tp_optimizer", "sl_optimizer"], report.Models.Select(m => m.Name));
        Assert.False(File.Exists(Path.Combine(Models, "signal_quality.onnx")));
        TrainingMetadata metadata = TrainingMetadata.Load(Path.Combine(Models, "training_metadata.json"));
        Assert.Equal(["position_sizing", "tp_optimizer", "sl_optimizer"], metadata.ModelsTrained);
        Assert.Null(metadata.SignalQualityFeatureNames);
        Assert.Equal(3, metadata.OnnxHashes!.Count);
        Assert.Contains("all profitable", metadata.AdditionalProperties["trainer"].GetProperty("skipped_models").GetProperty("signal_quality").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_empty_directory_is_a_clear_error()
    {
        Directory.CreateDirectory(Data);

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() => Trainer().TrainAsync(Request()));

        Assert.Contains("There is nothing to train on", error.Message, StringComparison.Ordinal);
        Assert.Contains("holds no feature log files (features_*.jsonl, synthetic_*.jsonl, combined.jsonl)", error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.GetFullPath(Data), error.Message, StringComparison.Ordinal);
        Assert.Contains("Training with ML.NET FastTree", error.TrainerOutput, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(Models, "training_metadata.json")));
    }

    [Fact]
    public async Task A_missing_directory_is_a_clear_error()
    {
        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() => Trainer().TrainAsync(Request()));

        Assert.Equal($"The features directory {Path.GetFullPath(Data)} does not exist.", error.Message);
    }

    [Fact]
    public async Task Files_without_a_valid_record_are_a_clear_error()
    {
        Directory.CreateDirectory(Data);
        File.WriteAllLines(Path.Combine(Data, "features_2026-01-22_1.jsonl"), ["not json", "{\"id\": 5}", "{\"truncated"]);

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() => Trainer().TrainAsync(Request()));

        Assert.Contains("hold no valid record (3 invalid line(s) skipped)", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_settings_are_refused_with_every_problem_named()
    {
        var options = new DotnetTrainerOptions { NumberOfTrees = 0, LearningRate = 2, HoldoutFraction = 1, StopLossQuantile = 0.3 };

        ArgumentException error = Assert.Throws<ArgumentException>(() => new DotnetModelTrainer(options));

        Assert.Contains("DotnetTrainerOptions.NumberOfTrees is 0", error.Message, StringComparison.Ordinal);
        Assert.Contains("DotnetTrainerOptions.LearningRate is 2", error.Message, StringComparison.Ordinal);
        Assert.Contains("DotnetTrainerOptions.HoldoutFraction is 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("DotnetTrainerOptions.StopLossQuantile is 0.3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Cancellation_stops_the_training()
    {
        await TradeDataSet.WriteAsync(Data, trades: 120);
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Trainer().TrainAsync(Request(), cancelled.Token));
        Assert.False(File.Exists(Path.Combine(Models, "training_metadata.json")));
    }

    [Fact]
    public async Task The_result_carries_the_output_directory_and_the_run_log()
    {
        await TradeDataSet.WriteAsync(Data, trades: 120);

        ModelTrainingResult result = await Trainer().TrainAsync(Request());

        Assert.Equal(Path.GetFullPath(Models), result.OutputDirectory);
        Assert.Contains("Read 149 records, 120 complete trades", result.Output, StringComparison.Ordinal);
        Assert.Contains("Trained signal_quality: 96 training rows, 24 holdout rows", result.Output, StringComparison.Ordinal);
        Assert.True(result.Duration > TimeSpan.Zero);
    }
}
