using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>Options shared by several commands, with one description each.</summary>
internal static class CommonOptions
{
    public static readonly OptionSpec Data = OptionSpec.Value("data", "DIR", "The feature data directory (features_*.jsonl, then synthetic_*.jsonl and combined.jsonl as the training script reads them).")
        with
    { DefaultText = $"${FeatureStoreOptions.DataDirectoryEnvironmentVariable}, else {FeatureStoreOptions.DefaultDataDirectory}" };

    public static readonly OptionSpec RealOnly = OptionSpec.Flag("real-only", "Read only the bot's own features_*.jsonl, leaving out synthetic_*.jsonl and combined.jsonl (the training script's --real-only).");

    /// <summary>The reader of the data directory a command reads, with <c>--real-only</c> applied.</summary>
    public static FeatureLogReader Reader(CliContext context, ParsedOptions options, string directory)
        => new(directory, new FeatureLogReaderOptions { RealOnly = options.Flag(RealOnly.Name) }, context.LoggerFactory.CreateLogger<FeatureLogReader>());

    /// <summary>What a reader looked at, for a message that found nothing: the files it read, else the patterns it looked for.</summary>
    public static string LookedAt(FeatureLogReader reader)
    {
        IReadOnlyList<string> files = reader.GetFiles();
        string patterns = string.Join(", ", reader.FilePatterns);
        return files.Count == 0
            ? $"no file matching {patterns} in {reader.DataDirectory}"
            : $"read {string.Join(", ", files.Select(Path.GetFileName))} (files looked for: {patterns})";
    }

    public static readonly OptionSpec Models = OptionSpec.Value("models", "DIR", "The models directory (signal_quality.onnx, training_metadata.json, …).")
        with
    { DefaultText = $"${OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}, else {OnnxScoringOptions.DefaultModelsDirectory}" };

    public static readonly OptionSpec Json = OptionSpec.Flag("json", "Write the result to stdout as one JSON document instead of text.");

    public static readonly OptionSpec Url = OptionSpec.Value("url", "URL", "The Supabase project URL, e.g. https://<project-ref>.supabase.co.")
        with
    { DefaultText = "$SUPABASE_URL, else derived from a Supabase $POSTGRES_URL" };

    /// <summary>How the key is given, repeated in the help of every command that needs it.</summary>
    public const string SupabaseKeyNote =
        "The key comes from the environment only: SUPABASE_SERVICE_ROLE_KEY (preferred), else SUPABASE_ANON_KEY. There is deliberately no " +
        "option for it, so that it never lands in shell history or process lists; the tool never prints it.";
}
