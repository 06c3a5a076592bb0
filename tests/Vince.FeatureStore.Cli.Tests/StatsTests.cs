using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary><c>stats</c> on a log written by the real feature store; expected counts come from the generated trades.</summary>
public sealed class StatsTests
{
    private const int Trades = 60;

    private static IEnumerable<int> Indexes(string asset) => Enumerable.Range(0, Trades).Where(i => TradeData.Asset(i) == asset);

    [Fact]
    public async Task Json_output_counts_records_versions_complete_trades_assets_dates_and_files()
    {
        using var dir = new TempDirectory();
        int lines = await TradeData.WriteAsync(dir.Path, Trades);
        string[] files = dir.FeatureFiles();
        File.AppendAllText(dir.File(files[^1]), "{\"id\":\"t-9999\",\"timest"); // a torn last line, as after a crash

        CliResult result = (await Tool.RunAsync("stats", "--data", dir.Path, "--json")).Expect(0);
        using JsonDocument json = JsonDocument.Parse(result.Stdout);
        JsonElement root = json.RootElement;
        Assert.Equal(Trades, root.GetProperty("records").GetInt32());
        Assert.Equal(Enumerable.Range(0, Trades).Count(TradeData.IsCompleted), root.GetProperty("completeRecords").GetInt32());
        Assert.Equal(lines, root.GetProperty("versions").GetInt64());
        Assert.Equal(108, lines); // 60 decisions + 48 completions
        Assert.Equal(1, root.GetProperty("skippedLines").GetInt64());
        Assert.Equal(TradeData.BaseTime, root.GetProperty("firstTimestamp").GetInt64());
        Assert.Equal(TradeData.BaseTime + ((Trades - 1) * 60_000L), root.GetProperty("lastTimestamp").GetInt64());
        Assert.Equal("2026-01-22T16:40:00.000Z", root.GetProperty("firstDecisionAt").GetString());

        JsonElement[] assets = root.GetProperty("assets").EnumerateArray().ToArray();
        Assert.Equal(["BTC", "ETH"], assets.Select(a => a.GetProperty("asset").GetString()));
        foreach (JsonElement asset in assets)
        {
            int[] mine = Indexes(asset.GetProperty("asset").GetString()!).ToArray();
            Assert.Equal(mine.Length, asset.GetProperty("records").GetInt32());
            Assert.Equal(mine.Count(TradeData.IsCompleted), asset.GetProperty("completeRecords").GetInt32());
            Assert.Equal(TradeData.BaseTime + (mine.Min() * 60_000L), asset.GetProperty("firstTimestamp").GetInt64());
            Assert.Equal(TradeData.BaseTime + (mine.Max() * 60_000L), asset.GetProperty("lastTimestamp").GetInt64());
        }

        JsonElement[] fileEntries = root.GetProperty("files").EnumerateArray().ToArray();
        Assert.Equal(files.Select(dir.File), fileEntries.Select(f => f.GetProperty("path").GetString()));
        Assert.Equal(lines, fileEntries.Sum(f => f.GetProperty("versions").GetInt32()));
        Assert.Equal(files.Select(f => new FileInfo(dir.File(f)).Length), fileEntries.Select(f => f.GetProperty("bytes").GetInt64()));
        Assert.Contains("stats: scanning", result.Stderr);
    }

    [Fact]
    public async Task Text_output_shows_the_same_figures_and_the_data_directory_comes_from_the_environment()
    {
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, Trades);
        var environment = new Dictionary<string, string> { ["VINCE_FEATURE_STORE_DATA_DIR"] = dir.Path };

        CliResult result = (await Tool.RunAsync(environment, "stats")).Expect(0);
        Assert.Contains($"data: {dir.Path} (from VINCE_FEATURE_STORE_DATA_DIR)", result.Stderr);
        Assert.Contains("records:         60", result.Stdout);
        Assert.Contains("versions:        108 (valid lines; 0 invalid skipped)", result.Stdout);
        Assert.Contains("complete trades: 48 (80.0% of records)", result.Stdout);
        Assert.Contains("date range:      2026-01-22T16:40:00.000Z .. 2026-01-22T17:39:00.000Z", result.Stdout);
        Assert.Matches(@"BTC\s+40\s+32\s+2026-01-22T16:40:00.000Z\s+2026-01-22T17:38:00.000Z", result.Stdout);
        Assert.Matches(@"ETH\s+20\s+16\s+2026-01-22T16:42:00.000Z\s+2026-01-22T17:39:00.000Z", result.Stdout);

        CliResult quiet = (await Tool.RunAsync(environment, "stats", "--quiet")).Expect(0);
        Assert.Equal("", quiet.Stderr);
        Assert.Equal(result.Stdout, quiet.Stdout);
    }

    [Fact]
    public async Task An_empty_directory_has_no_records_and_no_date_range()
    {
        using var dir = new TempDirectory();
        CliResult result = (await Tool.RunAsync("stats", "--data", dir.Path)).Expect(0);
        Assert.Contains("records:         0", result.Stdout);
        Assert.Contains("date range:      none (no records)", result.Stdout);
    }
}
