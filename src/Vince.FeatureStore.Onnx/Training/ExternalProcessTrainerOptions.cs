using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Settings of the <see cref="ExternalProcessTrainer"/>: which program to start, with which arguments, for how long.
/// The defaults run the bot's Python script:
/// <c>python3 src/plugins/plugin-vince/scripts/train_models.py --data &lt;features&gt; --output &lt;temp&gt; --min-samples &lt;N&gt;</c>.
/// </summary>
public sealed class ExternalProcessTrainerOptions
{
    /// <summary>The default command, <c>python3</c>.</summary>
    public const string DefaultCommand = "python3";

    /// <summary>The bot's training script, relative to the repository root: <c>src/plugins/plugin-vince/scripts/train_models.py</c>.</summary>
    public const string DefaultScriptPath = "src/plugins/plugin-vince/scripts/train_models.py";

    /// <summary>Placeholder replaced by the full path of <see cref="ScriptPath"/>.</summary>
    public const string ScriptPlaceholder = "{script}";

    /// <summary>Placeholder replaced by the full path of the feature log directory.</summary>
    public const string DataPlaceholder = "{data}";

    /// <summary>Placeholder replaced by the full path of the (empty) output directory.</summary>
    public const string OutputPlaceholder = "{output}";

    /// <summary>Placeholder replaced by the minimum number of complete trades.</summary>
    public const string MinSamplesPlaceholder = "{min_samples}";

    /// <summary>The program to start: a name looked up on <c>PATH</c> (default <c>python3</c>) or a path. Never run through a shell.</summary>
    public string Command { get; set; } = DefaultCommand;

    /// <summary>
    /// The script passed as <see cref="ScriptPlaceholder"/> (default <see cref="DefaultScriptPath"/>); a relative path is
    /// relative to <see cref="WorkingDirectory"/>, else to the current directory. Not needed when the arguments do not use it.
    /// </summary>
    public string? ScriptPath { get; set; } = DefaultScriptPath;

    /// <summary>
    /// The argument list, one entry per argument (no shell quoting), with the placeholders <c>{script}</c>, <c>{data}</c>,
    /// <c>{output}</c> and <c>{min_samples}</c> replaced, also inside a longer argument such as <c>--data={data}</c>.
    /// Default: <c>{script} --data {data} --output {output} --min-samples {min_samples}</c>.
    /// </summary>
    public IList<string> Arguments { get; } = [ScriptPlaceholder, "--data", DataPlaceholder, "--output", OutputPlaceholder, "--min-samples", MinSamplesPlaceholder];

    /// <summary>How long a training may take before the process (and every child it started) is killed. Default 30 minutes.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>The working directory of the process; the current directory when unset.</summary>
    public string? WorkingDirectory { get; set; }

    /// <summary>
    /// Extra environment variables for the process (a <see langword="null"/> value removes one). <c>PYTHONUNBUFFERED=1</c> is
    /// set unless given here, so that a Python script's output arrives line by line.
    /// </summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>How many of the last output lines (stdout and stderr) are kept for the result and for errors. Default 200.</summary>
    public int OutputTailLines { get; set; } = 200;

    /// <summary>Whether the arguments use <see cref="ScriptPlaceholder"/>.</summary>
    internal bool UsesScript => Arguments.Any(a => a.Contains(ScriptPlaceholder, StringComparison.Ordinal));

    /// <summary>The full path of <see cref="ScriptPath"/>.</summary>
    internal string? ResolveScriptPath()
        => string.IsNullOrWhiteSpace(ScriptPath) ? null : Path.GetFullPath(ScriptPath, Path.GetFullPath(WorkingDirectory ?? Directory.GetCurrentDirectory()));

    /// <summary>
    /// Returns every problem with the settings, or an empty list: the command must be found (on <c>PATH</c> or as a
    /// file), the script must exist when the arguments use it, the working directory must exist, the timeout must be positive.
    /// </summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrWhiteSpace(Command))
        {
            errors.Add($"{nameof(Command)} must be set (e.g. python3).");
        }
        else if (FindCommand(Command, WorkingDirectory) is null)
        {
            errors.Add(Command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal) || Command.Contains('/', StringComparison.Ordinal)
                ? $"{nameof(Command)} '{Command}' does not exist."
                : $"{nameof(Command)} '{Command}' is not found on PATH.");
        }

        if (WorkingDirectory is not null && !Directory.Exists(WorkingDirectory))
        {
            errors.Add($"{nameof(WorkingDirectory)} '{WorkingDirectory}' does not exist.");
        }

        if (Arguments.Count == 0 || Arguments.Any(a => a is null))
        {
            errors.Add($"{nameof(Arguments)} must hold at least one argument and no null entry.");
        }
        else
        {
            if (!Arguments.Any(a => a.Contains(OutputPlaceholder, StringComparison.Ordinal)))
            {
                errors.Add($"{nameof(Arguments)} must pass the output directory ({OutputPlaceholder}): the trainer writes the model set there.");
            }

            if (UsesScript)
            {
                string? script = ResolveScriptPath();
                if (script is null)
                {
                    errors.Add($"{nameof(ScriptPath)} must be set: {nameof(Arguments)} use {ScriptPlaceholder}.");
                }
                else if (!File.Exists(script))
                {
                    errors.Add($"{nameof(ScriptPath)} '{ScriptPath}' does not exist (looked for {script}).");
                }
            }
        }

        if (Timeout <= TimeSpan.Zero || Timeout > TimeSpan.FromDays(1))
        {
            errors.Add($"{nameof(Timeout)} must be between 0 and 1 day (was {Timeout}).");
        }

        if (OutputTailLines is < 1 or > 100_000)
        {
            errors.Add($"{nameof(OutputTailLines)} must be between 1 and 100000 (was {OutputTailLines}).");
        }

        if (Environment.Keys.Any(k => string.IsNullOrEmpty(k) || k.Contains('=', StringComparison.Ordinal)))
        {
            errors.Add($"{nameof(Environment)} names must be non-empty and contain no '='.");
        }

        return errors;
    }

    /// <summary>The full path of <paramref name="command"/>: itself when it names a file, else the first match on <c>PATH</c>.</summary>
    internal static string? FindCommand(string command, string? workingDirectory)
    {
        if (Path.IsPathRooted(command) || command.Contains('/', StringComparison.Ordinal) || command.Contains(Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            string full = Path.GetFullPath(command, Path.GetFullPath(workingDirectory ?? Directory.GetCurrentDirectory()));
            return File.Exists(full) ? full : null;
        }

        string[] suffixes = OperatingSystem.IsWindows()
            ? ["", .. (VinceEnvironment.Process.Get(VinceEnvironment.ExecutableExtensions) ?? ".EXE;.CMD;.BAT").Split(';', StringSplitOptions.RemoveEmptyEntries)]
            : [""];
        foreach (string directory in (VinceEnvironment.Process.Get(VinceEnvironment.SearchPath) ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string suffix in suffixes)
            {
                string candidate = Path.Combine(directory, command + suffix);
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }
}
