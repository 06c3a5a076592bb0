namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>One option of a command: a flag (<c>--dry-run</c>) or an option with a value (<c>--data DIR</c>, <c>--data=DIR</c>).</summary>
internal sealed record OptionSpec(string Name, string Description)
{
    /// <summary>The value's placeholder in help (<c>DIR</c>); <see langword="null"/> for a flag.</summary>
    public string? ValueName { get; init; }

    /// <summary>The option must be given.</summary>
    public bool Required { get; init; }

    /// <summary>The only values accepted, when limited.</summary>
    public IReadOnlyList<string>? Choices { get; init; }

    /// <summary>What applies when the option is omitted, for help.</summary>
    public string? DefaultText { get; init; }

    /// <summary>A one-letter alias such as <c>-q</c>.</summary>
    public string? Alias { get; init; }

    public bool IsFlag => ValueName is null;

    public static OptionSpec Flag(string name, string description, string? alias = null) => new(name, description) { Alias = alias };

    public static OptionSpec Value(string name, string valueName, string description) => new(name, description) { ValueName = valueName };
}
