using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Cli.Parity;
using Vince.FeatureStore.Cli.Tests.Support;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>parity</c> on a log written by the real store and real ONNX models: it passes when the metadata lists the
/// export's columns, and fails when a model's columns are out of the training order, cannot be produced, or are
/// missing from the export, and when a value differs (a tampered export row).
/// </summary>
public sealed class ParityTests : IDisposable
{
    private const int Trades = 60;
    private readonly TempDirectory _dir = new();

    private string Data => _dir.File("features");

    private string Models => _dir.File("models");

    private static readonly TreeNode[] Trees =
    [
        new Split(4, 60f, new Leaf(-0.3f), new Leaf(0.4f)),
        new Split(20, 0f, new Leaf(0.1f), new Split(12, 12f, new Leaf(-0.05f), new Leaf(0.2f))),
    ];

    /// <summary>A real model over <paramref name="names"/> (width = their count) and its metadata.</summary>
    private void WriteModel(string[] names, Action<JsonObject>? editMetadata = null)
    {
        Directory.CreateDirectory(Models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(Trees, names.Length), Path.Combine(Models, "signal_quality.onnx"));
        JsonObject metadata = MetadataJson.For(names);
        editMetadata?.Invoke(metadata);
        metadata.Save(Path.Combine(Models, "training_metadata.json"));
    }

    private Task<CliResult> ParityAsync(params string[] extra) => Tool.RunAsync(["parity", "--data", Data, "--models", Models, .. extra]);

    [Fact]
    public async Task A_model_trained_on_the_export_columns_passes_for_every_training_row()
    {
        await TradeData.WriteAsync(Data, Trades);
        WriteModel(TradeData.SignalQualityColumns);

        CliResult result = (await ParityAsync()).Expect(0);
        Assert.Contains("records:    60 read, 48 training rows compared", result.Stdout);
        Assert.Contains("columns:    ok", result.Stdout);
        Assert.Contains("mismatches: 0", result.Stdout);
        Assert.Contains("result:     PASS", result.Stdout);
        Assert.Contains("parity: check: 100% (60/60 records)", result.Stderr);
    }

    [Fact]
    public async Task A_log_without_complete_trades_compares_nothing_and_says_which_files_it_looked_for()
    {
        Directory.CreateDirectory(Data);
        WriteModel(TradeData.SignalQualityColumns);

        CliResult result = await ParityAsync();

        Assert.Contains("0 training rows compared", result.Stdout);
        Assert.Contains("warning: no rows: the data has no record with a complete trade yet, so nothing was compared. Files: ", result.Stderr);
        Assert.Contains("features_*.jsonl, synthetic_*.jsonl, combined.jsonl", result.Stderr);
    }

    [Fact]
    public async Task Scaling_in_the_metadata_does_not_change_the_values_compared()
    {
        await TradeData.WriteAsync(Data, Trades);
        WriteModel(TradeData.SignalQualityColumns, m => m["signal_quality_scaling"] = new JsonObject
        {
            ["signal_strength"] = new JsonObject { ["mean"] = 60.0, ["std"] = 12.5 },
            ["session_utcHour"] = new JsonObject { ["mean"] = 11.5, ["std"] = 6.9 },
        });

        CliResult result = (await ParityAsync("--json")).Expect(0);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.True(json.RootElement.GetProperty("passed").GetBoolean());
        Assert.Equal(48, json.RootElement.GetProperty("rowsCompared").GetInt32());
        Assert.Equal(TradeData.SignalQualityColumns, json.RootElement.GetProperty("modelColumns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(0, json.RootElement.GetProperty("mismatchCount").GetInt64());
    }

    [Fact]
    public async Task Metadata_listing_columns_in_another_order_than_the_training_fails()
    {
        await TradeData.WriteAsync(Data, Trades);
        string[] names = [.. TradeData.SignalQualityColumns];
        (names[4], names[5]) = (names[5], names[4]); // signal_strength and signal_confidence swapped
        WriteModel(names);

        CliResult result = (await ParityAsync()).Expect(1);
        Assert.Contains("column order: model input 4 is 'signal_confidence', but in the training export's order that place holds 'signal_strength' (export column 4)", result.Stdout);
        Assert.Contains("column order: model input 5 is 'signal_strength', but in the training export's order that place holds 'signal_confidence' (export column 5)", result.Stdout);
        Assert.Contains("result:     FAIL", result.Stdout);
    }

    [Fact]
    public async Task Feature_names_no_rule_can_produce_fail()
    {
        await TradeData.WriteAsync(Data, Trades);
        string[] names = [.. TradeData.SignalQualityColumns];
        names[13] = "macro_risk_on";
        WriteModel(names);

        CliResult result = (await ParityAsync("--json")).Expect(1);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.False(json.RootElement.GetProperty("passed").GetBoolean());
        string problem = Assert.Single(json.RootElement.GetProperty("problems").EnumerateArray()).GetString()!;
        Assert.StartsWith("model column 13 'macro_risk_on'", problem);
        Assert.Contains("is produced by no flattening rule: the scorer feeds it 0", problem);
        Assert.Equal(["news_macro_risk_on"], json.RootElement.GetProperty("exportOnlyColumns").EnumerateArray().Select(c => c.GetString()));
    }

    [Fact]
    public async Task A_model_column_this_data_does_not_export_fails()
    {
        await TradeData.WriteAsync(Data, Trades);
        string[] names = [.. TradeData.SignalQualityColumns];
        names[19] = "market_dvol"; // known to the flattener, but no record has it (and asset_ETH is then export-only)
        WriteModel(names);

        CliResult result = (await ParityAsync()).Expect(1);
        Assert.Contains("model column 19 'market_dvol' is not in the training export of this data", result.Stdout);
        Assert.Contains("the export also has 1 column(s) the model does not take (a new training would add them): asset_ETH", result.Stdout);
    }

    [Fact]
    public async Task A_value_that_differs_from_the_export_row_is_reported_with_record_column_and_both_values()
    {
        await TradeData.WriteAsync(Data, Trades);
        WriteModel(TradeData.SignalQualityColumns);
        string csv = _dir.File("export/signal_quality.csv");
        var reader = new FeatureLogReader(Data);
        await TrainingExporter.ExportAsync(reader, TrainingModel.SignalQuality, csv);

        // The third training row's signal_strength as if the training had seen another value than the scorer computes.
        int third = Enumerable.Range(0, Trades).Where(TradeData.IsCompleted).ElementAt(2);
        string[] lines = File.ReadAllLines(csv);
        string[] cells = lines[3].Split(',');
        Assert.Equal((40 + (third % 50)).ToString(CultureInfo.InvariantCulture), cells[4]);
        cells[4] = "99.5";
        lines[3] = string.Join(',', cells);
        File.WriteAllLines(csv, lines);

        using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = Models, WatchForChanges = false });
        ParityReport report = await ParityChecker.CompareAsync(csv, reader.ReadRecordsAsync(), scorer, 10, null, CancellationToken.None);

        Assert.False(report.Passed);
        Assert.Empty(report.Problems);
        Assert.Equal(1, report.MismatchCount);
        Assert.Equal(1, report.RecordsWithMismatches);
        Assert.Equal(new ParityMismatch($"t-{third:D4}", "signal_strength", 4, "99.5", (40 + (third % 50)).ToString(CultureInfo.InvariantCulture)), Assert.Single(report.Mismatches));
        Assert.Equal(48, report.RowsCompared);
    }

    [Fact]
    public async Task An_export_row_of_another_record_is_reported_as_a_changed_log()
    {
        await TradeData.WriteAsync(Data, Trades);
        WriteModel(TradeData.SignalQualityColumns);
        string csv = _dir.File("export/signal_quality.csv");
        var reader = new FeatureLogReader(Data);
        await TrainingExporter.ExportAsync(reader, TrainingModel.SignalQuality, csv);
        var lines = File.ReadAllLines(csv).ToList();
        lines.RemoveAt(5); // one training row fewer: the rows after it belong to other records

        File.WriteAllLines(csv, lines);
        using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = Models, WatchForChanges = false });
        ParityReport report = await ParityChecker.CompareAsync(csv, reader.ReadRecordsAsync(), scorer, 10, null, CancellationToken.None);

        Assert.False(report.Passed);
        Assert.Contains(report.Problems, p => p.Contains("the log changed during the check", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Mismatches_are_listed_up_to_the_limit_and_all_counted()
    {
        await TradeData.WriteAsync(Data, Trades);
        WriteModel(TradeData.SignalQualityColumns);
        string csv = _dir.File("export/signal_quality.csv");
        var reader = new FeatureLogReader(Data);
        await TrainingExporter.ExportAsync(reader, TrainingModel.SignalQuality, csv);
        string[] lines = File.ReadAllLines(csv);
        for (int row = 1; row < lines.Length; row++)
        {
            string[] cells = lines[row].Split(',');
            cells[12] = "25"; // session_utcHour is never 25
            lines[row] = string.Join(',', cells);
        }

        File.WriteAllLines(csv, lines);
        using var scorer = new OnnxSignalQualityScorer(new OnnxScoringOptions { ModelsDirectory = Models, WatchForChanges = false });
        ParityReport report = await ParityChecker.CompareAsync(csv, reader.ReadRecordsAsync(), scorer, 5, null, CancellationToken.None);
        Assert.Equal(48, report.MismatchCount);
        Assert.Equal(5, report.Mismatches.Count);
        Assert.All(report.Mismatches, m => Assert.Equal(("session_utcHour", "25"), (m.Column, m.ExportValue)));
    }

    public void Dispose() => _dir.Dispose();
}
