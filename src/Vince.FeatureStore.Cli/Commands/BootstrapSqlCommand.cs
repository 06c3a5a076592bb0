using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>bootstrap-sql</c>: prints the SQL that prepares the database for a sink.</summary>
internal static class BootstrapSqlCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "bootstrap-sql",
        Summary = "Print the SQL that prepares the database: the Supabase bootstrap script, or the Postgres sink's table migration.",
        Details =
        [
            "supabase: the feature table, its indexes, row level security on, the private vince-ml-models bucket when Storage is installed, " +
            "and a PostgREST schema reload; paste it into the project's SQL editor or pipe it to psql. postgres: the schema, table and indexes " +
            "the Postgres sink's start-up migration creates (for a database where the application may not create them). Both are idempotent.",
        ],
        Options =
        [
            OptionSpec.Value("target", "NAME", "Which database the script is for.") with { Choices = ["supabase", "postgres"], DefaultText = "supabase" },
            OptionSpec.Value("table", "NAME", "The table (a lower-case identifier).")
                with { DefaultText = $"{SupabaseOptions.DefaultTable} (supabase), {PostgresSinkOptions.DefaultTable} (postgres)" },
            OptionSpec.Value("schema", "NAME", "The schema, for --target postgres (Supabase uses public).") with { DefaultText = PostgresSinkOptions.DefaultSchema },
        ],
        Examples =
        [
            "vince-features bootstrap-sql > supabase-bootstrap.sql",
            "vince-features bootstrap-sql --target postgres | psql \"$POSTGRES_URL\"",
        ],
        Run = Run,
    };

    private static Task<int> Run(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        bool postgres = options.Value("target") == "postgres";
        string? table = options.Value("table");
        string? schema = options.Value("schema");
        if (!postgres && schema is not null)
        {
            throw new UsageException("--schema applies to --target postgres only (the Supabase table is in public).") { Command = Spec.Name };
        }

        string sql;
        try
        {
            sql = postgres
                ? PostgresBootstrap.GetSql(schema ?? PostgresSinkOptions.DefaultSchema, table ?? PostgresSinkOptions.DefaultTable)
                : SupabaseBootstrap.GetSql(table ?? SupabaseOptions.DefaultTable);
        }
        catch (ArgumentException ex)
        {
            // The library names the bad value: "'X' is not a valid schema name." / "Table must be a lower-case identifier …".
            throw new UsageException(ex.Message.Split(" (Parameter", 2)[0], ex) { Command = Spec.Name };
        }

        context.Out.Write(sql.EndsWith('\n') ? sql : sql + Environment.NewLine);
        return Task.FromResult(VinceFeaturesCli.Success);
    }
}
