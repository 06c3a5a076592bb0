using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// The tool pointed at what the TypeScript/Python bot leaves behind: the training script's <c>synthetic_*.jsonl</c> and
/// <c>combined.jsonl</c> beside the bot's <c>features_*.jsonl</c> (TestData/original-bot, written by hand), the anon key's
/// bootstrap, and <c>train</c> without the bot's repository.
/// </summary>
public sealed class DropInTests : IDisposable
{
    private static readonly string Original = Path.Combine(AppContext.BaseDirectory, "TestData", "original-bot");

    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>A data directory holding only the given files of the original bot's directory.</summary>
    private string DataWith(params string[] files)
    {
        string data = _dir.File("data-" + string.Join("-", files.Select(f => f.Split('_', '.')[0])));
        Directory.CreateDirectory(data);
        foreach (string file in files)
        {
            File.Copy(Path.Combine(Original, file), Path.Combine(data, file));
        }

        return data;
    }

    [Fact]
    public async Task Stats_counts_the_scripts_synthetic_file_and_real_only_names_the_files_it_looked_for()
    {
        string data = DataWith("synthetic_features.jsonl");

        CliResult all = (await Tool.RunAsync("stats", "--data", data, "--json")).Expect(0);
        using (JsonDocument json = JsonDocument.Parse(all.Stdout))
        {
            Assert.Equal(2, json.RootElement.GetProperty("records").GetInt32());
            Assert.Equal(1, json.RootElement.GetProperty("completeRecords").GetInt32());
        }

        Assert.DoesNotContain("warning", all.Stderr, StringComparison.Ordinal);

        CliResult realOnly = (await Tool.RunAsync("stats", "--data", data, "--real-only")).Expect(0);
        Assert.Contains("records:         0", realOnly.Stdout, StringComparison.Ordinal);
        Assert.Contains($"warning: no records: no file matching features_*.jsonl in {data}", realOnly.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Export_reads_features_then_synthetic_then_combined_and_real_only_leaves_the_last_two_out()
    {
        string data = DataWith("features_2026-01-18_1768700000000.jsonl", "synthetic_features.jsonl", "combined.jsonl");

        CliResult all = (await Tool.RunAsync("export", "--data", data, "--model", "signal_quality", "--out", _dir.File("all/sq.csv"))).Expect(0);
        Assert.Contains("rows: 4", all.Stdout, StringComparison.Ordinal);
        Assert.Contains("market_fundingDelta", File.ReadLines(_dir.File("all/sq.csv")).First(), StringComparison.Ordinal);

        CliResult realOnly = (await Tool.RunAsync("export", "--data", data, "--real-only", "--model", "signal_quality", "--out", _dir.File("real/sq.csv"))).Expect(0);
        Assert.Contains("rows: 1", realOnly.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_export_without_rows_names_the_files_it_read_and_the_ones_it_looked_for()
    {
        string data = DataWith("synthetic_features.jsonl");
        File.WriteAllText(Path.Combine(data, "synthetic_features.jsonl"), File.ReadLines(Path.Combine(Original, "synthetic_features.jsonl")).First() + "\n");

        CliResult result = (await Tool.RunAsync("export", "--data", data, "--model", "signal_quality", "--out", _dir.File("sq.csv"))).Expect(0);

        Assert.Contains("rows: 0", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("read synthetic_features.jsonl (files looked for: features_*.jsonl, synthetic_*.jsonl, combined.jsonl)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Train_without_a_trainer_option_uses_the_built_in_dotnet_trainer()
    {
        string data = DataWith("features_2026-01-18_1768700000000.jsonl", "synthetic_features.jsonl", "combined.jsonl");

        CliResult result = (await Tool.RunAsync("train", "--data", data, "--output", _dir.File("models"))).Expect(0);

        Assert.Contains("trainer: dotnet", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("outcome: not enough data", result.Stdout, StringComparison.Ordinal);
        Assert.Contains("train: 4 complete trade(s)", result.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_python_trainer_without_its_script_is_a_usage_error_naming_script()
    {
        string data = DataWith("synthetic_features.jsonl");

        CliResult result = (await Tool.RunAsync("train", "--trainer", "python", "--command", "sh", "--data", data, "--output", _dir.File("models"))).Expect(2);

        Assert.Contains("--trainer python needs the training script", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("Name it with --script PATH", result.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(_dir.File("models")));
    }

    [Fact]
    public async Task Bootstrap_sql_allow_anon_writes_adds_the_anon_policies_for_supabase_only()
    {
        CliResult plain = (await Tool.RunAsync("bootstrap-sql")).Expect(0);
        CliResult anon = (await Tool.RunAsync("bootstrap-sql", "--allow-anon-writes")).Expect(0);

        Assert.DoesNotContain("TO anon", plain.Stdout, StringComparison.Ordinal);
        Assert.Contains("CREATE POLICY vince_paper_bot_features_anon_insert ON public.vince_paper_bot_features", anon.Stdout, StringComparison.Ordinal);
        Assert.Contains("FOR UPDATE TO anon", anon.Stdout, StringComparison.Ordinal);
        Assert.Equal(Supabase.SupabaseBootstrap.GetSql(Supabase.SupabaseOptions.DefaultTable, allowAnonWrites: true).TrimEnd(), anon.Stdout.TrimEnd());

        CliResult postgres = (await Tool.RunAsync("bootstrap-sql", "--target", "postgres", "--allow-anon-writes")).Expect(2);
        Assert.Contains("--allow-anon-writes applies to --target supabase only", postgres.Stderr, StringComparison.Ordinal);
    }
}
