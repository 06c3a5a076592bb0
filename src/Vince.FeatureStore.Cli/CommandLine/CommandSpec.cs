namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>A command: its name (<c>stats</c>, <c>models pull</c>), help text, options and what it runs.</summary>
internal sealed class CommandSpec
{
    public required string Name { get; init; }

    /// <summary>One line for the command list.</summary>
    public required string Summary { get; init; }

    /// <summary>Paragraphs for the command's own help.</summary>
    public IReadOnlyList<string> Details { get; init; } = [];

    public IReadOnlyList<OptionSpec> Options { get; init; } = [];

    public IReadOnlyList<string> Examples { get; init; } = [];

    /// <summary>Runs the command; returns the exit code.</summary>
    public required Func<CliContext, ParsedOptions, CancellationToken, Task<int>> Run { get; init; }
}
