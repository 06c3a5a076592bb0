namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>What the command line asks for.</summary>
internal enum RequestKind
{
    /// <summary>Run <see cref="ParsedCommandLine.Command"/>.</summary>
    Run,

    /// <summary>Show the general help, or the help of <see cref="ParsedCommandLine.Command"/> when set.</summary>
    Help,

    /// <summary>Show the version.</summary>
    Version,
}

/// <summary>The parsed command line.</summary>
internal sealed record ParsedCommandLine(RequestKind Kind, CommandSpec? Command, ParsedOptions? Options, bool Quiet, bool Verbose);

/// <summary>
/// A small parser for <c>vince-features [global options] &lt;command&gt; [subcommand] [options]</c>: long options
/// (<c>--name value</c> or <c>--name=value</c>), flags, required options and fixed choices. Everything it rejects is a
/// <see cref="UsageException"/> (exit code 2) that names the problem.
/// </summary>
internal static class ArgumentParser
{
    public static readonly OptionSpec HelpOption = OptionSpec.Flag("help", "Show this help.", "h");
    public static readonly OptionSpec VersionOption = OptionSpec.Flag("version", "Show the tool's version.");
    public static readonly OptionSpec QuietOption = OptionSpec.Flag("quiet", "No progress messages on stderr.", "q");
    public static readonly OptionSpec VerboseOption = OptionSpec.Flag("verbose", "Also the libraries' information messages and full error details on stderr.", "v");

    public static IReadOnlyList<OptionSpec> GlobalOptions { get; } = [HelpOption, VersionOption, QuietOption, VerboseOption];

    public static ParsedCommandLine Parse(IReadOnlyList<string> args, IReadOnlyList<CommandSpec> commands)
    {
        bool help = false, version = false, quiet = false, verbose = false;
        var words = new List<string>();
        var rest = new List<string>();
        CommandSpec? command = null;
        bool helpCommand = false;

        for (int i = 0; i < args.Count; i++)
        {
            string token = args[i];
            switch (GlobalName(token))
            {
                case "help":
                    help = true;
                    continue;
                case "version":
                    version = true;
                    continue;
                case "quiet":
                    quiet = true;
                    continue;
                case "verbose":
                    verbose = true;
                    continue;
            }

            if (command is null && !token.StartsWith('-') && rest.Count == 0)
            {
                words.Add(token);
                if (words.Count == 1 && token == "help")
                {
                    helpCommand = true;
                    words.Clear();
                    continue;
                }

                command = Resolve(words, commands, out bool needsMore);
                if (command is null && !needsMore)
                {
                    throw new UsageException(UnknownCommandMessage(string.Join(' ', words), commands));
                }

                continue;
            }

            if (command is null && words.Count > 0)
            {
                // "models --models DIR": the group needs its subcommand first.
                throw new UsageException(UnknownCommandMessage(string.Join(' ', words), commands));
            }

            rest.Add(token);
        }

        if (command is null && words.Count > 0)
        {
            throw new UsageException(UnknownCommandMessage(string.Join(' ', words), commands));
        }

        if (helpCommand)
        {
            return new ParsedCommandLine(RequestKind.Help, command, null, quiet, verbose);
        }

        if (command is null)
        {
            if (rest.Count > 0)
            {
                throw new UsageException($"'{rest[0]}' is not a command or a global option.");
            }

            if (version && !help)
            {
                return new ParsedCommandLine(RequestKind.Version, null, null, quiet, verbose);
            }

            if (help)
            {
                return new ParsedCommandLine(RequestKind.Help, null, null, quiet, verbose);
            }

            throw new UsageException("no command given.");
        }

        // With --help the rest of the line is not checked: the help shows what it should have been.
        ParsedOptions options = help ? new ParsedOptions(command, new Dictionary<string, string?>()) : ParseOptions(command, rest);
        return new ParsedCommandLine(help ? RequestKind.Help : RequestKind.Run, command, options, quiet, verbose);
    }

    private static string? GlobalName(string token)
    {
        foreach (OptionSpec option in GlobalOptions)
        {
            if (token == "--" + option.Name || (option.Alias is { } alias && token == "-" + alias))
            {
                return option.Name;
            }
        }

        return null;
    }

    private static CommandSpec? Resolve(List<string> words, IReadOnlyList<CommandSpec> commands, out bool needsMore)
    {
        string name = string.Join(' ', words);
        CommandSpec? exact = commands.FirstOrDefault(c => c.Name == name);
        needsMore = exact is null && commands.Any(c => c.Name.StartsWith(name + " ", StringComparison.Ordinal));
        return exact;
    }

    private static string UnknownCommandMessage(string name, IReadOnlyList<CommandSpec> commands)
    {
        var group = commands.Where(c => c.Name.StartsWith(name + " ", StringComparison.Ordinal)).Select(c => c.Name[(name.Length + 1)..]).ToList();
        if (group.Count > 0)
        {
            return $"'{name}' needs a subcommand: {string.Join(" or ", group)}.";
        }

        string? closest = Closest(name, commands.Select(c => c.Name));
        return $"unknown command '{name}'." + (closest is null ? "" : $" Did you mean '{closest}'?");
    }

    private static ParsedOptions ParseOptions(CommandSpec command, List<string> tokens)
    {
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        for (int i = 0; i < tokens.Count; i++)
        {
            string token = tokens[i];
            if (!token.StartsWith("--", StringComparison.Ordinal) || token.Length == 2)
            {
                throw new UsageException(token.StartsWith('-')
                    ? $"unknown option '{token}' for '{command.Name}'."
                    : $"unexpected argument '{token}': '{command.Name}' takes options only (e.g. --{(command.Options.Count > 0 ? command.Options[0].Name : "help")} ...).")
                { Command = command.Name };
            }

            int equals = token.IndexOf('=', StringComparison.Ordinal);
            string name = equals < 0 ? token[2..] : token[2..equals];
            OptionSpec? option = command.Options.FirstOrDefault(o => o.Name == name);
            if (option is null)
            {
                string? closest = Closest(name, command.Options.Select(o => o.Name));
                throw new UsageException($"unknown option '--{name}' for '{command.Name}'." + (closest is null ? "" : $" Did you mean '--{closest}'?")) { Command = command.Name };
            }

            if (values.ContainsKey(name))
            {
                throw new UsageException($"--{name} is given more than once.") { Command = command.Name };
            }

            if (option.IsFlag)
            {
                if (equals >= 0)
                {
                    throw new UsageException($"--{name} is a flag and takes no value.") { Command = command.Name };
                }

                values[name] = null;
                continue;
            }

            string? value;
            if (equals >= 0)
            {
                value = token[(equals + 1)..];
            }
            else if (i + 1 < tokens.Count && !tokens[i + 1].StartsWith("--", StringComparison.Ordinal))
            {
                value = tokens[++i];
            }
            else
            {
                throw new UsageException($"--{name} needs a value ({option.ValueName}).") { Command = command.Name };
            }

            if (value.Length == 0)
            {
                throw new UsageException($"--{name} needs a non-empty value ({option.ValueName}).") { Command = command.Name };
            }

            if (option.Choices is { } choices && !choices.Contains(value, StringComparer.Ordinal))
            {
                throw new UsageException($"--{name} must be one of {string.Join(", ", choices)} (was '{value}').") { Command = command.Name };
            }

            values[name] = value;
        }

        foreach (OptionSpec option in command.Options.Where(o => o.Required && !values.ContainsKey(o.Name)))
        {
            throw new UsageException($"missing required option --{option.Name} {option.ValueName}.") { Command = command.Name };
        }

        return new ParsedOptions(command, values);
    }

    /// <summary>The candidate nearest to <paramref name="name"/> by edit distance, when it is a plausible typo.</summary>
    internal static string? Closest(string name, IEnumerable<string> candidates)
    {
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (string candidate in candidates)
        {
            int distance = Distance(name, candidate);
            if (distance < bestDistance)
            {
                (best, bestDistance) = (candidate, distance);
            }
        }

        return best is not null && bestDistance <= Math.Max(2, name.Length / 3) ? best : null;
    }

    private static int Distance(string a, string b)
    {
        int[] previous = Enumerable.Range(0, b.Length + 1).ToArray();
        int[] current = new int[b.Length + 1];
        for (int i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int cost = a[i - 1] == b[j - 1] ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
