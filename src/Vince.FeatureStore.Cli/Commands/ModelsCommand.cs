using System.Globalization;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Supabase;
using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>models list</c>, <c>models pull</c> and <c>models push</c>: the model registry in the bucket, through <see cref="IModelBucket"/>.</summary>
internal static class ModelsCommand
{
    private static readonly OptionSpec Bucket = OptionSpec.Value("bucket", "NAME", "The Storage bucket.") with { DefaultText = SupabaseModelStore.DefaultBucket };

    public static CommandSpec List { get; } = new()
    {
        Name = "models list",
        Summary = "List the training runs of the model registry in the bucket, newest first: latest, published, rejected (with the reason).",
        Details =
        [
            "Each published training is a run runs/<trained_at>-<sha12>/ holding every file of its set; latest.json points to the run every " +
            "instance installs. A run the quality gate refused is kept with rejected.json and never pointed to. A bucket in the original bot's " +
            "flat layout (the set at its root, no latest.json) shows as one run named 'flat'.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options = [CommonOptions.Url, Bucket],
        Examples = ["vince-features models list"],
        Run = ListAsync,
    };

    public static CommandSpec Pull { get; } = new()
    {
        Name = "models pull",
        Summary = "Install the registry's latest run (or --run RUN, e.g. to roll back) into the models directory, atomically.",
        Details =
        [
            "The run is downloaded into a temporary directory next to the models directory, every file is checked against its SHA-256 in the " +
            "run's manifest, and the set is swapped in at once (never a mixed set); other files in the directory are kept. Without --run, " +
            "nothing is downloaded when the directory already holds the latest run (same training_metadata.json). A bucket without latest.json " +
            "is read in the original bot's flat layout.",
            "--run installs the named run (see 'models list') whatever the directory holds: a rollback of this directory. --set-latest also " +
            "points latest.json to it, so that every instance polling the registry rolls back too.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options =
        [
            CommonOptions.Models,
            OptionSpec.Value("run", "RUN", "The run to install, as 'models list' shows it (or 'flat' for the bucket root).") with { DefaultText = "the run latest.json points to" },
            OptionSpec.Flag("set-latest", "With --run: also point latest.json to that run (a rollback of every instance)."),
            CommonOptions.Url,
            Bucket,
        ],
        Examples =
        [
            "vince-features models pull --models .elizadb/vince-paper-bot/models",
            "vince-features models pull --run 20260122T120000123Z-0123456789ab --set-latest",
        ],
        Run = PullAsync,
    };

    public static CommandSpec Push { get; } = new()
    {
        Name = "models push",
        Summary = "Publish the model set of the models directory as a new run of the registry and point latest.json to it (no quality gate).",
        Details =
        [
            "Every file of the set goes to runs/<trained_at>-<sha12>/ (the time from last_train_at.txt, else now), then its run.json, then " +
            "latest.json last, so a reader never finds a pointer to an incomplete run. The models and training_metadata.json are also copied to the " +
            "bucket root for bots of the original code. Every model the metadata lists must be in the directory.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options = [CommonOptions.Models, CommonOptions.Url, Bucket],
        Examples = ["vince-features models push --models ./trained"],
        Run = PushAsync,
    };

    private static async Task<int> ListAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        using SupabaseConnection connection = SupabaseConnection.Resolve(context, options);
        IModelBucket bucket = CreateBucket(context, connection, options);
        IReadOnlyList<ModelRun> runs = await bucket.ListRunsAsync(cancellationToken).ConfigureAwait(false);
        if (runs.Count == 0)
        {
            context.Out.WriteLine($"{bucket.Name} holds no model run.");
            return VinceFeaturesCli.Success;
        }

        foreach (ModelRun run in runs)
        {
            string trainedAt = run.TrainedAt is { } at ? at.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture) : "-";
            string status = run.Status.ToString().ToLowerInvariant();
            string detail = run.RejectionReason is { } reason ? "  " + reason
                : run.HoldoutAuc is { } auc ? string.Create(CultureInfo.InvariantCulture, $"  holdout AUC {auc:0.0000}") : "";
            context.Out.WriteLine($"{run.Id,-32} {trainedAt,-21} {status,-9}{detail}");
        }

        return VinceFeaturesCli.Success;
    }

    private static async Task<int> PullAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.ModelsDirectory(options.Value("models"));
        string? version = options.Value("run");
        bool setLatest = options.Flag("set-latest");
        if (setLatest && version is null)
        {
            throw new UsageException("--set-latest needs --run RUN.") { Command = Pull.Name };
        }

        using SupabaseConnection connection = SupabaseConnection.Resolve(context, options);
        IModelBucket bucket = CreateBucket(context, connection, options);
        ModelDownloadResult result;
        try
        {
            result = await bucket.DownloadAsync(directory, new ModelDownloadRequest { Version = version, OnlyWhenDifferent = version is null }, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is InvalidOperationException or ArgumentException)
        {
            throw new CommandFailedException(ex.Message, ex);
        }

        switch (result.Outcome)
        {
            case ModelDownloadOutcome.Installed:
                context.Out.WriteLine($"installed run {result.Run?.Id} ({result.Files.Count} file(s)) from {bucket.Name} into {directory}:");
                foreach (string file in result.Files)
                {
                    context.Out.WriteLine($"  {file}");
                }

                break;
            case ModelDownloadOutcome.UpToDate:
                context.Out.WriteLine($"{directory} already holds run {result.Run?.Id}, the latest of {bucket.Name}: nothing was downloaded.");
                break;
            default:
                throw new CommandFailedException($"{bucket.Name} holds no model set (no latest.json, and no training_metadata.json listing a model at its root): push one first.");
        }

        if (setLatest)
        {
            // The installed directory is exactly the run: publishing it again re-points latest.json to the same run id.
            ModelRun run = await bucket.PublishAsync(directory, null, cancellationToken).ConfigureAwait(false);
            context.Out.WriteLine($"latest.json of {bucket.Name} now points to run {run.Id}.");
        }

        return VinceFeaturesCli.Success;
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
        ModelRun run;
        try
        {
            run = await bucket.PublishAsync(directory, null, cancellationToken).ConfigureAwait(false);
        }
        catch (InvalidOperationException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }

        context.Out.WriteLine($"published {directory} to {bucket.Name} as run {run.Id}; latest.json points to it.");
        return VinceFeaturesCli.Success;
    }

    [System.Diagnostics.CodeAnalysis.SuppressMessage("Performance", "CA1859", Justification = "The commands use the core contract IModelBucket; the Supabase store is its one implementation today.")]
    internal static IModelBucket CreateBucket(SupabaseConnection connection, string bucket, ILoggerFactory loggers)
        => new SupabaseModelStore(connection.Options, connection.Http, bucket, loggers.CreateLogger<SupabaseModelStore>());

    private static IModelBucket CreateBucket(CliContext context, SupabaseConnection connection, ParsedOptions options)
        => CreateBucket(connection, options.Value("bucket") ?? SupabaseModelStore.DefaultBucket, context.LoggerFactory);
}
