using Npgsql;
using Vince.FeatureStore.Postgres;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>How a PostgreSQL error (by SQLSTATE) maps to what the pipeline does: retry, block the sink, or park the record.</summary>
public sealed class PostgresFailureKindTests
{
    private static readonly PostgresTableName Table = new(PostgresSinkOptions.DefaultSchema, PostgresSinkOptions.DefaultTable);

    [Theory]
    [InlineData(PostgresErrorCodes.InvalidPassword, FeatureSinkFailureKind.Permanent)]
    [InlineData(PostgresErrorCodes.InvalidAuthorizationSpecification, FeatureSinkFailureKind.Permanent)]
    [InlineData(PostgresErrorCodes.InvalidCatalogName, FeatureSinkFailureKind.Permanent)]
    [InlineData(PostgresErrorCodes.InsufficientPrivilege, FeatureSinkFailureKind.Permanent)]
    [InlineData(PostgresErrorCodes.UndefinedTable, FeatureSinkFailureKind.Permanent)]
    [InlineData(PostgresErrorCodes.InvalidColumnReference, FeatureSinkFailureKind.Permanent)] // ON CONFLICT (id) without a key
    [InlineData(PostgresErrorCodes.CheckViolation, FeatureSinkFailureKind.RecordRejected)]
    [InlineData(PostgresErrorCodes.StringDataRightTruncation, FeatureSinkFailureKind.RecordRejected)]
    [InlineData(PostgresErrorCodes.UntranslatableCharacter, FeatureSinkFailureKind.RecordRejected)]
    [InlineData(PostgresErrorCodes.RaiseException, FeatureSinkFailureKind.RecordRejected)]
    [InlineData(PostgresErrorCodes.ReadOnlySqlTransaction, FeatureSinkFailureKind.Transient)]
    public void A_sqlstate_is_classified(string sqlState, FeatureSinkFailureKind kind)
    {
        var error = new PostgresException("refused", "ERROR", "ERROR", sqlState);
        FeatureSinkException classified = PostgresFailures.Classify(error, "Postgres sink 'postgres'", Table, "u@h:5432/db")!;
        Assert.Equal(kind, classified.Kind);
        Assert.Same(error, classified.InnerException);
        Assert.Contains(sqlState, classified.Message);
    }

    [Theory]
    [InlineData(PostgresErrorCodes.AdminShutdown)]
    [InlineData(PostgresErrorCodes.CannotConnectNow)]
    [InlineData(PostgresErrorCodes.SerializationFailure)]
    [InlineData(PostgresErrorCodes.DiskFull)]
    public void Server_trouble_stays_transient(string sqlState)
    {
        var error = new PostgresException("busy", "FATAL", "FATAL", sqlState);
        Assert.Null(PostgresFailures.Classify(error, "Postgres sink 'postgres'", Table, "u@h:5432/db"));
        Assert.Equal(FeatureSinkFailureKind.Transient, FeatureSinkException.KindOf(error));
    }
}
