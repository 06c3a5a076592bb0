using System.Text;

namespace Vince.FeatureStore.Cli.CommandLine;

/// <summary>Writes the general help and each command's help, wrapped to a fixed width.</summary>
internal static class HelpWriter
{
    private const int Width = 100;

    public static string General(IReadOnlyList<CommandSpec> commands, string tool)
    {
        var text = new StringBuilder();
        text.Append(tool).AppendLine(": the command-line tool of Vince.FeatureStore (feature logs, training export, Supabase, ONNX scoring).");
        text.AppendLine();
        text.Append("Usage: ").Append(tool).AppendLine(" <command> [options]");
        text.Append("       ").Append(tool).AppendLine(" <command> --help");
        text.AppendLine();
        text.AppendLine("Commands:");
        int width = commands.Max(c => c.Name.Length) + 4;
        foreach (CommandSpec command in commands)
        {
            Row(text, "  " + command.Name, command.Summary, width + 2);
        }

        text.AppendLine();
        Options(text, "Global options (with any command):", ArgumentParser.GlobalOptions);
        text.AppendLine();
        Wrap(text, "Exit codes: 0 success; 1 failure (the message on stderr says what and what to do); 2 usage error (unknown command or option, missing or bad value); 130 interrupted (Ctrl+C).", 0);
        text.AppendLine();
        Wrap(text, "Results go to stdout, progress and messages to stderr, so stdout stays machine-readable.", 0);
        text.AppendLine();
        text.AppendLine("Environment:");
        Row(text, "  VINCE_FEATURE_STORE_DATA_DIR", "The data directory when --data is omitted (default .elizadb/vince-paper-bot/features).", 34);
        Row(text, "  VINCE_ML_MODELS_DIR", "The models directory when --models is omitted (default .elizadb/vince-paper-bot/models).", 34);
        Row(text, "  SUPABASE_URL", "The Supabase project URL when --url is omitted (else derived from a Supabase POSTGRES_URL).", 34);
        Row(text, "  SUPABASE_SERVICE_ROLE_KEY", "The Supabase key (else SUPABASE_ANON_KEY). Taken from the environment only, never from an option, so it stays out of shell history; never printed.", 34);
        Row(text, "  POSTGRES_URL", "A Supabase Postgres URL the project URL can be derived from.", 34);
        return text.ToString();
    }

    public static string ForCommand(CommandSpec command, string tool)
    {
        var text = new StringBuilder();
        var usage = new StringBuilder("Usage: ").Append(tool).Append(' ').Append(command.Name);
        foreach (OptionSpec option in command.Options.Where(o => o.Required))
        {
            usage.Append(" --").Append(option.Name).Append(' ').Append(option.ValueName);
        }

        if (command.Options.Any(o => !o.Required))
        {
            usage.Append(" [options]");
        }

        text.AppendLine(usage.ToString());
        text.AppendLine();
        Wrap(text, command.Summary, 0);
        foreach (string paragraph in command.Details)
        {
            text.AppendLine();
            Wrap(text, paragraph, 0);
        }

        text.AppendLine();
        Options(text, "Options:", [.. command.Options, ArgumentParser.HelpOption]);
        if (command.Examples.Count > 0)
        {
            text.AppendLine();
            text.AppendLine("Examples:");
            foreach (string example in command.Examples)
            {
                text.Append("  ").AppendLine(example);
            }
        }

        return text.ToString();
    }

    private static void Options(StringBuilder text, string title, IReadOnlyList<OptionSpec> options)
    {
        text.AppendLine(title);
        var labels = options.Select(o => (Option: o, Label: "  " + (o.Alias is { } a ? $"-{a}, " : "") + "--" + o.Name + (o.IsFlag ? "" : " " + o.ValueName))).ToList();
        int width = labels.Max(l => l.Label.Length) + 2;
        foreach ((OptionSpec option, string label) in labels)
        {
            var description = new StringBuilder();
            if (option.Required)
            {
                description.Append("(required) ");
            }

            description.Append(option.Description);
            if (option.Choices is { } choices)
            {
                description.Append(" One of: ").Append(string.Join(", ", choices)).Append('.');
            }

            if (option.DefaultText is { } defaultText)
            {
                description.Append(" Default: ").Append(defaultText).Append('.');
            }

            Row(text, label, description.ToString(), width);
        }
    }

    private static void Row(StringBuilder text, string label, string description, int width)
    {
        if (label.Length + 2 > width)
        {
            text.AppendLine(label);
            text.Append(' ', width);
        }
        else
        {
            text.Append(label.PadRight(width));
        }

        Wrap(text, description, width, firstLineIndented: true);
    }

    private static void Wrap(StringBuilder text, string paragraph, int indent, bool firstLineIndented = false)
    {
        int column = firstLineIndented ? indent : 0;
        if (!firstLineIndented)
        {
            text.Append(' ', indent);
            column = indent;
        }

        bool lineStart = true;
        foreach (string word in paragraph.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            if (!lineStart && column + 1 + word.Length > Width)
            {
                text.AppendLine();
                text.Append(' ', indent);
                column = indent;
                lineStart = true;
            }

            if (!lineStart)
            {
                text.Append(' ');
                column++;
            }

            text.Append(word);
            column += word.Length;
            lineStart = false;
        }

        text.AppendLine();
    }
}
