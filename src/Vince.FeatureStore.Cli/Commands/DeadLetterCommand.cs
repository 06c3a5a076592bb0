using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Pipeline;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>
/// <c>deadletter list</c> and <c>deadletter retry</c>: the records a sink refused permanently, parked in
/// <c>&lt;data&gt;/.deadletter/&lt;sink&gt;.jsonl</c> (<see cref="DeadLetterFile"/>), and shipping them again once fixed.
/// </summary>
internal static class DeadLetterCommand
{
    private static readonly OptionSpec Sink = OptionSpec.Value("sink", "NAME", "The sink's name, as registered (postgres, supabase, or the name given to AddPostgres/AddSupabase).") with { Required = true };

    private const string FileNote =
        "A sink parks a record when it refuses that record permanently while it stores the others (a CHECK constraint, a trigger, " +
        "a value a column cannot hold): the record goes to <data>/.deadletter/<sink>.jsonl with the sink's error, and the sink moves on.";

    public static CommandSpec List { get; } = new()
    {
        Name = "deadletter list",
        Summary = "List the record versions a sink refused permanently and parked in its dead-letter file, with the error of each.",
        Details = [FileNote, "Reads the file only; the running bot may keep writing."],
        Options = [CommonOptions.Data, Sink, CommonOptions.Json],
        Examples = ["vince-features deadletter list --sink postgres --data ./features"],
        Run = ListAsync,
    };

    public static CommandSpec Retry { get; } = new()
    {
        Name = "deadletter retry",
        Summary = "Ship the parked record versions of a sink again (after fixing the table or constraint): stored ones leave the file, refused ones stay with the new error.",
        Details =
        [
            FileNote,
            "Records are sent one at a time in log order. A parked version is not sent when the log holds a later version of the same id " +
            "that is not parked (the sink has it, or ships it from its cursor): it is removed as superseded, so a retry never makes the sink stale. " +
            "If the sink itself fails (login, missing table, network), the retry stops and keeps the rest. Safe beside the running bot: the file is locked while it changes.",
            "--target postgres connects with POSTGRES_URL from the environment; --target supabase with SUPABASE_URL (or --url) and the key variables. " +
            CommonOptions.SupabaseKeyNote,
            "Exit code 0 when nothing is left parked, 1 when records remain (stderr says why).",
        ],
        Options =
        [
            CommonOptions.Data,
            Sink,
            OptionSpec.Value("target", "KIND", "What kind of sink it is.") with { Choices = ["postgres", "supabase"], DefaultText = "the sink name, when it is postgres or supabase" },
            OptionSpec.Value("table", "NAME", "The table.") with { DefaultText = $"{PostgresSinkOptions.DefaultTable} (postgres), {SupabaseOptions.DefaultTable} (supabase)" },
            OptionSpec.Value("schema", "NAME", "The schema, for --target postgres.") with { DefaultText = PostgresSinkOptions.DefaultSchema },
            CommonOptions.Url,
        ],
        Examples =
        [
            "POSTGRES_URL=postgresql://bot@db/app vince-features deadletter retry --sink postgres --data ./features",
            "vince-features deadletter retry --sink archive --target postgres --table features_archive",
        ],
        Run = RetryAsync,
    };

    private static string SinkName(ParsedOptions options)
    {
        string name = options.Required(Sink.Name);
        if (!SinkShippers.IsValidName(name))
        {
            throw new UsageException($"--sink '{name}' is not a sink name: {SinkShippers.NameRule}.") { Command = options.Command.Name };
        }

        return name;
    }

    private static async Task<int> ListAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.DataDirectory(options.Value("data"));
        string sink = SinkName(options);
        CliContext.EnsureDataDirectoryExists(directory);
        var file = new DeadLetterFile(directory, sink, fsync: false);
        DeadLetterContents contents = await file.ReadAsync(cancellationToken).ConfigureAwait(false);
        if (options.Flag(CommonOptions.Json.Name))
        {
            WriteJson(context, file, contents);
            return VinceFeaturesCli.Success;
        }

        TextWriter output = context.Out;
        output.WriteLine($"dead-letter file: {file.FilePath}");
        output.WriteLine($"parked: {contents.Letters.Count}");
        foreach (DeadLetter letter in contents.Letters)
        {
            output.WriteLine($"  {letter.Id}  parked {letter.ParkedAtUtc.ToString("u", CultureInfo.InvariantCulture)}  from {letter.File} at byte {letter.Offset}");
            output.WriteLine($"    {letter.Error}");
        }

        if (contents.UnreadableLines.Count > 0)
        {
            output.WriteLine($"unreadable lines (kept as they are): {contents.UnreadableLines.Count}");
        }

        return VinceFeaturesCli.Success;
    }

    private static void WriteJson(CliContext context, DeadLetterFile file, DeadLetterContents contents)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("sink", file.SinkName);
            writer.WriteString("file", file.FilePath);
            writer.WriteNumber("parked", contents.Letters.Count);
            writer.WriteNumber("unreadableLines", contents.UnreadableLines.Count);
            writer.WriteStartArray("records");
            foreach (DeadLetter letter in contents.Letters)
            {
                writer.WriteStartObject();
                writer.WriteString("id", letter.Id);
                writer.WriteString("parkedAt", letter.ParkedAtUtc.ToString("O", CultureInfo.InvariantCulture));
                writer.WriteString("file", letter.File);
                writer.WriteNumber("offset", letter.Offset);
                writer.WriteString("error", letter.Error);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        context.Out.WriteLine(System.Text.Encoding.UTF8.GetString(buffer.ToArray()));
    }

    private static async Task<int> RetryAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string directory = context.DataDirectory(options.Value("data"));
        string name = SinkName(options);
        string target = options.Value("target") ?? name switch
        {
            PostgresSinkOptions.DefaultName => "postgres",
            SupabaseOptions.DefaultName => "supabase",
            _ => throw new UsageException($"--target is needed: the sink '{name}' is not named postgres or supabase.") { Command = options.Command.Name },
        };
        if (target == "supabase" && options.Value("schema") is not null)
        {
            throw new UsageException("--schema applies to --target postgres only (the Supabase table is in public).") { Command = options.Command.Name };
        }

        if (target == "postgres" && options.Value("url") is not null)
        {
            throw new UsageException("--url applies to --target supabase only (Postgres connects with POSTGRES_URL).") { Command = options.Command.Name };
        }

        CliContext.EnsureDataDirectoryExists(directory);
        if (!File.Exists(DeadLetterFile.PathOf(directory, name)))
        {
            context.Out.WriteLine($"nothing parked for sink {name} ({DeadLetterFile.PathOf(directory, name)} does not exist)");
            return VinceFeaturesCli.Success;
        }

        DeadLetterRetryReport report;
        if (target == "postgres")
        {
            await using PostgresFeatureSink sink = CreatePostgresSink(context, options, name);
            report = await DeadLetterRetry.RunAsync(directory, sink, fsync: true, cancellationToken).ConfigureAwait(false);
        }
        else
        {
            using SupabaseConnection connection = SupabaseConnection.Resolve(context, options, o =>
            {
                o.Name = name;
                o.Table = options.Value("table") ?? SupabaseOptions.DefaultTable;
            });
            report = await DeadLetterRetry.RunAsync(directory, connection.CreateSink(context), fsync: true, cancellationToken).ConfigureAwait(false);
        }

        TextWriter output = context.Out;
        output.WriteLine($"shipped: {report.Shipped}");
        output.WriteLine($"superseded by a later version (removed, not sent): {report.Superseded}");
        output.WriteLine($"still parked: {report.Kept.Count}");
        foreach (DeadLetter letter in report.Kept)
        {
            output.WriteLine($"  {letter.Id}: {letter.Error}");
        }

        if (report.StoppedBy is not null)
        {
            throw new CommandFailedException($"the sink failed, so the retry stopped and kept {report.Kept.Count} record(s): {report.StoppedBy}");
        }

        if (report.Kept.Count > 0)
        {
            throw new CommandFailedException($"{report.Kept.Count} record(s) were refused again and stay parked; fix the cause shown above and retry.");
        }

        return VinceFeaturesCli.Success;
    }

    private static PostgresFeatureSink CreatePostgresSink(CliContext context, ParsedOptions options, string name)
    {
        string? url = context.Environment(VinceEnvironment.PostgresUrl);
        if (string.IsNullOrWhiteSpace(url))
        {
            throw new UsageException(
                $"no PostgreSQL connection: set {VinceEnvironment.PostgresUrl} in the environment (the tool takes no connection option, so the password stays out of shell history).")
            { Command = options.Command.Name };
        }

        var postgres = new PostgresSinkOptions
        {
            Name = name,
            ConnectionString = url,
            Schema = options.Value("schema") ?? PostgresSinkOptions.DefaultSchema,
            Table = options.Value("table") ?? PostgresSinkOptions.DefaultTable,

            // A retry never creates the table: it ships into the one the bot's sink uses.
            MigrateOnStart = false,
        };
        IReadOnlyList<string> errors = postgres.Validate();
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(" ", errors)) { Command = options.Command.Name };
        }

        return new PostgresFeatureSink(postgres, context.LoggerFactory.CreateLogger<PostgresFeatureSink>());
    }
}
