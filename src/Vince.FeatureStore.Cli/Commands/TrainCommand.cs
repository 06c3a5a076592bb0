using System.Globalization;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using Vince.FeatureStore.Training;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>train</c>: one training with <see cref="ModelTrainingRunner"/> (trainer, validation, atomic install, optional upload).</summary>
internal static class TrainCommand
{
    public const string Python = "python";
    public const string Dotnet = "dotnet";

    private static readonly string[] PythonOnlyOptions = ["command", "script", "timeout"];

    public static CommandSpec Spec { get; } = new()
    {
        Name = "train",
        Summary = "Train the model set once from the feature log (or a table: --source), validate it and install it atomically into the models directory.",
        Details =
        [
            "The trainer writes into a fresh staging directory next to the models directory; the set is installed only when it validates " +
            "(training_metadata.json parses, every listed model loads in ONNX Runtime and its input width matches the metadata). A failed " +
            "training leaves the installed models as they were and prints the trainer's output. With fewer complete trades than " +
            "--min-samples the trainer writes no model: nothing is installed, and the command still succeeds (exit 0) and says so.",
            "The default trainer is the built-in .NET one (Vince.FeatureStore.Training): it trains in this process with ML.NET's gradient-boosted " +
            "trees and exports the same files; no Python needed. --trainer python (implied by --script or --command) runs an external process: " +
            "<command> <script> --data <data> --output <staging> --min-samples <N>, its output streamed to stderr; the script must " +
            "exist (name it with --script: the bot's train_models.py lives in the bot's repository).",
            "The records come from --source: the log in --data (features_*.jsonl, then synthetic_*.jsonl, then combined.jsonl, as the training " +
            "script does; --real-only reads only features_*.jsonl), or the Postgres or Supabase table. The trainer reads a snapshot of them, " +
            "written next to the models directory and deleted afterwards: one line per record (its latest version) in decision-time order, " +
            "with snapshot.json; the set's training_metadata.json names it as data_source.",
            "Quality gate: the new set is installed only when its signal-quality holdout AUC is at least the current set's on the same rows " +
            "(the new set's holdout, both models run in ONNX Runtime) minus --gate-tolerance. The current set is the registry's latest run " +
            "with --push, else the set installed in --output. A refused set is not installed (exit code 3); with --push it is kept in the " +
            "registry as a rejected run with rejected.json. --force installs and publishes it anyway.",
            "--push publishes the installed set to the registry in the Supabase bucket (runs/<trained_at>-<sha12>/, then latest.json), with " +
            "the URL and key of 'models push'.",
            CommonOptions.SupabaseKeyNote,
        ],
        Options =
        [
            RecordSource.Kind,
            CommonOptions.Data,
            CommonOptions.RealOnly,
            RecordSource.PostgresUrl,
            OptionSpec.Value("output", "DIR", "The models directory to install the trained set into (created when missing).")
                with { DefaultText = $"${Onnx.OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}, else {Onnx.OnnxScoringOptions.DefaultModelsDirectory}" },
            OptionSpec.Value("min-samples", "N", "The fewest complete trades to train on.") with { DefaultText = "90" },
            OptionSpec.Value("trainer", "NAME", "Which trainer runs: the Python script (external process) or the built-in .NET trainer.") with { Choices = [Python, Dotnet], DefaultText = $"{Dotnet}; {Python} when --script or --command is given" },
            OptionSpec.Value("command", "CMD", "The program the python trainer runs (on PATH, or a path).") with { DefaultText = ExternalProcessTrainerOptions.DefaultCommand },
            OptionSpec.Value("script", "PATH", "The training script passed to the command.") with { DefaultText = ExternalProcessTrainerOptions.DefaultScriptPath },
            OptionSpec.Value("timeout", "SECONDS", "How long the trainer may run before it is killed.") with { DefaultText = "1800" },
            OptionSpec.Flag("push", "Publish the installed set to the registry in the Supabase bucket (and keep a refused one as a rejected run)."),
            OptionSpec.Flag("force", "Install and publish the new set even when the quality gate refuses it."),
            OptionSpec.Value("gate-tolerance", "AUC", "How much lower than the current set's holdout AUC the new set's may be.")
                with { DefaultText = ModelQualityGateOptions.DefaultTolerance.ToString(CultureInfo.InvariantCulture) },
            CommonOptions.Url,
        ],
        Examples =
        [
            "vince-features train --data .elizadb/vince-paper-bot/features --output .elizadb/vince-paper-bot/models",
            "vince-features train --min-samples 200 --command /opt/venv/bin/python --script scripts/train_models.py --push",
            "vince-features train --trainer python --script ../bot/src/plugins/plugin-vince/scripts/train_models.py --real-only",
            "vince-features train --source supabase --push",
        ],
        Run = RunAsync,
    };

    /// <summary>The external trainer's settings from the command line; problems are usage errors naming the option.</summary>
    private static ExternalProcessTrainerOptions ExternalOptions(ParsedOptions options, TimeSpan timeout)
    {
        var external = new ExternalProcessTrainerOptions
        {
            Command = options.Value("command") ?? ExternalProcessTrainerOptions.DefaultCommand,
            ScriptPath = options.Value("script") ?? ExternalProcessTrainerOptions.DefaultScriptPath,
            Timeout = timeout,
        };
        if (!options.Has("script") && Path.GetFullPath(external.ScriptPath!) is { } script && !File.Exists(script))
        {
            throw new UsageException(
                $"--trainer python needs the training script: {script} does not exist. Name it with --script PATH " +
                $"(the bot's {ExternalProcessTrainerOptions.DefaultScriptPath}), or leave out --trainer for the built-in .NET trainer.")
            { Command = Spec.Name };
        }

        IReadOnlyList<string> problems = external.Validate();
        if (problems.Count > 0)
        {
            // Every problem names a setting the command line gives (--command, --script, --timeout).
            throw new UsageException("the trainer cannot run: " + string.Join(" ", problems)
                .Replace(nameof(ExternalProcessTrainerOptions.Command) + " ", "--command ", StringComparison.Ordinal)
                .Replace(nameof(ExternalProcessTrainerOptions.ScriptPath) + " ", "--script ", StringComparison.Ordinal))
            { Command = Spec.Name };
        }

        return external;
    }

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        int minSamples = options.Int("min-samples", 1) ?? 90;
        TimeSpan timeout = options.Seconds("timeout") ?? TimeSpan.FromMinutes(30);
        // The built-in trainer unless Python is asked for, by name or by configuring its script or command.
        bool dotnet = options.Value("trainer") is { } trainerName ? trainerName == Dotnet : !options.Has("script") && !options.Has("command");
        if (dotnet && PythonOnlyOptions.FirstOrDefault(options.Has) is { } pythonOnly)
        {
            throw new UsageException($"--{pythonOnly} applies to --trainer python only.") { Command = Spec.Name };
        }

        if (!options.Flag("push") && options.Has("url"))
        {
            throw new UsageException("--url applies with --push only.") { Command = Spec.Name };
        }

        ExternalProcessTrainerOptions? external = dotnet ? null : ExternalOptions(options, timeout);

        using SupabaseConnection? connection = options.Flag("push") ? SupabaseConnection.Resolve(context, options) : null;
        string models = context.ModelsDirectory(options.Value("output"));
        await using OpenedSource source = RecordSource.OpenStore(context, options, urlHasOtherUse: options.Flag("push"));
        string data = source.Log?.DataDirectory ?? context.DataDirectory(null);

        int complete = await source.Query.CountCompleteAsync(cancellationToken).ConfigureAwait(false);
        context.Info($"train: {complete} complete trade(s) in {source.Location}; the trainer needs at least {minSamples}");
        if (complete == 0)
        {
            context.WriteError($"warning: no complete trade: {source.LookedAt}.");
        }

        using ILoggerFactory logs = context.ProgressLoggerFactory();
        IModelTrainer trainer = external is null
            ? new DotnetModelTrainer(new DotnetTrainerOptions(), logs.CreateLogger<DotnetModelTrainer>())
            : new ExternalProcessTrainer(external, logs.CreateLogger<ExternalProcessTrainer>());
        IModelBucket? bucket = connection is null ? null : ModelsCommand.CreateBucket(connection, Supabase.SupabaseModelStore.DefaultBucket, logs);
        var gate = new ModelQualityGateOptions { Tolerance = options.Double("gate-tolerance", 0, 0.5) ?? ModelQualityGateOptions.DefaultTolerance };
        using var runner = new ModelTrainingRunner(trainer, data, models, minSamples, bucket, null, logs.CreateLogger<ModelTrainingRunner>(), qualityGate: gate,
            source: source.ToFeatureSource());
        ModelTrainingRunResult result = await runner.RunOnceAsync(options.Flag("force"), cancellationToken).ConfigureAwait(false);

        TextWriter output = context.Out;
        output.WriteLine($"trainer: {result.Trainer}");
        output.WriteLine($"models directory: {result.ModelsDirectory}");
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"duration: {result.Duration.TotalSeconds:0.0} s"));
        if (result.Snapshot is { } snapshot)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"data source: {snapshot.Kind}, {snapshot.Records} records (latest version of each id) as of {snapshot.AsOf.UtcDateTime:yyyy-MM-dd'T'HH:mm:ss.fff'Z'}, sha256 {snapshot.Sha256[..12]}"));
        }
        switch (result.Outcome)
        {
            case ModelTrainingRunOutcome.Installed:
                output.WriteLine("outcome: installed");
                foreach (ValidatedModel model in result.ModelSet!.Models)
                {
                    output.WriteLine($"  {model.FileName}: {(model.InputWidth is { } width ? $"{width} inputs" : "input width not fixed")}, sha256 {model.Sha256[..12]}");
                }

                if (result.TrainedAt is { } trainedAt)
                {
                    output.WriteLine($"trained at: {trainedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture)}");
                }

                output.WriteLine($"quality gate: {result.Gate?.Reason}");
                if (bucket is not null)
                {
                    if (result.UploadError is { } uploadError)
                    {
                        throw new CommandFailedException($"the set is installed in {result.ModelsDirectory}, but publishing it to {bucket.Name} failed: {uploadError.Message}", uploadError);
                    }

                    output.WriteLine($"published to {bucket.Name} as run {result.Run?.Id}; latest.json points to it");
                }

                return VinceFeaturesCli.Success;
            case ModelTrainingRunOutcome.Rejected:
                output.WriteLine("outcome: rejected by the quality gate; nothing was installed");
                output.WriteLine($"quality gate: {result.Gate?.Reason}");
                if (bucket is not null)
                {
                    output.WriteLine(result.Run is { } rejected
                        ? $"kept in {bucket.Name} as rejected run {rejected.Id} (latest.json unchanged)"
                        : $"keeping the rejected run in {bucket.Name} failed: {result.UploadError?.Message}");
                }

                context.WriteError("train: the quality gate refused the new set (use --force to install it anyway).");
                return VinceFeaturesCli.Rejected;
            case ModelTrainingRunOutcome.NotEnoughData:
                output.WriteLine($"outcome: not enough data: the trainer wrote no model ({complete} complete trade(s), {minSamples} needed); nothing was installed");
                return VinceFeaturesCli.Success;
            default:
                output.WriteLine("outcome: failed");
                if (context.Quiet && result.TrainerOutput.Length > 0)
                {
                    // The progress logger was silent: the trainer's output still belongs with the failure.
                    context.WriteError("trainer output (last lines):" + Environment.NewLine + result.TrainerOutput);
                }

                throw new CommandFailedException(
                    $"training failed at {result.FailedStage?.ToString().ToLowerInvariant() ?? "an unknown stage"}: {result.Error?.Message} The models in {result.ModelsDirectory} are unchanged.",
                    result.Error ?? new InvalidOperationException("The training failed."));
        }
    }
}
