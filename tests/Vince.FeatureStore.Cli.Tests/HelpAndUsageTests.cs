using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>Help for the tool and every command, and exit code 2 with a clear message for every kind of wrong command line.</summary>
public sealed class HelpAndUsageTests
{
    /// <summary>Every command and the options its help must document (written out here, not taken from the tool).</summary>
    public static TheoryData<string, string[]> Commands => new()
    {
        { "stats", ["--data DIR", "--json"] },
        { "export", ["--data DIR", "--model NAME", "--out FILE", "signal_quality, position_sizing, tp_optimizer, sl_optimizer, all"] },
        { "sync-supabase", ["--data DIR", "--dry-run", "--url URL", "--table NAME", "SUPABASE_SERVICE_ROLE_KEY"] },
        { "bootstrap-sql", ["--target NAME", "supabase, postgres", "--table NAME", "--schema NAME"] },
        { "score", ["--models DIR", "--record FILE", "--history PATH", "--threshold P", "--json"] },
        { "parity", ["--data DIR", "--models DIR", "--max-listed N", "--json"] },
        { "models list", ["--url URL", "--bucket NAME", "latest.json", "SUPABASE_SERVICE_ROLE_KEY"] },
        { "models pull", ["--models DIR", "--run RUN", "--set-latest", "--url URL", "--bucket NAME", "SUPABASE_SERVICE_ROLE_KEY"] },
        { "models push", ["--models DIR", "--url URL", "--bucket NAME", "SUPABASE_SERVICE_ROLE_KEY"] },
        { "deadletter list", ["--data DIR", "--sink NAME", "--json", ".deadletter/<sink>.jsonl"] },
        { "deadletter retry", ["--data DIR", "--sink NAME", "--target KIND", "postgres, supabase", "--table NAME", "--schema NAME", "--url URL", "POSTGRES_URL", "SUPABASE_SERVICE_ROLE_KEY"] },
        { "train", ["--data DIR", "--output DIR", "--min-samples N", "--trainer NAME", "python, dotnet", "ML.NET", "--command CMD", "--script PATH", "--timeout SECONDS", "--push", "--force", "--gate-tolerance AUC"] },
    };

    [Fact]
    public async Task The_general_help_lists_every_command_the_exit_codes_and_the_environment()
    {
        foreach (string[] args in new string[][] { ["--help"], ["-h"], ["help"] })
        {
            CliResult result = (await Tool.RunAsync(args)).Expect(0);
            foreach (string command in Commands.Select(row => (string)row[0]))
            {
                Assert.Contains("  " + command + " ", result.Stdout);
            }

            Assert.Contains("2 usage error", result.Stdout);
            Assert.Contains("VINCE_FEATURE_STORE_DATA_DIR", result.Stdout);
            Assert.Contains("VINCE_ML_MODELS_DIR", result.Stdout);
            Assert.Equal("", result.Stderr);
        }
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Every_command_has_help_with_its_options(string command, string[] expected)
    {
        string[] words = command.Split(' ');
        foreach (string[] args in new string[][] { [.. words, "--help"], ["help", .. words], [.. words, "-h", "--bogus-option-ignored-with-help"] })
        {
            CliResult result = (await Tool.RunAsync(args)).Expect(0);
            Assert.StartsWith($"Usage: vince-features {command}", result.Stdout);
            foreach (string text in expected)
            {
                Assert.Contains(text, result.Stdout);
            }

            Assert.Contains("--help", result.Stdout);
            Assert.Contains("Examples:", result.Stdout);
        }
    }

    [Fact]
    public async Task Version_prints_the_tool_name_and_version()
    {
        CliResult result = (await Tool.RunAsync("--version")).Expect(0);
        Assert.Matches(@"^vince-features \d+\.\d+\.\d+", result.Stdout);
    }

    public static TheoryData<string[], string> UsageErrors => new()
    {
        { [], "no command given" },
        { ["exprot"], "unknown command 'exprot'. Did you mean 'export'?" },
        { ["models"], "'models' needs a subcommand: list or pull or push" },
        { ["models", "fetch"], "unknown command 'models fetch'" },
        { ["stats", "--dta", "x"], "unknown option '--dta' for 'stats'. Did you mean '--data'?" },
        { ["stats", "-x"], "unknown option '-x' for 'stats'" },
        { ["stats", "somewhere"], "unexpected argument 'somewhere'" },
        { ["stats", "--data"], "--data needs a value (DIR)" },
        { ["stats", "--data="], "--data needs a non-empty value (DIR)" },
        { ["stats", "--data", "a", "--data", "b"], "--data is given more than once" },
        { ["stats", "--json=yes"], "--json is a flag and takes no value" },
        { ["export", "--out", "x.csv"], "missing required option --model NAME" },
        { ["export", "--model", "signal_quality"], "missing required option --out FILE" },
        { ["export", "--model", "price", "--out", "x.csv"], "--model must be one of signal_quality, position_sizing, tp_optimizer, sl_optimizer, all (was 'price')" },
        { ["score"], "missing required option --record FILE" },
        { ["score", "--record", "r.json", "--threshold", "1.5"], "--threshold must be a number between 0 and 1 (was '1.5')" },
        { ["score", "--record", "r.json", "--threshold", "high"], "--threshold must be a number between 0 and 1 (was 'high')" },
        { ["parity", "--max-listed", "-3"], "--max-listed must be a whole number at least 0 (was '-3')" },
        { ["bootstrap-sql", "--target", "mysql"], "--target must be one of supabase, postgres (was 'mysql')" },
        { ["bootstrap-sql", "--schema", "s"], "--schema applies to --target postgres only" },
        { ["bootstrap-sql", "--table", "Bad-Name"], "Table must be a lower-case identifier" },
        { ["bootstrap-sql", "--target", "postgres", "--schema", "1x"], "'1x' is not a valid schema name" },
        { ["sync-supabase", "--url", "ftp://example.com"], "--url must be an absolute http(s) URL" },
        { ["models", "push", "--url", "not a url"], "--url must be an absolute http(s) URL" },
    };

    [Theory]
    [MemberData(nameof(UsageErrors))]
    public async Task A_wrong_command_line_exits_2_with_a_clear_message_on_stderr(string[] args, string message)
    {
        CliResult result = (await Tool.RunAsync(args)).Expect(2);
        Assert.Contains(message, result.Stderr);
        Assert.Contains("--help' for usage.", result.Stderr);
        Assert.Equal("", result.Stdout);
    }

    [Fact]
    public async Task Supabase_commands_without_url_or_key_are_usage_errors_that_say_where_the_key_comes_from()
    {
        CliResult noUrl = (await Tool.RunAsync("sync-supabase", "--dry-run")).Expect(2);
        Assert.Contains("no Supabase URL: pass --url", noUrl.Stderr);

        CliResult noKey = (await Tool.RunAsync("models", "pull", "--url", "https://abcdefghijklmnop.supabase.co")).Expect(2);
        Assert.Contains("no Supabase key: set SUPABASE_SERVICE_ROLE_KEY (or SUPABASE_ANON_KEY) in the environment", noKey.Stderr);

        // A URL derived from POSTGRES_URL counts; the key is still missing.
        var environment = new Dictionary<string, string> { ["POSTGRES_URL"] = "postgresql://postgres:pw@db.abcdefghijklmnop.supabase.co:5432/postgres" };
        CliResult derived = (await Tool.RunAsync(environment, "sync-supabase")).Expect(2);
        Assert.Contains("no Supabase key", derived.Stderr);
        Assert.Contains("https://abcdefghijklmnop.supabase.co/ (from POSTGRES_URL)", derived.Stderr);
        Assert.DoesNotContain(":pw@", derived.Stderr);
    }

    [Fact]
    public async Task Missing_directories_are_failures_with_exit_1_that_name_the_directory_and_the_setting()
    {
        using var dir = new TempDirectory();
        string missing = dir.File("no-such-dir");
        CliResult stats = (await Tool.RunAsync("stats", "--data", missing)).Expect(1);
        Assert.Contains($"the data directory {missing} does not exist (pass --data DIR or set VINCE_FEATURE_STORE_DATA_DIR)", stats.Stderr);

        CliResult score = (await Tool.RunAsync(new Dictionary<string, string> { ["VINCE_ML_MODELS_DIR"] = missing }, "score", "--record", dir.File("r.json"))).Expect(1);
        Assert.Contains("does not exist", score.Stderr);
    }
}
