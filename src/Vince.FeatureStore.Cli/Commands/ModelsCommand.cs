using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Supabase;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>models pull</c> and <c>models push</c>: the model set and the bucket, through <see cref="IModelBucket"/>.</summary>
internal static class ModelsCommand
{
    private static readonly OptionSpec Bucket = OptionSpec.Value("bucket", "NAME", "The Storage bucket.") with { DefaultText = SupabaseModelStore.DefaultBucket };

    public static CommandSpec Pull { get; } = new()
    {
        Name = "models pull",
        Summary = "Download the latest model set (training_metadata.json and the .onnx files it lists) from the bucket into the models directory.",
        Details =
        [
            "Only when the models directory has no .onnx file (as the bot does at start-up): the set is downloaded into a temporary directory, " +
            "checked (metadata parses, every listed model is present, non-empty and matches its onnx_hashes SHA-256) and swapped in atomically; " +
            "other files in the directory are kept. With models already there, nothing is downloaded: remove the .onnx files to pull again.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options = [CommonOptions.Models, CommonOptions.Url, Bucket],
        Examples = ["vince-features models pull --models .elizadb/vince-paper-bot/models"],
        Run = PullAsync,
    };

    public static CommandSpec Push { get; } = new()
    {
        Name = "models push",
        Summary = "Upload the model set of the models directory to the bucket: every .onnx file, then training_metadata.json last.",
        Details =
        [
            "Existing objects are replaced. The metadata goes last, so a reader never finds metadata naming models that are not uploaded yet; " +
            "every model the metadata lists must be in the directory.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options = [CommonOptions.Models, CommonOptions.Url, Bucket],
        Examples = ["vince-features models push --models ./trained"],
        Run = PushAsync,
    };

    private static async Task<int> PullAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.ModelsDirectory(options.Value("models"));
        using SupabaseConnection connection = SupabaseConnection.Resolve(context, options);
        IModelBucket bucket = CreateBucket(context, connection, options);
        ModelDownloadResult result = await bucket.DownloadIfMissingAsync(directory, cancellationToken).ConfigureAwait(false);
        switch (result.Outcome)
        {
            case ModelDownloadOutcome.Installed:
                context.Out.WriteLine($"installed {result.Files.Count} file(s) from {bucket.Name} into {directory}:");
                foreach (string file in result.Files)
                {
                    context.Out.WriteLine($"  {file}");
                }

                return VinceFeaturesCli.Success;
            case ModelDownloadOutcome.AlreadyPresent:
                context.Out.WriteLine($"{directory} already has .onnx files: nothing was downloaded (remove them to pull again).");
                return VinceFeaturesCli.Success;
            default:
                throw new CommandFailedException($"{bucket.Name} holds no model set (no training_metadata.json, or it lists no model): push one first.");
        }
    }

    private static async Task<int> PushAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.ModelsDirectory(options.Value("models"));
        using SupabaseConnection connection = SupabaseConnection.Resolve(context, options);
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"the models directory {directory} does not exist (pass --models DIR or set {Onnx.OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}).");
        }

        IModelBucket bucket = CreateBucket(context, connection, options);
        IReadOnlyList<string> uploaded;
        try
        {
            uploaded = await bucket.UploadAsync(directory, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }

        context.Out.WriteLine($"uploaded {uploaded.Count} file(s) from {directory} to {bucket.Name}:");
        foreach (string file in uploaded)
        {
            context.Out.WriteLine($"  {file}");
        }

        return VinceFeaturesCli.Success;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "The commands use the core contract IModelBucket; the Supabase store is its one implementation today.")]
    internal static IModelBucket CreateBucket(SupabaseConnection connection, string bucket, ILoggerFactory loggers)
        => new SupabaseModelStore(connection.Options, connection.Http, bucket, loggers.CreateLogger<SupabaseModelStore>());

    private static IModelBucket CreateBucket(CliContext context, SupabaseConnection connection, ParsedOptions options)
        => CreateBucket(connection, options.Value("bucket") ?? SupabaseModelStore.DefaultBucket, context.LoggerFactory);
}
