using System.Globalization;
using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary><c>export</c> writes the library's training CSV and manifest; rows are checked against values computed by hand.</summary>
public sealed class ExportTests
{
    private const int Trades = 60;

    private static List<string[]> ReadCsv(string path)
        => File.ReadAllLines(path).Select(line => line.Split(',')).ToList();

    [Fact]
    public async Task Signal_quality_rows_hold_the_hand_computed_values_in_the_documented_column_order()
    {
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, Trades);
        string csv = Path.Combine(dir.Path, "out", "sq", "train.csv");

        CliResult result = (await Tool.RunAsync("export", "--data", dir.Path, "--model", "signal_quality", "--out", csv)).Expect(0);

        List<string[]> rows = ReadCsv(csv);
        Assert.Equal([.. TradeData.SignalQualityColumns, "label_profitable"], rows[0]);
        int[] trainingRows = Enumerable.Range(0, Trades).Where(TradeData.IsCompleted).ToArray();
        Assert.Equal(trainingRows.Length, rows.Count - 1);
        for (int r = 0; r < trainingRows.Length; r++)
        {
            int i = trainingRows[r];
            double[] expected = TradeData.SignalQualityRow(i);
            string[] actual = rows[r + 1];
            for (int c = 0; c < expected.Length; c++)
            {
                double value = double.Parse(actual[c], CultureInfo.InvariantCulture);
                if (TradeData.SignalQualityColumns[c].EndsWith("_roll3", StringComparison.Ordinal))
                {
                    Assert.True(Math.Abs(expected[c] - value) < 1e-12, $"trade {i}, {TradeData.SignalQualityColumns[c]}: expected {expected[c]}, exported {value}");
                }
                else
                {
                    Assert.True(expected[c] == value, $"trade {i}, {TradeData.SignalQualityColumns[c]}: expected {expected[c]}, exported {value}");
                }
            }

            Assert.Equal(TradeData.IsProfitable(i) ? "1" : "0", actual[^1]);
        }

        string manifestPath = Path.Combine(dir.Path, "out", "sq", "feature_manifest.json");
        using JsonDocument manifest = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        Assert.Equal("signal_quality", manifest.RootElement.GetProperty("model").GetString());
        Assert.Equal(TradeData.SignalQualityColumns, manifest.RootElement.GetProperty("columns").EnumerateArray().Select(c => c.GetString()));
        Assert.Equal(trainingRows.Length, manifest.RootElement.GetProperty("rowCount").GetInt32());
        double[] strengths = trainingRows.Select(i => (double)(40 + (i % 50))).ToArray();
        Assert.Equal(strengths.Average(), manifest.RootElement.GetProperty("scaling").GetProperty("signal_strength").GetProperty("mean").GetDouble(), 9);

        // stdout: what was written, machine-readable; progress on stderr only.
        Assert.Contains($"csv: {csv}", result.Stdout);
        Assert.Contains($"manifest: {manifestPath}", result.Stdout);
        Assert.Contains($"rows: {trainingRows.Length}", result.Stdout);
        Assert.Contains($"columns: {TradeData.SignalQualityColumns.Length}", result.Stdout);
        Assert.Contains("export: 100% (60/60 records, 48 rows)", result.Stderr);
        Assert.DoesNotContain("%", result.Stdout);
    }

    [Fact]
    public async Task Position_sizing_labels_are_r_multiples_clipped_to_minus_2_and_3()
    {
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, 20);
        string csv = dir.File("ps.csv");
        (await Tool.RunAsync("export", "--data", dir.Path, "--model", "position_sizing", "--out", csv, "--quiet")).Expect(0);

        List<string[]> rows = ReadCsv(csv);
        Assert.Equal("label_rMultiple", rows[0][^1]);
        Assert.Equal(["signal_strength", "signal_confidence", "signal_source_count", "session_isWeekend", "exec_streakMultiplier", "market_atrPct"], rows[0].Take(6));
        int[] trainingRows = Enumerable.Range(0, 20).Where(TradeData.IsCompleted).ToArray();
        for (int r = 0; r < trainingRows.Length; r++)
        {
            int i = trainingRows[r];
            // Risk = 2 % stop × $1000 × 5x = $100; pnl ±(120 + i) or −(40 + i).
            double pnl = TradeData.IsProfitable(i) ? 120 + i : -40 - i;
            Assert.Equal(Math.Clamp(pnl / 100, -2, 3), double.Parse(rows[r + 1][^1], CultureInfo.InvariantCulture), 12);
        }
    }

    [Fact]
    public async Task All_writes_every_flattened_column_of_the_complete_records_without_a_label()
    {
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, 20);
        string csv = dir.File("all.csv");
        CliResult result = (await Tool.RunAsync("export", "--data", dir.Path, "--model", "all", "--out", csv)).Expect(0);

        List<string[]> rows = ReadCsv(csv);
        Assert.Equal(["id", "timestamp", "asset"], rows[0].Take(3));
        Assert.Equal(Enumerable.Range(0, 20).Where(TradeData.IsCompleted).Select(i => $"t-{i:D4}"), rows.Skip(1).Select(r => r[0]));
        Assert.Contains("label_profitable", rows[0]);
        Assert.Contains("label: (none)", result.Stdout);
        Assert.Contains("model: all", result.Stdout);
    }

    [Fact]
    public async Task Exporting_data_without_complete_trades_writes_the_header_and_warns()
    {
        using var dir = new TempDirectory();
        await using (var store = new FeatureStore(TestStores.Options(dir.Path), []))
        {
            await store.StartAsync();
            store.Record(TradeData.Decision(0));
            await store.FlushAsync();
        }

        string csv = dir.File("sq.csv");
        CliResult result = (await Tool.RunAsync("export", "--data", dir.Path, "--model", "signal_quality", "--out", csv)).Expect(0);
        Assert.Single(File.ReadAllLines(csv));
        Assert.Contains("warning: no rows: the data has no record with a 'label_profitable' label yet.", result.Stderr);
    }

    [Fact]
    public async Task A_cancelled_export_exits_130_and_leaves_no_file()
    {
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, 20);
        string csv = dir.File("sq.csv");
        using var cancelled = new CancellationTokenSource();
        await cancelled.CancelAsync();

        CliResult result = (await Tool.RunAsync(new Dictionary<string, string>(), cancelled.Token, "export", "--data", dir.Path, "--model", "signal_quality", "--out", csv)).Expect(130);
        Assert.Contains("vince-features export: interrupted.", result.Stderr);
        Assert.False(File.Exists(csv));
        Assert.False(File.Exists(csv + ".tmp"));
    }

    [Fact]
    public async Task An_out_path_that_is_a_directory_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        CliResult result = (await Tool.RunAsync("export", "--data", dir.Path, "--model", "signal_quality", "--out", dir.Path)).Expect(2);
        Assert.Contains("is a directory; give the CSV file to write", result.Stderr);
    }
}
