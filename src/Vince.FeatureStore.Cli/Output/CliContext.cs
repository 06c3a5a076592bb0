using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Cli.CommandLine;

namespace Vince.FeatureStore.Cli;

/// <summary>What a command runs with: the output writers, the environment, the log and progress settings.</summary>
internal sealed class CliContext
{
    private readonly object _errorLock = new();

    public CliContext(TextWriter stdout, TextWriter stderr, Func<string, string?> environment, bool quiet, bool verbose)
    {
        Out = stdout;
        Error = stderr;
        Environment = environment;
        Quiet = quiet;
        Verbose = verbose;
        LoggerFactory = new CliLoggerFactory(this, verbose ? LogLevel.Information : LogLevel.Warning);
    }

    public const string Tool = "vince-features";

    /// <summary>Results (machine-readable where a command says so).</summary>
    public TextWriter Out { get; }

    /// <summary>Progress, messages, warnings and errors.</summary>
    public TextWriter Error { get; }

    public Func<string, string?> Environment { get; }

    /// <summary>No progress or informational messages (warnings and errors still show).</summary>
    public bool Quiet { get; }

    public bool Verbose { get; }

    public ILoggerFactory LoggerFactory { get; }

    /// <summary>Writes one line to stderr; safe from several threads (the libraries log from worker threads).</summary>
    public void WriteError(string line)
    {
        lock (_errorLock)
        {
            Error.WriteLine(line);
            Error.Flush();
        }
    }

    /// <summary>An informational line on stderr, unless <see cref="Quiet"/>.</summary>
    public void Info(string line)
    {
        if (!Quiet)
        {
            WriteError(line);
        }
    }

    public ProgressReporter Progress(string label) => new(this, label);

    /// <summary>
    /// A logger factory that also shows the libraries' information messages unless <see cref="Quiet"/>: for work whose
    /// progress the libraries log themselves (a training's output, line by line).
    /// </summary>
    public ILoggerFactory ProgressLoggerFactory()
        => new CliLoggerFactory(this, Quiet ? LogLevel.Warning : Verbose ? LogLevel.Debug : LogLevel.Information);

    /// <summary>The data directory: <c>--data</c>, else <c>VINCE_FEATURE_STORE_DATA_DIR</c>, else the bot's default; says which on stderr.</summary>
    public string DataDirectory(string? option) => Directory(option, FeatureStoreOptions.DataDirectoryEnvironmentVariable, FeatureStoreOptions.DefaultDataDirectory, "data");

    /// <summary>Fails the command when the data directory <paramref name="directory"/> does not exist, saying how to name one.</summary>
    /// <param name="directory">The resolved data directory.</param>
    /// <exception cref="CommandFailedException">The directory does not exist.</exception>
    public static void EnsureDataDirectoryExists(string directory)
    {
        if (!System.IO.Directory.Exists(directory))
        {
            throw new CommandFailedException($"the data directory {directory} does not exist (pass --data DIR or set {FeatureStoreOptions.DataDirectoryEnvironmentVariable}).");
        }
    }

    /// <summary>The models directory: <c>--models</c>, else <c>VINCE_ML_MODELS_DIR</c>, else the bot's default; says which on stderr.</summary>
    public string ModelsDirectory(string? option) => Directory(option, OnnxScoringOptions.ModelsDirectoryEnvironmentVariable, OnnxScoringOptions.DefaultModelsDirectory, "models");

    private string Directory(string? option, string variable, string fallback, string what)
    {
        if (!string.IsNullOrWhiteSpace(option))
        {
            return Path.GetFullPath(option);
        }

        string? fromEnvironment = Environment(variable);
        string directory = Path.GetFullPath(string.IsNullOrWhiteSpace(fromEnvironment) ? fallback : fromEnvironment.Trim());
        Info($"{what}: {directory} (from {(string.IsNullOrWhiteSpace(fromEnvironment) ? "the default" : variable)})");
        return directory;
    }
}
