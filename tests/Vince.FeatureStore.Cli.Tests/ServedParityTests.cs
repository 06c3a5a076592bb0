using System.Text.Json;
using System.Text.Json.Nodes;
using Vince.FeatureStore.Cli.Tests.Support;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>parity --served</c> and <c>score --records</c> on a log a real store wrote while a real ONNX model set (trees run by
/// ONNX Runtime) scored every decision from its parts against the store's serving history.
/// </summary>
public sealed class ServedParityTests : IDisposable
{
    private const int Decisions = 40;
    private readonly TempDirectory _dir = new();

    public ServedParityTests()
    {
        Directory.CreateDirectory(Models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), Path.Combine(Models, "signal_quality.onnx"));
        MetadataJson.For(SignalQualityRecords.FeatureNames, threshold: 0.55, calibration: (1.3, -0.2)).Save(Path.Combine(Models, "training_metadata.json"));
    }

    public void Dispose() => _dir.Dispose();

    private string Models => _dir.File("models");

    private string Data => _dir.File("features");

    /// <summary>Serves <see cref="Decisions"/> decisions on two assets (avoided when the model fails them, traded and completed otherwise).</summary>
    private async Task<List<FeatureRecord>> ServeAsync()
    {
        await using var store = new FeatureStore(TestStores.Options(Data), []);
        await store.StartAsync();
        using OnnxModelSet models = OnnxModelSet.Load(Models, store.History);
        for (int i = 0; i < Decisions; i++)
        {
            FeatureRecord parts = SignalQualityRecords.Decision(i, i % 3 == 2 ? "ETH" : "BTC", priceChange: -2 + (0.17 * (i % 23)), strength: 50 + (i % 40));
            ScoredDecision scored = models.ScoreDecision(parts.Asset, parts.Market, parts.Session, parts.Signal, parts.Regime, parts.News,
                timestamp: DateTimeOffset.FromUnixTimeMilliseconds(parts.Timestamp));
            if (!scored.Passes || i % 5 == 0) // every fifth avoided for another reason: both paths keep what was served
            {
                store.Record(scored.ToAvoided(scored.Passes ? "max open positions reached" : "signal quality below threshold"));
                continue;
            }

            string id = store.Record(scored.ToRecord());
            if (i % 4 != 0)
            {
                store.RecordOutcome(id, new OutcomeFeatures { RealizedPnl = (i % 5) - 2, ExitReason = "take_profit" });
            }
        }

        await store.FlushAsync();
        var records = new List<FeatureRecord>();
        await foreach (FeatureRecord record in new FeatureLogReader(Data).ReadRecordsAsync())
        {
            records.Add(record);
        }

        return records;
    }

    [Fact]
    public async Task The_untouched_log_passes_with_every_served_score_compared()
    {
        List<FeatureRecord> records = await ServeAsync();
        Assert.Equal(Decisions, records.Count);
        Assert.Contains(records, r => r.Avoided is not null);
        Assert.Contains(records, r => r.Avoided is null);

        CliResult result = (await Tool.RunAsync("parity", "--served", "--data", Data, "--models", Models, "--json")).Expect(0);

        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        JsonElement root = json.RootElement;
        Assert.True(root.GetProperty("passed").GetBoolean());
        Assert.Equal(Decisions, root.GetProperty("recordsWithServedScores").GetInt32());
        Assert.Equal(Decisions, root.GetProperty("recordsCompared").GetInt32());
        Assert.Equal(Decisions, root.GetProperty("scoresCompared").GetInt32());
        Assert.Equal(0, root.GetProperty("differenceCount").GetInt64());
        // The first three decisions of each asset were served with a missing lag.
        Assert.Equal(2 * 3, root.GetProperty("coldHistoryScores").GetInt32());
        Assert.Equal(records.Count(ColdServed), root.GetProperty("coldHistoryScores").GetInt32());

        CliResult text = (await Tool.RunAsync("parity", "--served", "--data", Data, "--models", Models)).Expect(0);
        Assert.Contains($"compared:      {Decisions} records, {Decisions} scores", text.Stdout);
        Assert.Contains("cold history:  6 scores in 6 records", text.Stdout);
        Assert.Contains("differences:   0", text.Stdout);
        Assert.Contains("result:        PASS", text.Stdout);
    }

    [Fact]
    public async Task A_tampered_served_value_fails_with_exit_1_and_is_listed()
    {
        List<FeatureRecord> records = await ServeAsync();
        FeatureRecord target = records[10];
        double served = Served(target)["value"]!.GetValue<double>();
        Rewrite(target.Id, ml => ml["value"] = served + 0.01);

        CliResult result = (await Tool.RunAsync("parity", "--served", "--data", Data, "--models", Models)).Expect(1);

        Assert.Contains("differences:   1 in 1 record(s)", result.Stdout);
        Assert.Matches($@"{target.Id}\s+signal_quality\s+value\s+", result.Stdout);
        Assert.Contains("result:        FAIL: served scores differ from their recomputation", result.Stdout);
    }

    [Fact]
    public async Task A_tampered_input_hash_fails()
    {
        List<FeatureRecord> records = await ServeAsync();
        Rewrite(records[20].Id, ml => ml["inputHash"] = "0123456789abcdef");

        CliResult result = (await Tool.RunAsync("parity", "--served", "--data", Data, "--models", Models, "--json")).Expect(1);

        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        JsonElement difference = Assert.Single(json.RootElement.GetProperty("differences").EnumerateArray());
        Assert.Equal("inputHash", difference.GetProperty("field").GetString());
        Assert.Equal(records[20].Id, difference.GetProperty("recordId").GetString());
    }

    [Fact]
    public async Task A_score_naming_a_model_the_set_does_not_hold_is_reported_as_not_available_and_fails()
    {
        List<FeatureRecord> records = await ServeAsync();
        string other = new('a', 64);
        Rewrite(records[5].Id, ml => ml["sha256"] = other);

        CliResult result = (await Tool.RunAsync("parity", "--served", "--data", Data, "--models", Models)).Expect(1);

        Assert.Contains("not available: 1 scores name a model the given sets do not hold (model not available):", result.Stdout);
        Assert.Contains($"sha256 {other}: 1 scores", result.Stdout);
        Assert.Contains($"compared:      {Decisions - 1} records", result.Stdout);
        Assert.Contains("differences:   0", result.Stdout);
    }

    [Fact]
    public async Task Score_records_scores_every_record_in_one_process_as_serving_did()
    {
        List<FeatureRecord> records = await ServeAsync();

        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--records", Data, "--json")).Expect(0);

        string[] lines = result.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(records.Count, lines.Length);
        for (int i = 0; i < lines.Length; i++)
        {
            using JsonDocument line = JsonDocument.Parse(lines[i]);
            JsonElement score = line.RootElement.GetProperty("scores").GetProperty("signal_quality");
            JsonObject served = Served(records[i]);
            Assert.Equal(records[i].Id, line.RootElement.GetProperty("id").GetString());
            Assert.Equal(served["inputHash"]!.GetValue<string>(), score.GetProperty("inputHash").GetString());
            Assert.Equal(served["calibrated"]!.GetValue<double>(), score.GetProperty("value").GetDouble(), 12);
            Assert.Equal(served["coldLags"]!.GetValue<bool>(), line.RootElement.GetProperty("coldHistory").GetBoolean());
        }

        Assert.Contains("scored 40 records, 6 with cold history", result.Stderr);

        CliResult text = (await Tool.RunAsync("score", "--models", Models, "--records", Directory.GetFiles(Data, "features_*.jsonl").Single())).Expect(0);
        string[] textLines = text.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(records.Count, textLines.Length);
        Assert.StartsWith(records[0].Id + " BTC ", textLines[0], StringComparison.Ordinal);
        Assert.EndsWith(" cold-history", textLines[0], StringComparison.Ordinal);
        Assert.DoesNotContain("cold-history", textLines[^1], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Score_records_refuses_record_and_history_with_it()
    {
        CliResult result = (await Tool.RunAsync("score", "--models", Models, "--records", Data, "--history", Data)).Expect(2);
        Assert.Contains("--records", result.Stderr);
    }

    private static bool ColdServed(FeatureRecord record) => Served(record)["coldLags"]!.GetValue<bool>();

    private static JsonObject Served(FeatureRecord record)
        => JsonNode.Parse(record.ExtensionData![ScoredDecision.ServedKey].GetRawText())!["signal_quality"]!.AsObject();

    /// <summary>Edits <c>ml.signal_quality</c> of every line of <paramref name="id"/> in the log.</summary>
    private void Rewrite(string id, Action<JsonObject> edit)
    {
        string file = Directory.GetFiles(Data, "features_*.jsonl").Single();
        string[] lines = File.ReadAllLines(file);
        int edited = 0;
        for (int i = 0; i < lines.Length; i++)
        {
            JsonObject line = JsonNode.Parse(lines[i])!.AsObject();
            if (line["id"]!.GetValue<string>() == id)
            {
                edit(line["ml"]!["signal_quality"]!.AsObject());
                lines[i] = line.ToJsonString();
                edited++;
            }
        }

        Assert.NotEqual(0, edited);
        File.WriteAllLines(file, lines);
    }
}
