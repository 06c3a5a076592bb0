using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>sync-supabase</c>: uploads the JSONL log to the Supabase table with <see cref="JsonlToSupabaseSync"/>.</summary>
internal static class SyncSupabaseCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "sync-supabase",
        Summary = "Upload the JSONL feature log to the Supabase table: the latest version of every record that is new or changed since the last run.",
        Details =
        [
            "Idempotent and resumable: <data>/.supabase-sync.json keeps a hash per id of the version last stored, saved after every batch, so " +
            "nothing is sent twice and an interrupted run resumes. Writes are upserts on id. --dry-run reads the log and the state and reports " +
            "records and batches without any request.",
            CommonOptions.SupabaseKeyNote,
            "Create the table first with: vince-features bootstrap-sql.",
        ],
        Options =
        [
            CommonOptions.Data,
            OptionSpec.Flag("dry-run", "Report what would be sent; send nothing and leave the state file unchanged."),
            CommonOptions.Url,
            OptionSpec.Value("table", "NAME", "The table in the public schema.") with { DefaultText = SupabaseOptions.DefaultTable },
        ],
        Examples =
        [
            "SUPABASE_URL=https://abc.supabase.co SUPABASE_SERVICE_ROLE_KEY=... vince-features sync-supabase --data ./features --dry-run",
            "vince-features sync-supabase --url https://abc.supabase.co",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.DataDirectory(options.Value("data"));
        bool dryRun = options.Flag("dry-run");
        using SupabaseConnection connection = SupabaseConnection.Resolve(context, options, o => o.Table = options.Value("table") ?? SupabaseOptions.DefaultTable);
        CliContext.EnsureDataDirectoryExists(directory);

        SupabaseFeatureSink sink = connection.CreateSink(context);
        if (!dryRun)
        {
            // A missing table or a refused key is reported before the log is read.
            await sink.InitializeAsync(cancellationToken).ConfigureAwait(false);
        }

        var sync = new JsonlToSupabaseSync(sink, directory, null, context.LoggerFactory.CreateLogger<JsonlToSupabaseSync>());
        ProgressReporter progress = context.Progress("sync-supabase");
        JsonlSyncReport report = await sync.RunAsync(dryRun, new Reporter(progress), cancellationToken).ConfigureAwait(false);

        TextWriter output = context.Out;
        output.WriteLine(dryRun ? "dry run: nothing was sent" : $"target: {sink.TableName} at {connection.Settings.Url}");
        output.WriteLine($"files: {report.Files.Count}");
        output.WriteLine($"records: {report.Records} ({report.CompleteRecords} complete)");
        output.WriteLine($"already sent: {report.AlreadySent}");
        output.WriteLine($"to send: {report.ToSend} ({report.CompleteToSend} complete) in {report.Batches} request(s)");
        output.WriteLine($"sent: {report.Sent}");
        output.WriteLine($"state: {sync.StateFile}");
        return VinceFeaturesCli.Success;
    }

    private sealed class Reporter(ProgressReporter progress) : IProgress<JsonlSyncProgress>
    {
        public void Report(JsonlSyncProgress value)
        {
            if (value.Sent > 0)
            {
                progress.Report(value.Sent, value.ToSend, "records sent");
            }
        }
    }
}
