using System.Globalization;
using Vince.FeatureStore;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Testing;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Compatibility;

/// <summary>
/// TestData/original-bot is a data directory as the TypeScript/Python bot leaves it, written by hand from its description:
/// the bot's own <c>features_2026-01-18_1768700000000.jsonl</c>, the script's <c>synthetic_features.jsonl</c> and
/// <c>combined.jsonl</c>; UUID ids and one <c>&lt;ms&gt;-&lt;base36&gt;</c> id, object-shaped <c>signal.sources</c>,
/// list-shaped <c>news</c>, a float timestamp, <c>signal.avgSentiment</c> null except in R4, and keys null in every record (<c>market.fundingDelta</c>,
/// <c>market.priceVsSma20</c>, <c>market.rsi14</c>, <c>outcome.trailingStopPrice</c>, <c>news.nasdaqChange</c>,
/// <c>news.macroRiskEnvironment</c>). The expected CSVs beside them are the script's rows, written out by hand:
/// R1 (real, BTC): object sources (40, −10 → 15), news list (30), first record so lags 0.
/// R2 (synthetic, avoided; completed in combined.jsonl, which is read last and wins): sources without sentiment → 0.
/// R3 (synthetic): float timestamp and utcHour, sources (−50, none → −50), news (−20, −40 → −30), lags R2, R1.
/// R4 (combined): string sources with avgSentiment 12, object news whose keys are all null (their columns and the
///   macro dummies exist, 0), no session; lags R3, R2, R1 (roll3 0).
/// </summary>
public sealed class OriginalBotDataTests : IDisposable
{
    private static readonly string Data = Path.Combine(AppContext.BaseDirectory, "TestData", "original-bot");

    private readonly TempDirectory _out = new();

    public void Dispose() => _out.Dispose();

    private static string Expected(string name) => Path.Combine(Data, name);

    [Theory]
    [InlineData(false, "signal_quality.expected.csv", 4)]
    [InlineData(true, "signal_quality.real-only.expected.csv", 1)]
    public async Task The_signal_quality_export_reads_the_scripts_files_and_keeps_all_null_columns(bool realOnly, string expectedFile, int records)
    {
        var reader = new FeatureLogReader(Data, new FeatureLogReaderOptions { RealOnly = realOnly });

        TrainingExportResult result = await TrainingExporter.ExportAsync(reader, TrainingModel.SignalQuality, _out.File("sq.csv"));

        string[] expected = File.ReadAllLines(Expected(expectedFile));
        string[] actual = File.ReadAllLines(result.CsvPath);
        Assert.Equal(expected[0], actual[0]);
        Assert.Equal(expected.Length, actual.Length);
        for (int row = 1; row < expected.Length; row++)
        {
            Assert.Equal(Numbers(expected[row]), Numbers(actual[row]));
        }

        Assert.Equal(records, result.Manifest.RecordCount);
        Assert.Equal(expected.Length - 1, result.Manifest.RowCount);
    }

    [Fact]
    public async Task The_files_are_read_in_the_scripts_order_and_the_version_read_last_wins()
    {
        var reader = new FeatureLogReader(Data);

        Assert.Equal(["features_2026-01-18_1768700000000.jsonl", "synthetic_features.jsonl", "combined.jsonl"], reader.GetFiles().Select(Path.GetFileName));
        List<FeatureRecord> records = await reader.ReadRecordsAsync().ToListAsync();
        Assert.Equal(
            ["3f2b8c1a-9d4e-4f6a-b1c2-7e8d9f0a1b2c", "a7c4e2f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f", "1768700180000-k3j9x0a2b"],
            records.Select(r => r.Id));
        FeatureRecord r2 = records[1];
        Assert.Null(r2.Avoided);           // the synthetic file's version is superseded by combined.jsonl's
        Assert.Equal(12, r2.Outcome!.RealizedPnl);
        Assert.Equal(1_768_700_120_000, records[2].Timestamp);
        Assert.Equal(4, await reader.CountCompleteAsync()); // R2 completed in combined.jsonl

        FeatureLogSummary realOnly = await new FeatureLogReader(Data, new FeatureLogReaderOptions { RealOnly = true }).GetSummaryAsync();
        Assert.Equal(1, realOnly.Records);
        Assert.Equal(2, realOnly.Versions);
    }

    [Fact]
    public async Task The_all_columns_export_has_a_column_for_every_key_even_when_null_in_every_record()
    {
        TrainingExportResult result = await TrainingExporter.ExportAsync(new FeatureLogReader(Data), null, _out.File("all.csv"));

        string[] lines = File.ReadAllLines(result.CsvPath);
        string[] header = lines[0].Split(',');
        foreach (string column in new[] { "outcome_trailingStopPrice", "market_fundingDelta", "market_priceVsSma20", "market_rsi14", "news_nasdaqChange", "news_macroRiskEnvironment" })
        {
            Assert.Contains(column, header);
        }

        int trailing = Array.IndexOf(header, "outcome_trailingStopPrice");
        int activated = Array.IndexOf(header, "outcome_trailingStopActivated");
        Assert.Equal(4, lines.Length - 1);
        Assert.All(lines[1..], line => Assert.Equal("", line.Split(',')[trailing])); // null: an empty field
        Assert.Equal(["0", "1", "0", "0"], lines[1..].Select(line => line.Split(',')[activated]));
        Assert.DoesNotContain("signal_sources", header);
        Assert.DoesNotContain("exec_takeProfitPrices", header);
    }

    [Fact]
    public async Task The_log_profile_sees_null_only_keys_that_typed_records_cannot_show()
    {
        var reader = new FeatureLogReader(Data);
        FeatureDataProfile scanned = await reader.GetProfileAsync();
        var typed = new FeatureDataProfile();
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            typed.Observe(record);
        }

        string[] nullOnly = ["market_fundingDelta", "market_priceVsSma20", "market_rsi14", "outcome_trailingStopPrice", "news_nasdaqChange", "news_macroRiskEnvironment"];
        Assert.All(nullOnly, column => Assert.True(scanned.IsPresent(column), column));
        Assert.All(nullOnly, column => Assert.False(typed.IsPresent(column), column));
        Assert.Equal(typed.PresentColumns.Concat(nullOnly).Order(StringComparer.Ordinal), scanned.PresentColumns.Order(StringComparer.Ordinal));
        Assert.Contains("market_fundingDelta", scanned.ModelColumns(TrainingModel.SignalQuality));
        Assert.Contains("market_rsi14_lag1", scanned.ModelColumns(TrainingModel.SignalQuality));
    }

    [Fact]
    public async Task Synthetic_and_combined_records_never_reach_a_sink()
    {
        string directory = _out.File("store");
        Directory.CreateDirectory(directory);
        foreach (string file in Directory.EnumerateFiles(Data, "*.jsonl"))
        {
            File.Copy(file, Path.Combine(directory, Path.GetFileName(file)));
        }

        var sink = new RecordingSink("recording");
        await using (FeatureStore store = await TestStores.StartedAsync(directory, [sink]))
        {
            store.Record(TestRecords.Complete("own-1", TestRecords.BaseTime));
            await store.FlushAsync();
            await store.WaitForSinksAsync();
        }

        string[] synthetic = ["a7c4e2f0-1b3d-4e5f-8a9b-0c1d2e3f4a5b", "c9d8e7f6-a5b4-4c3d-9e2f-1a0b9c8d7e6f", "1768700180000-k3j9x0a2b"];
        Assert.Contains("own-1", sink.Received.Select(r => r.Id));
        Assert.Contains("3f2b8c1a-9d4e-4f6a-b1c2-7e8d9f0a1b2c", sink.Received.Select(r => r.Id)); // the bot's own log is shipped
        Assert.DoesNotContain(sink.Received, r => synthetic.Contains(r.Id));
    }

    private static double[] Numbers(string line)
        => line.Split(',').Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
}
