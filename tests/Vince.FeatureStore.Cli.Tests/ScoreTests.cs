using System.Globalization;
using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>score</c> with a real ONNX model (hand-written trees run by ONNX Runtime): the printed vector is the hand-written
/// row, and the probability is the trees walked by hand, calibrated by hand.
/// </summary>
public sealed class ScoreTests : IDisposable
{
    private const double Scale = 1.3;
    private const double Intercept = -0.2;
    private readonly TempDirectory _dir = new();

    public ScoreTests()
    {
        Directory.CreateDirectory(Models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), Path.Combine(Models, "signal_quality.onnx"));
        MetadataJson.For(SignalQualityRecords.FeatureNames, threshold: 0.55, calibration: (Scale, Intercept)).Save(Path.Combine(Models, "training_metadata.json"));
    }

    private string Models => _dir.File("models");

    private static FeatureRecord Scored => SignalQualityRecords.Decision(10, "BTC", priceChange: -1.5);

    private string WriteRecord(FeatureRecord record)
    {
        string path = _dir.File("record.json");
        File.WriteAllText(path, FeatureJson.Serialize(record));
        return path;
    }

    /// <summary>Earlier records of both assets and one later BTC record, written by the real store.</summary>
    private async Task<string> WriteHistoryAsync()
    {
        string data = _dir.File("features");
        await using var store = new FeatureStore(TestStores.Options(data), []);
        await store.StartAsync();
        store.Record(SignalQualityRecords.Decision(7, "BTC", priceChange: -2.5));
        store.Record(SignalQualityRecords.Decision(8, "ETH", priceChange: 0.4));
        store.Record(SignalQualityRecords.Decision(9, "BTC", priceChange: -0.7));
        store.Record(SignalQualityRecords.Decision(11, "BTC", priceChange: 3.0)); // after the scored record: ignored
        await store.FlushAsync();
        return data;
    }

    private static double Calibrated(float[] vector)
        => 1 / (1 + Math.Exp(-((Scale * OnnxModels.Probability(SignalQualityRecords.Trees, vector)) + Intercept)));

    private static void AssertJsonScore(string stdout, float[] expectedVector)
    {
        using JsonDocument json = JsonDocument.Parse(stdout);
        JsonElement root = json.RootElement;
        JsonElement[] features = root.GetProperty("features").EnumerateArray().ToArray();
        Assert.Equal(SignalQualityRecords.FeatureNames, features.Select(f => f.GetProperty("name").GetString()));
        Assert.Equal(expectedVector, features.Select(f => f.GetProperty("value").GetSingle()));
        Assert.Equal(expectedVector, features.Select(f => f.GetProperty("modelInput").GetSingle())); // no scaling in this metadata
        Assert.Equal(OnnxModels.Probability(SignalQualityRecords.Trees, expectedVector), root.GetProperty("modelProbability").GetDouble(), 6);
        double probability = Calibrated(expectedVector);
        Assert.Equal(probability, root.GetProperty("probability").GetDouble(), 6);
        Assert.True(root.GetProperty("calibrated").GetBoolean());
        Assert.Equal(0.55, root.GetProperty("threshold").GetDouble());
        Assert.Equal("Metadata", root.GetProperty("thresholdSource").GetString());
        Assert.Equal(probability >= 0.55 ? "pass" : "fail", root.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task With_a_history_directory_the_lag_columns_come_from_the_earlier_records_of_the_asset()
    {
        string history = await WriteHistoryAsync();
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored), "--history", history, "--json")).Expect(0);

        float[] expected = SignalQualityRecords.ExpectedVector(Scored, -0.7, -2.5);
        AssertJsonScore(result.Stdout, expected);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(3, json.RootElement.GetProperty("history").GetProperty("records").GetInt32());
        Assert.Equal(2, json.RootElement.GetProperty("history").GetProperty("assetRecordsUsed").GetInt32());
        Assert.Equal(Scored.Id, json.RootElement.GetProperty("record").GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_history_jsonl_file_gives_the_same_score_as_its_directory()
    {
        string history = await WriteHistoryAsync();
        string file = Directory.GetFiles(history, "features_*.jsonl").Single();
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored), "--history", file, "--json")).Expect(0);
        AssertJsonScore(result.Stdout, SignalQualityRecords.ExpectedVector(Scored, -0.7, -2.5));
    }

    [Fact]
    public async Task Without_history_the_lags_are_0_and_the_text_output_says_so()
    {
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored))).Expect(0);
        float[] expected = SignalQualityRecords.ExpectedVector(Scored);
        Assert.Contains("history:     none given (--history): the lag columns of BTC are 0", result.Stdout);
        Assert.Contains($"input vector ({expected.Length} columns, in the model's order):", result.Stdout);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Matches($@"(?m)^\s+{i}\s+{SignalQualityRecords.FeatureNames[i]}\s+{expected[i].ToString("R", CultureInfo.InvariantCulture).Replace(".", @"\.", StringComparison.Ordinal)}$", result.Stdout);
        }

        double probability = Calibrated(expected);
        Assert.Contains($"probability: {probability.ToString("0.######", CultureInfo.InvariantCulture)} (calibrated (Platt scale 1.3, intercept -0.2)", result.Stdout);
        Assert.Contains("threshold:   0.55 (from the metadata's suggested_signal_quality_threshold)", result.Stdout);
        Assert.Contains($"decision:    {(probability >= 0.55 ? "pass" : "fail")}", result.Stdout);
    }

    [Fact]
    public async Task The_threshold_option_wins_over_the_metadata()
    {
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored), "--threshold", "0.999", "--json")).Expect(0);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        Assert.Equal(0.999, json.RootElement.GetProperty("threshold").GetDouble());
        Assert.Equal("Options", json.RootElement.GetProperty("thresholdSource").GetString());
        Assert.Equal("fail", json.RootElement.GetProperty("decision").GetString());
    }

    [Fact]
    public async Task Feature_names_no_rule_produces_are_marked_as_fed_0()
    {
        string[] names = [.. SignalQualityRecords.FeatureNames];
        names[14] = "rsi_fourteen";
        MetadataJson.For(names).Save(Path.Combine(Models, "training_metadata.json"));
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored))).Expect(0);
        Assert.Matches(@"14\s+rsi_fourteen \(unknown column: fed 0\)\s+0", result.Stdout);
        Assert.Contains("warning:", result.Stderr); // the scorer's own load warning, through the tool's logger
    }

    [Fact]
    public async Task No_model_and_bad_record_files_fail_with_exit_1()
    {
        string empty = _dir.File("empty-models");
        Directory.CreateDirectory(empty);
        CliResult noModel = (await Tool.RunAsync("score", "--models", empty, "--record", WriteRecord(Scored))).Expect(1);
        Assert.Contains($"no model: {Path.Combine(empty, "signal_quality.onnx")} does not exist", noModel.Stderr);

        string bad = _dir.File("bad.json");
        File.WriteAllText(bad, "{\"id\": \"x\", \"timestamp\": ");
        CliResult badRecord = (await Tool.RunAsync("score", "--models", Models, "--record", bad)).Expect(1);
        Assert.Contains($"{bad} is not one feature record (a single JSON object)", badRecord.Stderr);

        File.WriteAllText(Path.Combine(Models, "signal_quality.onnx"), "not a model");
        CliResult corrupt = (await Tool.RunAsync("score", "--models", Models, "--record", WriteRecord(Scored))).Expect(1);
        Assert.Contains("vince-features score: error:", corrupt.Stderr);
        Assert.Contains("signal_quality.onnx", corrupt.Stderr);
    }

    public void Dispose() => _dir.Dispose();
}
