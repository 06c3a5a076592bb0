using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>
/// The one place that turns the command line into records: <c>--source jsonl</c> (the default: the data directory's
/// log, <c>--data</c>, <c>--real-only</c>), <c>postgres</c> (the Postgres sink's table, <c>$POSTGRES_URL</c> or
/// <c>--postgres-url</c>) or <c>supabase</c> (the Supabase table through PostgREST, <c>--url</c> and the key variables).
/// Options of another source than the chosen one are a usage error, so a command never silently reads something else.
/// </summary>
internal static class RecordSource
{
    public const string Jsonl = "jsonl";
    public const string Postgres = "postgres";
    public const string Supabase = "supabase";

    public static readonly OptionSpec Kind = OptionSpec.Value("source", "KIND",
        "Where the records come from: jsonl (the bot's log in --data), postgres (the Postgres sink's table plugin_vince.paper_bot_features) " +
        "or supabase (the Supabase table public.vince_paper_bot_features through PostgREST). Tables hold one row per id, the latest version.")
        with
    { Choices = [Jsonl, Postgres, Supabase], DefaultText = Jsonl };

    public static readonly OptionSpec PostgresUrl = OptionSpec.Value("postgres-url", "URL",
        "With --source postgres: the connection (postgresql:// URL or key/value string). Prefer the environment variable: a password on the command line lands in shell history.")
        with
    { DefaultText = $"${VinceEnvironment.PostgresUrl}" };

    /// <summary>The options of every source, for a command that reads records (<c>--data</c> and <c>--real-only</c> included).</summary>
    public static IReadOnlyList<OptionSpec> Options { get; } = [Kind, CommonOptions.Data, CommonOptions.RealOnly, PostgresUrl, CommonOptions.Url];

    /// <summary>The records named on the command line, in decision-time order (latest version of each id).</summary>
    /// <param name="context">The command's context.</param>
    /// <param name="options">The parsed options (<c>--data</c>).</param>
    /// <param name="required">When false, a data directory that was not named and does not exist gives <see langword="null"/> instead of an error.</param>
    /// <param name="cancellationToken">Stops the reading.</param>
    /// <returns>The records and a description of where they came from, or <see langword="null"/>.</returns>
    /// <exception cref="CommandFailedException">A named data directory does not exist.</exception>
    public static (IAsyncEnumerable<FeatureRecord> Records, string Description)? Open(CliContext context, ParsedOptions options, bool required, CancellationToken cancellationToken)
    {
        string? named = options.Value(CommonOptions.Data.Name);
        string directory = context.DataDirectory(named);
        if (!Directory.Exists(directory) && !required && named is null)
        {
            return null;
        }

        CliContext.EnsureDataDirectoryExists(directory);
        var reader = new FeatureLogReader(directory, new FeatureLogReaderOptions { RealOnly = true }, context.LoggerFactory.CreateLogger<FeatureLogReader>());
        return (reader.ReadRecordsAsync(cancellationToken: cancellationToken), $"the JSONL log in {directory}");
    }

    /// <summary>
    /// For a command whose JSONL input is an option of its own (<c>--<paramref name="jsonlOption"/></c>): the table
    /// <c>--source postgres|supabase</c> names, or <see langword="null"/> for <c>--source jsonl</c>.
    /// </summary>
    /// <exception cref="UsageException">The JSONL option was given with a table, or another source's option.</exception>
    public static OpenedSource? OpenTable(CliContext context, ParsedOptions options, string jsonlOption)
    {
        string kind = Chosen(options);
        if (kind == Jsonl)
        {
            return null; // the caller reads its own JSONL input
        }

        if (options.Has(jsonlOption))
        {
            throw new UsageException($"--{jsonlOption} reads JSONL; with --source {kind} the records come from the table, so leave --{jsonlOption} out.") { Command = options.Command.Name };
        }

        return OpenStore(context, options);
    }

    /// <summary>The store <c>--source</c> names, checked against the other options; dispose it when done.</summary>
    /// <exception cref="UsageException">An option of another source was given, or the chosen source has no connection.</exception>
    /// <exception cref="CommandFailedException">The data directory does not exist.</exception>
    /// <param name="context">The command's context.</param>
    /// <param name="options">The parsed options.</param>
    /// <param name="urlHasOtherUse">The command uses <c>--url</c> for something else (train's <c>--push</c>), so it does not tie the source to Supabase.</param>
    public static OpenedSource OpenStore(CliContext context, ParsedOptions options, bool urlHasOtherUse = false)
    {
        string kind = Chosen(options, urlHasOtherUse);
        string command = options.Command.Name;
        switch (kind)
        {
            case Postgres:
                string? url = options.Value(PostgresUrl.Name) ?? context.Environment(VinceEnvironment.PostgresUrl);
                if (string.IsNullOrWhiteSpace(url))
                {
                    throw new UsageException($"--source postgres needs a connection: set {VinceEnvironment.PostgresUrl} in the environment or pass --postgres-url URL.") { Command = command };
                }

                PostgresFeatureReader postgres;
                try
                {
                    postgres = new PostgresFeatureReader(url, logger: context.LoggerFactory.CreateLogger<PostgresFeatureReader>());
                }
                catch (ArgumentException ex)
                {
                    throw new UsageException($"the Postgres connection is not valid: {ex.Message}", ex) { Command = command };
                }

                return new OpenedSource(FeatureSourceKind.Postgres, postgres, null, $"the Postgres table {postgres.TableName}", postgres);
            case Supabase:
                SupabaseConnection connection = SupabaseConnection.Resolve(context, options);
                SupabaseFeatureReader supabase = connection.CreateSink(context).CreateReader(context.LoggerFactory.CreateLogger<SupabaseFeatureReader>());
                return new OpenedSource(FeatureSourceKind.Supabase, supabase, null, $"the Supabase table {supabase.TableName} at {connection.Options.Url}", connection);
            default:
                string directory = context.DataDirectory(options.Value(CommonOptions.Data.Name));
                CliContext.EnsureDataDirectoryExists(directory);
                FeatureLogReader log = CommonOptions.Reader(context, options, directory);
                return new OpenedSource(FeatureSourceKind.Jsonl, log, log, directory, null);
        }
    }

    /// <summary>The <c>--source</c> given (default jsonl), after checking that no option of another source was given.</summary>
    private static string Chosen(ParsedOptions options, bool urlHasOtherUse = false)
    {
        string kind = options.Value(Kind.Name) ?? Jsonl;
        foreach ((OptionSpec option, string owner) in new[] { (CommonOptions.Data, Jsonl), (CommonOptions.RealOnly, Jsonl), (PostgresUrl, Postgres), (CommonOptions.Url, Supabase) })
        {
            if (owner != kind && options.Has(option.Name) && !(urlHasOtherUse && option == CommonOptions.Url))
            {
                throw new UsageException($"--{option.Name} applies to --source {owner} only, not to --source {kind}.") { Command = options.Command.Name };
            }
        }

        return kind;
    }
}

/// <summary>A store opened by <see cref="RecordSource.OpenStore"/>.</summary>
/// <param name="Kind">Which kind of store.</param>
/// <param name="Query">Its records.</param>
/// <param name="Log">The JSONL reader when the source is the log, else <see langword="null"/>.</param>
/// <param name="Location">The data directory, or which table where.</param>
/// <param name="Owned">What closes with it (a connection pool, an HTTP client).</param>
internal sealed record OpenedSource(FeatureSourceKind Kind, IFeatureQuery Query, FeatureLogReader? Log, string Location, object? Owned) : IAsyncDisposable
{
    /// <summary>The store as a training source (what <c>train</c> snapshots).</summary>
    public FeatureSource ToFeatureSource() => Log is not null ? FeatureSource.Jsonl(Log) : new FeatureSource(Kind, Query, Location);

    /// <summary>What was read, for a message that found nothing.</summary>
    public string LookedAt => Log is not null ? CommonOptions.LookedAt(Log) : Location;

    /// <summary><see cref="LookedAt"/> as a sentence's end: "Files: …" for the log, "Read: …" for a table.</summary>
    public string ReadNote => (Log is not null ? "Files: " : "Read: ") + LookedAt;

    public async ValueTask DisposeAsync()
    {
        switch (Owned)
        {
            case IAsyncDisposable asyncDisposable:
                await asyncDisposable.DisposeAsync().ConfigureAwait(false);
                break;
            case IDisposable disposable:
                disposable.Dispose();
                break;
        }
    }
}
