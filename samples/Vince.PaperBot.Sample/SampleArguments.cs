using System.Globalization;

namespace Vince.PaperBot.Sample;

/// <summary>The sample's settings: command line plus the bot's own environment variables.</summary>
internal sealed record SampleArguments
{
    public const string AssetsVariable = Vince.FeatureStore.Configuration.VinceEnvironment.PaperAssets;
    public const string AggressiveVariable = Vince.FeatureStore.Configuration.VinceEnvironment.PaperAggressive;

    public static readonly IReadOnlyList<string> DefaultAssets = ["BTC", "ETH", "SOL", "HYPE"];

    public int Trades { get; init; } = 200;

    /// <summary>Null leaves the store's own resolution in charge (VINCE_FEATURE_STORE_DATA_DIR, then the default).</summary>
    public string? DataDirectory { get; init; }

    public int Seed { get; init; } = 42;

    /// <summary>A trained model set: every decision is scored before it is recorded, and the signal-quality model can veto a trade.</summary>
    public string? ModelsDirectory { get; init; }

    public bool Verbose { get; init; }

    public bool ShowHelp { get; init; }

    public IReadOnlyList<string> Assets { get; init; } = DefaultAssets;

    public bool Aggressive { get; init; }

    public static string Usage =>
        $"""
        Vince.PaperBot.Sample: a paper-trading bot on a synthetic market that records every decision with Vince.FeatureStore.

        Usage: Vince.PaperBot.Sample [options]

        Options:
          --trades N        completed trades to produce (default 200)
          --data-dir DIR    JSONL log directory (default: ${Vince.FeatureStore.FeatureStoreOptions.DataDirectoryEnvironmentVariable}, else {Vince.FeatureStore.FeatureStoreOptions.DefaultDataDirectory})
          --seed N          random seed; the same seed gives the same market and trades (default 42)
          --models DIR      a trained model set: score every decision before recording it (served scores kept
                            under ml), and skip (record as avoided) trades the signal-quality model rejects
          --verbose, -v     log at Information level (default Warning)
          --help, -h        show this help

        Environment:
          {AssetsVariable}        comma-separated tickers (default {string.Join(',', DefaultAssets)})
          {AggressiveVariable}    true: 10x leverage and take profit at $210; otherwise 3x and ATR-based targets

        The summary at the end covers every record in the data directory, earlier runs included.
        At the end the bot waits for its sinks up to the store's ShutdownTimeout (30 s); SIGTERM or Ctrl+C ends the
        wait at once. A sink still behind then ships from its cursor on the next start.
        Exit codes: 0 done (also with a sink behind), 1 failed, 2 bad arguments, 130 interrupted (SIGTERM or Ctrl+C
        before the trades were done).
        """;

    /// <summary>Parses by hand (the sample takes no command-line package). Returns an error message instead of throwing.</summary>
    public static (SampleArguments? Arguments, string? Error) Parse(IReadOnlyList<string> args, Func<string, string?> environment)
    {
        var result = new SampleArguments();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string name = arg;
            string? inlineValue = null;
            int equals = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && equals > 0)
            {
                name = arg[..equals];
                inlineValue = arg[(equals + 1)..];
            }

            switch (name)
            {
                case "--help" or "-h" or "-?":
                    return (result with { ShowHelp = true }, null);
                case "--verbose" or "-v" when inlineValue is null:
                    result = result with { Verbose = true };
                    break;
                case "--trades":
                    if (!TryTakeValue(args, ref i, name, inlineValue, out string? trades, out string? error)
                        || !TryParseInt(name, trades!, min: 1, out int tradeCount, out error))
                    {
                        return (null, error);
                    }

                    result = result with { Trades = tradeCount };
                    break;
                case "--seed":
                    if (!TryTakeValue(args, ref i, name, inlineValue, out string? seedText, out error)
                        || !TryParseInt(name, seedText!, min: 0, out int seed, out error))
                    {
                        return (null, error);
                    }

                    result = result with { Seed = seed };
                    break;
                case "--models":
                    if (!TryTakeValue(args, ref i, name, inlineValue, out string? models, out error))
                    {
                        return (null, error);
                    }

                    if (string.IsNullOrWhiteSpace(models))
                    {
                        return (null, "--models needs a non-empty directory.");
                    }

                    result = result with { ModelsDirectory = models };
                    break;
                case "--data-dir":
                    if (!TryTakeValue(args, ref i, name, inlineValue, out string? directory, out error))
                    {
                        return (null, error);
                    }

                    if (string.IsNullOrWhiteSpace(directory))
                    {
                        return (null, "--data-dir needs a non-empty directory.");
                    }

                    result = result with { DataDirectory = directory };
                    break;
                default:
                    return (null, $"unknown argument '{arg}'.");
            }
        }

        return ApplyEnvironment(result, environment);
    }

    private static (SampleArguments?, string?) ApplyEnvironment(SampleArguments result, Func<string, string?> environment)
    {
        if (environment(AssetsVariable) is { } assetList && !string.IsNullOrWhiteSpace(assetList))
        {
            var assets = new List<string>();
            foreach (string part in assetList.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            {
                string ticker = part.ToUpperInvariant();
                if (ticker.Length > 20 || !ticker.All(char.IsAsciiLetterOrDigit))
                {
                    return (null, $"{AssetsVariable}: '{part}' is not a ticker (letters and digits, at most 20).");
                }

                if (!assets.Contains(ticker))
                {
                    assets.Add(ticker);
                }
            }

            if (assets.Count == 0)
            {
                return (null, $"{AssetsVariable} lists no ticker.");
            }

            result = result with { Assets = assets };
        }

        if (environment(AggressiveVariable) is { } aggressiveText && !string.IsNullOrWhiteSpace(aggressiveText))
        {
            bool? aggressive = aggressiveText.Trim().ToUpperInvariant() switch
            {
                "TRUE" or "1" or "YES" => true,
                "FALSE" or "0" or "NO" => false,
                _ => null,
            };
            if (aggressive is null)
            {
                return (null, $"{AggressiveVariable} must be true or false, not '{aggressiveText}'.");
            }

            result = result with { Aggressive = aggressive.Value };
        }

        return (result, null);
    }

    private static bool TryTakeValue(IReadOnlyList<string> args, ref int i, string name, string? inlineValue, out string? value, out string? error)
    {
        if (inlineValue is not null)
        {
            value = inlineValue;
            error = null;
            return true;
        }

        if (i + 1 >= args.Count || args[i + 1].StartsWith("--", StringComparison.Ordinal))
        {
            value = null;
            error = $"{name} needs a value.";
            return false;
        }

        value = args[++i];
        error = null;
        return true;
    }

    private static bool TryParseInt(string name, string text, int min, out int value, out string? error)
    {
        if (int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out value) && value >= min)
        {
            error = null;
            return true;
        }

        error = $"{name} expects an integer of at least {min}, not '{text}'.";
        return false;
    }
}
