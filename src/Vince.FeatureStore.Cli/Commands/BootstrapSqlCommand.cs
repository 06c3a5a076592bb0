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
            "Row level security refuses writes with the anon key (SUPABASE_ANON_KEY) unless a policy allows them: --allow-anon-writes adds " +
            "policies that let the anon role insert, update and read the table (an upsert needs all three). Anyone holding the anon key, which " +
            "is public in browser apps, can then read and write the table: prefer the service-role key where you can.",
        ],
        Options =
        [
            OptionSpec.Value("target", "NAME", "Which database the script is for.") with { Choices = ["supabase", "postgres"], DefaultText = "supabase" },
            OptionSpec.Value("table", "NAME", "The table (a lower-case identifier).")
                with { DefaultText = $"{SupabaseOptions.DefaultTable} (supabase), {PostgresSinkOptions.DefaultTable} (postgres)" },
            OptionSpec.Value("schema", "NAME", "The schema, for --target postgres (Supabase uses public).") with { DefaultText = PostgresSinkOptions.DefaultSchema },
            OptionSpec.Flag("allow-anon-writes", "Also add the row level security policies that let the anon key write (--target supabase)."),
        ],
        Examples =
        [
            "vince-features bootstrap-sql > supabase-bootstrap.sql",
            "vince-features bootstrap-sql --target postgres | psql \"$POSTGRES_URL\"",
            "vince-features bootstrap-sql --allow-anon-writes > supabase-bootstrap.sql",
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

        bool allowAnonWrites = options.Flag("allow-anon-writes");
        if (postgres && allowAnonWrites)
        {
            throw new UsageException("--allow-anon-writes applies to --target supabase only (the anon role is Supabase's).") { Command = Spec.Name };
        }

        string sql;
        try
        {
            sql = postgres
                ? PostgresBootstrap.GetSql(schema ?? PostgresSinkOptions.DefaultSchema, table ?? PostgresSinkOptions.DefaultTable)
                : SupabaseBootstrap.GetSql(table ?? SupabaseOptions.DefaultTable, allowAnonWrites);
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
