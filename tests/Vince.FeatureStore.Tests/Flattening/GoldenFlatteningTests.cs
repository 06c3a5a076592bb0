using System.Globalization;
using Vince.FeatureStore;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Flattening;

/// <summary>
/// TestData/golden holds hand-written records and the rows the Python script's rules give for them, written
/// out by hand (nothing here is produced by the code under test). What each value exercises:
/// r1 (BTC, avoided): no label, so no row, but it feeds BTC's lags; null avgSentiment.
/// r2 (ETH): object sources (−40, 20, none → mean −10, count 3), list-shaped news (mean −40, no macro),
///   execution lists skipped, high volatility, bearish; first ETH record so its lags are 0.
/// r3 (BTC): an earlier version in the file (latest wins), no session section, string sources with
///   avgSentiment 30, risk_off, extreme volatility (not "high"), wtt with missing keys → 0, rMultiple 4 → 3.
/// r4 (BTC): no signal/regime/news sections, lags from r3 and r1 (roll3 = mean of the two present),
///   rMultiple −3 → −2, MAE from outcome (7 → 5).
/// </summary>
public sealed class GoldenFlatteningTests : IDisposable
{
    private readonly TempDirectory _out = new();

    public void Dispose() => _out.Dispose();

    private static string Golden(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "golden", name);

    private static FeatureLogReader Reader() => new(Path.GetDirectoryName(Golden("signal_quality.expected.csv"))!);

    [Theory]
    [InlineData(TrainingModel.SignalQuality, "signal_quality.expected.csv")]
    [InlineData(TrainingModel.PositionSizing, "position_sizing.expected.csv")]
    public async Task Model_exports_match_the_hand_written_rows(TrainingModel model, string expectedFile)
    {
        string csv = _out.File(TrainingModels.Name(model) + ".csv");

        TrainingExportResult result = await TrainingExporter.ExportAsync(Reader(), model, csv);

        string[] expected = File.ReadAllLines(Golden(expectedFile));
        string[] actual = File.ReadAllLines(csv);
        Assert.Equal(expected[0], actual[0]);
        Assert.Equal(expected.Length, actual.Length);
        for (int row = 1; row < expected.Length; row++)
        {
            Assert.Equal(Numbers(expected[row]), Numbers(actual[row]));
        }

        Assert.Equal(expected[0].Split(',')[..^1], result.Manifest.Columns);
        Assert.Equal(3, result.Manifest.RowCount);
        Assert.Equal(4, result.Manifest.RecordCount);
    }

    [Fact]
    public async Task Tp_and_sl_labels_follow_the_rules()
    {
        string tp = _out.File("tp.csv");
        string sl = _out.File("sl.csv");
        await TrainingExporter.ExportAsync(Reader(), TrainingModel.TpOptimizer, tp);
        await TrainingExporter.ExportAsync(Reader(), TrainingModel.SlOptimizer, sl);

        string[] tpLines = File.ReadAllLines(tp);
        string[] slLines = File.ReadAllLines(sl);
        Assert.StartsWith("signal_direction_num,market_atrPct,signal_strength,signal_confidence,", tpLines[0], StringComparison.Ordinal);
        Assert.Contains(",volatility_level,market_regime_num,asset_BTC,asset_ETH,", tpLines[0], StringComparison.Ordinal);
        Assert.EndsWith(",label_optimalTpLevel", tpLines[0], StringComparison.Ordinal);
        Assert.Equal([0.0, 2, 1], tpLines[1..].Select(l => Numbers(l)[^1]));
        // r2 short → 0, r3 long → 1, r4 no signal → 0; market_regime_num: bearish −1, neutral 0, none 0
        Assert.Equal([0.0, 1, 0], tpLines[1..].Select(l => Numbers(l)[0]));
        int regimeNum = Array.IndexOf(tpLines[0].Split(','), "market_regime_num");
        Assert.Equal([-1.0, 0, 0], tpLines[1..].Select(l => Numbers(l)[regimeNum]));
        Assert.EndsWith(",label_maxAdverseExcursion", slLines[0], StringComparison.Ordinal);
        Assert.Equal([2.2, 0.3, 5], slLines[1..].Select(l => Numbers(l)[^1]));
    }

    [Fact]
    public async Task The_manifest_carries_order_label_count_and_scaling()
    {
        TrainingExportResult result = await TrainingExporter.ExportAsync(Reader(), TrainingModel.SignalQuality, _out.File("sq.csv"));

        FeatureManifest manifest = FeatureManifest.Parse(File.ReadAllBytes(result.ManifestPath));
        Assert.Equal(_out.File("feature_manifest.json"), result.ManifestPath);
        Assert.Equal("signal_quality", manifest.Model);
        Assert.Equal("label_profitable", manifest.Label);
        Assert.Equal(3, manifest.RowCount);
        Assert.Equal(result.Manifest.Columns, manifest.Columns);
        // signal_strength over the rows 70, 80, 0: mean 50, population std sqrt((400 + 900 + 2500) / 3)
        Assert.Equal(50, manifest.Scaling["signal_strength"].Mean, 12);
        Assert.Equal(Math.Sqrt(3800.0 / 3), manifest.Scaling["signal_strength"].Std, 12);
        Assert.Equal(0, manifest.Scaling["market_volumeRatio"].Std);
    }

    [Fact]
    public void Flatten_gives_the_script_columns_of_one_record()
    {
        FeatureRecord r2 = FeatureJson.Deserialize(File.ReadAllLines(Golden("features_2026-01-22_1.jsonl"))[2]);

        Dictionary<string, FeatureValue> columns = FeatureFlattener.Flatten(r2).ToDictionary(c => c.Key, c => c.Value);

        Assert.Equal("r2", columns["id"].Text);
        Assert.Equal(2000, columns["timestamp"].Number);
        Assert.Equal("ETH", columns["asset"].Text);
        Assert.Equal(-2, columns["market_priceChange24h"].Number);
        Assert.Equal("short", columns["signal_direction"].Text);
        Assert.Equal(FeatureValue.Of(true), columns["signal_hasCascadeSignal"]);
        Assert.Equal(3, columns["signal_source_count"].Number);
        Assert.Equal(-10, columns["signal_avg_sentiment"].Number);
        Assert.Equal(-40, columns["news_avg_sentiment"].Number);
        Assert.Equal(5, columns["exec_leverage"].Number);
        Assert.Equal(0.8, columns["exec_streakMultiplier"].Number);
        Assert.Equal("stop_loss", columns["outcome_exitReason"].Text);
        Assert.Equal(FeatureValue.Of(false), columns["label_profitable"]);
        Assert.Equal(-0.5, columns["label_rMultiple"].Number);
        Assert.Equal(2.2, columns["label_maxAdverseExcursion"].Number);
        Assert.Equal(1, columns["regime_bearish"].Number);
        Assert.Equal(2, columns["volatility_level"].Number);
        Assert.Equal(-1, columns["market_regime_num"].Number);
        Assert.Equal(0, columns["signal_direction_num"].Number);
        // Excluded by the rules: lists, the raw sources/factors, news keys of a list-shaped news, wtt when absent.
        Assert.DoesNotContain("exec_takeProfitPrices", columns.Keys);
        Assert.DoesNotContain("exec_takeProfitDistancesPct", columns.Keys);
        Assert.DoesNotContain("signal_sources", columns.Keys);
        Assert.DoesNotContain("signal_avgSentiment", columns.Keys);
        Assert.DoesNotContain(columns.Keys, k => k.StartsWith("news_", StringComparison.Ordinal) && k != "news_avg_sentiment" && !k.StartsWith("news_macro", StringComparison.Ordinal));
        Assert.DoesNotContain(columns.Keys, k => k.StartsWith("wtt_", StringComparison.Ordinal));
    }

    [Fact]
    public void Extension_keys_are_columns_under_the_same_rules()
    {
        FeatureRecord record = FeatureJson.Deserialize("""
            {"id":"x","timestamp":1,"asset":"SOL","market":{"liquidationPressure":3.5,"tags":["a"],"nested":{"a":1}},
             "execution":{"slippageBps":4,"fills":[1,2]},"labels":{"profitable":true,"maxAdverseExcursion":1.25},
             "outcome":{"maxAdverseExcursion":9}}
            """);

        Dictionary<string, FeatureValue> columns = FeatureFlattener.Flatten(record).ToDictionary(c => c.Key, c => c.Value);
        CompiledColumns compiled = FeatureFlattener.Compile(["market_liquidationPressure", "exec_slippageBps", "label_maxAdverseExcursion", "market_nested", "not_a_column"]);
        float[] vector = new float[5];
        compiled.Fill(record, null, vector);

        Assert.Equal(3.5, columns["market_liquidationPressure"].Number);
        Assert.Equal(4, columns["exec_slippageBps"].Number);
        Assert.Equal(1.25, columns["label_maxAdverseExcursion"].Number); // labels win over outcome
        Assert.DoesNotContain("market_tags", columns.Keys);
        Assert.DoesNotContain("exec_fills", columns.Keys);
        Assert.Equal([3.5f, 4f, 1.25f, 0f, 0f], vector);
        Assert.Equal(["not_a_column"], compiled.UnknownNames);
        Assert.True(FeatureFlattener.IsKnownColumn("market_anything_new"));
        Assert.False(FeatureFlattener.IsKnownColumn("bogus"));
    }

    [Fact]
    public async Task The_all_columns_export_writes_rfc4180_text_and_empty_missing_values()
    {
        string csv = _out.File("all.csv");
        FeatureRecord tricky = TestRecords.Complete("q,1") with { Asset = "BTC", Signal = new SignalFeatures { StrategyName = "say \"hi\", then\nleave" } };
        File.WriteAllText(_out.File("features_2026-01-22_5.jsonl"), TestRecords.Line(tricky) + "\n");

        TrainingExportResult result = await TrainingExporter.ExportAsync(new FeatureLogReader(_out.Path), null, csv);

        string content = File.ReadAllText(csv);
        Assert.Equal("all", result.Manifest.Model);
        Assert.Null(result.Manifest.Label);
        string[] header = content[..content.IndexOf('\r', StringComparison.Ordinal)].Split(',');
        Assert.Equal(["id", "timestamp", "asset"], header[..3]);
        string[] plain = header[3..].Where(c => !c.EndsWith("_lag1", StringComparison.Ordinal) && !c.EndsWith("_lag2", StringComparison.Ordinal) && !c.EndsWith("_lag3", StringComparison.Ordinal) && !c.EndsWith("_roll3", StringComparison.Ordinal)).ToArray();
        Assert.Equal(plain.Order(StringComparer.Ordinal), plain);
        Assert.Equal(plain, header[3..(3 + plain.Length)]); // lag columns last
        Assert.Contains("market_price", header);
        Assert.Contains("label_rMultiple", header);
        Assert.Contains("\"q,1\",1769100000000,BTC,", content, StringComparison.Ordinal);
        Assert.Contains(",\"say \"\"hi\"\", then\nleave\",", content, StringComparison.Ordinal);
        Assert.EndsWith("\r\n", content, StringComparison.Ordinal);
        Assert.Equal(1, result.Manifest.RowCount);
    }

    [Fact]
    public async Task A_source_out_of_time_order_is_refused()
    {
        static async IAsyncEnumerable<FeatureRecord> Unordered()
        {
            yield return TestRecords.Complete("b", 2000);
            yield return TestRecords.Complete("a", 1000);
            await Task.CompletedTask;
        }

        InvalidDataException error = await Assert.ThrowsAsync<InvalidDataException>(() => TrainingExporter.ExportAsync(_ => Unordered(), TrainingModel.SignalQuality, _out.File("x.csv")));

        Assert.Contains("timestamp order", error.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(_out.File("x.csv")));
    }

    private static double[] Numbers(string line)
        => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
