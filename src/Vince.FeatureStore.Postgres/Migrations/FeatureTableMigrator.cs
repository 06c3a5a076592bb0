using System.Text;
using Npgsql;

namespace Vince.FeatureStore.Postgres.Migrations;

/// <summary>What <see cref="FeatureTableMigrator.MigrateAsync"/> found or did.</summary>
internal enum MigrationOutcome
{
    /// <summary>The table was there already (ours from an earlier start, or the bot's own); nothing was changed.</summary>
    Existing,

    /// <summary>This call created the table and its indexes.</summary>
    Created,
}

/// <summary>
/// Creates the feature table when it is missing. Idempotent and safe when several processes start at once:
/// creation runs in one transaction under a transaction-scoped advisory lock, and re-checks after taking it.
/// An existing table is never altered (no columns or indexes are added or dropped), only checked.
/// </summary>
internal static class FeatureTableMigrator
{
    /// <summary>The SQL condition for a complete record (outcome and labels present and not JSON null).</summary>
    public const string CompletePredicate = "jsonb_typeof(payload -> 'outcome') <> 'null' AND jsonb_typeof(payload -> 'labels') <> 'null'";

    public static async Task<MigrationOutcome> MigrateAsync(NpgsqlConnection connection, PostgresTableName table, bool createIfMissing, int commandTimeoutSeconds, CancellationToken cancellationToken)
    {
        if (await TableExistsAsync(connection, table, null, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            await VerifyColumnsAsync(connection, table, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false);
            return MigrationOutcome.Existing;
        }

        if (!createIfMissing)
        {
            throw new InvalidOperationException(
                $"The table {table.Display} does not exist and MigrateOnStart is off. Create it (id text primary key, created_at timestamptz not null, payload jsonb not null) or turn MigrateOnStart on.");
        }

        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        await using (NpgsqlCommand lockCommand = new("SELECT pg_advisory_xact_lock(@key)", connection, transaction))
        {
            lockCommand.CommandTimeout = commandTimeoutSeconds;
            lockCommand.Parameters.AddWithValue("key", AdvisoryLockKey(table));
            await lockCommand.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        // Another process may have created it while this one waited for the lock.
        if (await TableExistsAsync(connection, table, transaction, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
            await VerifyColumnsAsync(connection, table, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false);
            return MigrationOutcome.Existing;
        }

        var ddl = new StringBuilder();
        if (!await SchemaExistsAsync(connection, table, transaction, commandTimeoutSeconds, cancellationToken).ConfigureAwait(false))
        {
            // Only when missing: CREATE SCHEMA IF NOT EXISTS still needs the CREATE privilege on the database.
            ddl.Append("CREATE SCHEMA IF NOT EXISTS ").Append(PostgresTableName.Quote(table.Schema)).Append(";\n");
        }

        ddl.Append(CreateTableSql(table));
        await using (NpgsqlCommand create = new(ddl.ToString(), connection, transaction))
        {
            create.CommandTimeout = commandTimeoutSeconds;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        return MigrationOutcome.Created;
    }

    /// <summary>The table and its indexes (<c>IF NOT EXISTS</c>), as the migration creates them; the schema must exist.</summary>
    public static string CreateTableSql(PostgresTableName table)
    {
        var ddl = new StringBuilder();
        ddl.Append("CREATE TABLE IF NOT EXISTS ").Append(table.Qualified)
           .Append(" (id text PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL);\n");
        ddl.Append("CREATE INDEX IF NOT EXISTS ").Append(table.CreatedAtIndex).Append(" ON ").Append(table.Qualified).Append(" (created_at);\n");
        ddl.Append("CREATE INDEX IF NOT EXISTS ").Append(table.CompleteAssetIndex).Append(" ON ").Append(table.Qualified)
           .Append(" ((payload ->> 'asset'), created_at) WHERE ").Append(CompletePredicate).Append(';');
        return ddl.ToString();
    }

    /// <summary>A stable 64-bit key per table, so migrations of different tables do not wait for each other.</summary>
    internal static long AdvisoryLockKey(PostgresTableName table)
    {
        // FNV-1a over the qualified name: stable across processes and runtimes (string.GetHashCode is not).
        ulong hash = 14695981039346656037UL;
        foreach (byte b in Encoding.UTF8.GetBytes("vince.featurestore.postgres.migrate:" + table.Display))
        {
            hash ^= b;
            hash *= 1099511628211UL;
        }

        return unchecked((long)hash);
    }

    private static async Task<bool> TableExistsAsync(NpgsqlConnection connection, PostgresTableName table, NpgsqlTransaction? transaction, int timeout, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new("SELECT to_regclass(@name) IS NOT NULL", connection, transaction);
        command.CommandTimeout = timeout;
        command.Parameters.AddWithValue("name", table.Qualified);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task<bool> SchemaExistsAsync(NpgsqlConnection connection, PostgresTableName table, NpgsqlTransaction transaction, int timeout, CancellationToken cancellationToken)
    {
        await using NpgsqlCommand command = new("SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = @schema)", connection, transaction);
        command.CommandTimeout = timeout;
        command.Parameters.AddWithValue("schema", table.Schema);
        return (bool)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
    }

    private static async Task VerifyColumnsAsync(NpgsqlConnection connection, PostgresTableName table, int timeout, CancellationToken cancellationToken)
    {
        const string sql = """
            SELECT a.attname, format_type(a.atttypid, a.atttypmod)
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(@name) AND a.attnum > 0 AND NOT a.attisdropped
            """;
        await using NpgsqlCommand command = new(sql, connection);
        command.CommandTimeout = timeout;
        command.Parameters.AddWithValue("name", table.Qualified);
        var columns = new Dictionary<string, string>(StringComparer.Ordinal);
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns[reader.GetString(0)] = reader.GetString(1);
            }
        }

        var problems = new List<string>();
        Require("id", ["text", "character varying"]);
        Require("created_at", ["timestamp with time zone"]);
        Require("payload", ["jsonb"]);
        if (problems.Count > 0)
        {
            string found = string.Join(", ", columns.Select(c => $"{c.Key} {c.Value}"));
            throw new InvalidOperationException(
                $"The existing table {table.Display} cannot hold feature records: {string.Join("; ", problems)}. Found columns: {found}. " +
                "Expected id text primary key, created_at timestamptz not null, payload jsonb not null (the table is never altered).");
        }

        void Require(string column, string[] types)
        {
            if (!columns.TryGetValue(column, out string? type))
            {
                problems.Add($"column {column} is missing");
            }
            else if (!types.Any(t => type.StartsWith(t, StringComparison.Ordinal)))
            {
                problems.Add($"column {column} is {type}, expected {types[0]}");
            }
        }
    }
}
