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
            throw new FeatureSinkException(
                FeatureSinkFailureKind.Permanent,
                $"The table {table.Display} does not exist and MigrateOnStart is off.",
                $"Create it ({ExpectedShape}; PostgresBootstrap.GetSql has the script) or turn MigrateOnStart on.");
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
            SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull AND NOT a.atthasdef AND a.attidentity = '' AND a.attgenerated = '',
                   EXISTS (SELECT 1 FROM pg_catalog.pg_index i
                           WHERE i.indrelid = a.attrelid AND i.indisunique AND i.indnkeyatts = 1 AND i.indkey[0] = a.attnum
                             AND i.indexprs IS NULL AND i.indpred IS NULL)
            FROM pg_catalog.pg_attribute a
            WHERE a.attrelid = to_regclass(@name) AND a.attnum > 0 AND NOT a.attisdropped
            ORDER BY a.attnum
            """;
        await using NpgsqlCommand command = new(sql, connection);
        command.CommandTimeout = timeout;
        command.Parameters.AddWithValue("name", table.Qualified);
        var columns = new List<(string Name, string Type, bool RequiredWithoutDefault, bool Unique)>();
        await using (NpgsqlDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false))
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                columns.Add((reader.GetString(0), reader.GetString(1), reader.GetBoolean(2), reader.GetBoolean(3)));
            }
        }

        var problems = new List<string>();
        var fixes = new List<string>();
        Require("created_at", ["timestamp with time zone"], "timestamptz");
        Require("payload", ["jsonb"], "jsonb");
        if (Find("id") is { } id)
        {
            if (!CanHoldIds(id.Type))
            {
                problems.Add($"id is {id.Type}, which cannot hold ids of up to {RecordLimits.MaxIdLength} characters");
                fixes.Add($"ALTER TABLE {table.Display} ALTER COLUMN id TYPE text;");
            }

            if (!id.Unique)
            {
                problems.Add("id is not the primary key (the upsert needs ON CONFLICT (id))");
                fixes.Add($"ALTER TABLE {table.Display} ADD PRIMARY KEY (id);");
            }
        }
        else
        {
            problems.Add("column id is missing");
        }

        foreach (var extra in columns.Where(c => c.RequiredWithoutDefault && !IsWrittenColumn(c.Name)))
        {
            problems.Add($"column {extra.Name} is NOT NULL without a default, and the sink writes only {string.Join(", ", WrittenColumns)}");

            // Schema and table are lower-case identifiers (validated), so the plain name is valid SQL; a column may need quotes.
            string column = extra.Name.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_') ? extra.Name : PostgresTableName.Quote(extra.Name);
            fixes.Add($"ALTER TABLE {table.Display} ALTER COLUMN {column} DROP NOT NULL;");
        }

        if (problems.Count > 0)
        {
            string found = string.Join(", ", columns.Select(c => $"{c.Name} {c.Type}"));
            string fix = fixes.Count > 0 ? " For example: " + string.Join(" ", fixes) : "";
            throw new FeatureSinkException(
                FeatureSinkFailureKind.Permanent,
                $"The existing table {table.Display} cannot hold feature records: {string.Join("; ", problems)}. Found columns: {found}.",
                $"The table needs {ExpectedShape}; the sink never alters an existing table, so change it (or drop it and let the sink create it).{fix}");
        }

        (string Name, string Type, bool RequiredWithoutDefault, bool Unique)? Find(string name)
            => columns.FindIndex(c => c.Name == name) is var at and >= 0 ? columns[at] : null;

        void Require(string column, string[] types, string wanted)
        {
            if (Find(column) is not { } found)
            {
                problems.Add($"column {column} is missing");
            }
            else if (!types.Any(t => found.Type.StartsWith(t, StringComparison.Ordinal)))
            {
                problems.Add($"column {column} is {found.Type}, expected {wanted}");
            }
        }
    }

    /// <summary>What the table must look like, for advice.</summary>
    public const string ExpectedShape = "id text primary key, created_at timestamptz not null, payload jsonb not null";

    /// <summary>The columns the sink writes; any other column must be nullable or have a default.</summary>
    public static readonly IReadOnlyList<string> WrittenColumns = ["id", "created_at", "payload"];

    public static bool IsWrittenColumn(string column) => WrittenColumns.Contains(column, StringComparer.Ordinal);

    /// <summary>text, or varchar without a limit or with one that fits every id.</summary>
    private static bool CanHoldIds(string type)
    {
        if (type == "text" || type == "character varying")
        {
            return true;
        }

        const string varchar = "character varying(";
        return type.StartsWith(varchar, StringComparison.Ordinal) && type.EndsWith(')')
            && int.TryParse(type.AsSpan(varchar.Length, type.Length - varchar.Length - 1), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int limit)
            && limit >= RecordLimits.MaxIdLength;
    }
}
