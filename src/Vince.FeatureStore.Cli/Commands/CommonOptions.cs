using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>Options shared by several commands, with one description each.</summary>
internal static class CommonOptions
{
    public static readonly OptionSpec Data = OptionSpec.Value("data", "DIR", "The feature data directory (the features_*.jsonl files).")
        with { DefaultText = $"${FeatureStoreOptions.DataDirectoryEnvironmentVariable}, else {FeatureStoreOptions.DefaultDataDirectory}" };

    public static readonly OptionSpec Models = OptionSpec.Value("models", "DIR", "The models directory (signal_quality.onnx, training_metadata.json, …).")
        with { DefaultText = $"${OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}, else {OnnxScoringOptions.DefaultModelsDirectory}" };

    public static readonly OptionSpec Json = OptionSpec.Flag("json", "Write the result to stdout as one JSON document instead of text.");

    public static readonly OptionSpec Url = OptionSpec.Value("url", "URL", "The Supabase project URL, e.g. https://<project-ref>.supabase.co.")
        with { DefaultText = "$SUPABASE_URL, else derived from a Supabase $POSTGRES_URL" };

    /// <summary>How the key is given, repeated in the help of every command that needs it.</summary>
    public const string SupabaseKeyNote =
        "The key comes from the environment only: SUPABASE_SERVICE_ROLE_KEY (preferred), else SUPABASE_ANON_KEY. There is deliberately no " +
        "option for it, so that it never lands in shell history or process lists; the tool never prints it.";
}
