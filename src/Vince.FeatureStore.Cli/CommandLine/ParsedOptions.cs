using System.Globalization;

namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>The options given to a command, already checked against its <see cref="CommandSpec"/> (names, required, choices).</summary>
internal sealed class ParsedOptions(CommandSpec command, IReadOnlyDictionary<string, string?> values)
{
    public CommandSpec Command { get; } = command;

    public bool Has(string name) => values.ContainsKey(name);

    public bool Flag(string name) => values.ContainsKey(name);

    public string? Value(string name) => values.TryGetValue(name, out string? value) ? value : null;

    /// <summary>The value of a required option (the parser has checked that it is there).</summary>
    public string Required(string name) => Value(name) ?? throw new UsageException($"missing required option --{name}.") { Command = Command.Name };

    /// <summary>An integer option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public int? Int(string name, int min = int.MinValue, int max = int.MaxValue)
    {
        if (Value(name) is not { } text)
        {
            return null;
        }

        if (!int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value) || value < min || value > max)
        {
            string range = max == int.MaxValue ? $"at least {min}" : $"between {min} and {max}";
            throw new UsageException($"--{name} must be a whole number {range} (was '{text}').") { Command = Command.Name };
        }

        return value;
    }

    /// <summary>A number option within [<paramref name="min"/>, <paramref name="max"/>].</summary>
    public double? Double(string name, double min, double max)
    {
        if (Value(name) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double value) || !(value >= min && value <= max))
        {
            throw new UsageException($"--{name} must be a number between {min.ToString(CultureInfo.InvariantCulture)} and {max.ToString(CultureInfo.InvariantCulture)} (was '{text}').") { Command = Command.Name };
        }

        return value;
    }

    /// <summary>A positive time span in seconds.</summary>
    public TimeSpan? Seconds(string name)
    {
        if (Value(name) is not { } text)
        {
            return null;
        }

        if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) || !(seconds > 0 && seconds <= TimeSpan.MaxValue.TotalSeconds / 2))
        {
            throw new UsageException($"--{name} must be a positive number of seconds (was '{text}').") { Command = Command.Name };
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>An absolute http(s) URL option.</summary>
    public Uri? Url(string name)
    {
        if (Value(name) is not { } text)
        {
            return null;
        }

        if (!Uri.TryCreate(text, UriKind.Absolute, out Uri? url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
        {
            throw new UsageException($"--{name} must be an absolute http(s) URL such as https://<project-ref>.supabase.co (was '{text}').") { Command = Command.Name };
        }

        return url;
    }
}
