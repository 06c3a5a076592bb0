using System.Net.Sockets;
using Npgsql;
using Vince.FeatureStore.Postgres.Migrations;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// Sorts the Postgres sink's failures by SQLSTATE into what the pipeline does with them
/// (<see cref="FeatureSinkFailureKind"/>), with advice that says what to fix. Never includes a password.
/// </summary>
internal static class PostgresFailures
{
    /// <summary>
    /// A <see cref="FeatureSinkException"/> for <paramref name="exception"/> when its kind is known; <see langword="null"/>
    /// when the exception should propagate as it is (already classified, or transient by default).
    /// </summary>
    public static FeatureSinkException? Classify(Exception exception, string who, PostgresTableName? table, string target)
    {
        string tableName = table?.Display ?? "the feature table";
        string schema = table?.Schema ?? PostgresSinkOptions.DefaultSchema;
        if (exception is FeatureSinkException)
        {
            return null;
        }

        if (exception is NpgsqlException { InnerException: SocketException socket })
        {
            return new FeatureSinkException(FeatureSinkFailureKind.Transient, $"{who} could not reach PostgreSQL at {target}: {socket.Message}.", null, exception);
        }

        if (exception is not PostgresException pg)
        {
            return null;
        }

        string state = pg.SqlState;
        string said = $"{pg.MessageText} (SQLSTATE {state})";
        return state switch
        {
            PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification => Permanent(
                $"{who} could not log in to PostgreSQL at {target}: {said}.",
                "Check the user name and password of the connection string (not shown here)."),
            PostgresErrorCodes.InvalidCatalogName => Permanent(
                $"{who}: the database in {target} does not exist: {said}.",
                "Create the database, or point the connection string at an existing one."),
            PostgresErrorCodes.InsufficientPrivilege => Permanent(
                $"{who}: PostgreSQL refused access to {tableName}: {said}.",
                $"Grant the sink's user INSERT, UPDATE and SELECT on {tableName} and USAGE on schema {schema} (with row level security on, a policy that lets it insert and update), or connect as the table's owner."),
            PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.InvalidSchemaName => Permanent(
                $"{who}: the table {tableName} does not exist: {said}.",
                $"Turn MigrateOnStart on, or create it with the SQL of PostgresBootstrap.GetSql ({FeatureTableMigrator.ExpectedShape})."),
            PostgresErrorCodes.InvalidColumnReference or PostgresErrorCodes.UndefinedColumn or PostgresErrorCodes.DatatypeMismatch or PostgresErrorCodes.WrongObjectType => Permanent(
                $"{who}: the table {tableName} cannot take feature records: {said}.",
                $"The table needs {FeatureTableMigrator.ExpectedShape}; the sink never alters an existing table."),
            PostgresErrorCodes.NotNullViolation when pg.ColumnName is { } column && !FeatureTableMigrator.IsWrittenColumn(column) => Permanent(
                $"{who}: the table {tableName} cannot take feature records: {said}.",
                $"Column {column} is NOT NULL without a default, and the sink writes only id, created_at and payload: give it a default or drop NOT NULL."),
            PostgresErrorCodes.ReadOnlySqlTransaction => Transient($"{who}: the server at {target} is read-only right now (a standby?): {said}."),
            PostgresErrorCodes.FeatureNotSupported or PostgresErrorCodes.SyntaxError => Permanent(
                $"{who}: the server refused the sink's SQL: {said}.",
                "The server does not support what the sink needs (PostgreSQL 12 or later, or PGlite)."),
            _ when state.StartsWith("22", StringComparison.Ordinal) || state.StartsWith("23", StringComparison.Ordinal) || state == PostgresErrorCodes.RaiseException => new FeatureSinkException(
                FeatureSinkFailureKind.RecordRejected,
                $"{who}: {tableName} refused a record: {said}{(pg.ConstraintName is { } constraint ? $", constraint {constraint}" : "")}.",
                "A constraint, trigger or column type of the table refuses this record; change the table, then retry the parked records.",
                exception),
            _ => null,
        };

        FeatureSinkException Permanent(string message, string advice) => new(FeatureSinkFailureKind.Permanent, message, advice, exception);

        FeatureSinkException Transient(string message) => new(FeatureSinkFailureKind.Transient, message, null, exception);
    }
}
