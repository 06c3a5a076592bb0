using Vince.FeatureStore.Postgres.Migrations;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// The SQL of the sink's start-up migration as a script, for a database where the application may not create
/// tables (run it once as the owner) or to review it: the schema, the table
/// (<c>id text primary key, created_at timestamptz, payload jsonb</c>) and its indexes (<c>created_at</c>; asset and
/// time of complete trades). Idempotent (<c>IF NOT EXISTS</c> throughout).
/// </summary>
public static class PostgresBootstrap
{
    /// <summary>The script for <paramref name="schema"/>.<paramref name="table"/>.</summary>
    /// <param name="schema">A lower-case identifier; default <c>plugin_vince</c>.</param>
    /// <param name="table">A lower-case identifier; default <c>paper_bot_features</c>.</param>
    /// <returns>The script, statements separated by newlines.</returns>
    /// <exception cref="ArgumentException">A name is not a lower-case identifier.</exception>
    public static string GetSql(string schema = PostgresSinkOptions.DefaultSchema, string table = PostgresSinkOptions.DefaultTable)
    {
        var name = new PostgresTableName(schema, table);
        return $"""
            -- Vince.FeatureStore: the feature table of the Postgres sink ({name.Display}), as its start-up migration creates it.
            -- Idempotent: safe to run again. The sink never alters an existing table.
            CREATE SCHEMA IF NOT EXISTS {PostgresTableName.Quote(name.Schema)};
            {FeatureTableMigrator.CreateTableSql(name)}

            """;
    }
}
