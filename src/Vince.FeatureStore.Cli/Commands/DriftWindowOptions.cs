using System.Globalization;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Drift;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>The options that choose the recent records and the PSI threshold, shared by <c>drift</c> and <c>report</c>.</summary>
internal static class DriftWindowOptions
{
    public static readonly OptionSpec Threshold = OptionSpec.Value("threshold", "PSI", "The population stability index above which a column has drifted.")
        with
    { DefaultText = FeatureDriftSettings.DefaultThreshold.ToString(CultureInfo.InvariantCulture) };

    public static readonly OptionSpec Recent = OptionSpec.Value("recent", "N", "Compare the newest N records with training.")
        with
    { DefaultText = FeatureDriftSettings.DefaultRecentRecords.ToString(CultureInfo.InvariantCulture) };

    public static readonly OptionSpec Since = OptionSpec.Value("since", "TIME", "Compare every record decided at or after TIME instead: an ISO-8601 time (2026-01-22T00:00Z) or an age such as 90m, 24h or 7d.");

    /// <summary>The settings the options give; <paramref name="now"/> anchors an age such as <c>24h</c>.</summary>
    public static FeatureDriftSettings Settings(ParsedOptions options, DateTimeOffset now)
    {
        if (options.Has(Recent.Name) && options.Has(Since.Name))
        {
            throw new UsageException("--recent and --since exclude each other: give one.") { Command = options.Command.Name };
        }

        return new FeatureDriftSettings
        {
            Threshold = options.Double(Threshold.Name, 0.0001, 100) ?? FeatureDriftSettings.DefaultThreshold,
            RecentRecords = options.Int(Recent.Name, min: 1) ?? FeatureDriftSettings.DefaultRecentRecords,
            Since = options.Value(Since.Name) is { } since ? ParseSince(since, now, options.Command.Name) : null,
        };
    }

    private static DateTimeOffset ParseSince(string text, DateTimeOffset now, string command)
    {
        if (text.Length >= 2 && double.TryParse(text[..^1], NumberStyles.Float, CultureInfo.InvariantCulture, out double amount) && amount > 0)
        {
            TimeSpan? age = text[^1] switch
            {
                'm' => TimeSpan.FromMinutes(amount),
                'h' => TimeSpan.FromHours(amount),
                'd' => TimeSpan.FromDays(amount),
                _ => null,
            };
            if (age is { } a)
            {
                return now - a;
            }
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset time))
        {
            return time;
        }

        throw new UsageException($"--since must be an ISO-8601 time or an age such as 90m, 24h or 7d (was '{text}').") { Command = command };
    }
}
