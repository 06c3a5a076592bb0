using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Postgres.Diagnostics;

/// <summary>Structured log events of the Postgres package. Event ids 2000–2099. Never carries a password.</summary>
internal static partial class PostgresLog
{
    [LoggerMessage(EventId = 2000, Level = LogLevel.Information, Message = "Postgres sink {Sink}: connected to {Target} ({ServerVersion}); writing with {WriteMode} ({Reason})")]
    public static partial void Ready(ILogger logger, string sink, string target, string serverVersion, PostgresWriteMode writeMode, string reason);

    [LoggerMessage(EventId = 2001, Level = LogLevel.Information, Message = "Postgres sink {Sink}: created table {Table} with its indexes")]
    public static partial void TableCreated(ILogger logger, string sink, string table);

    [LoggerMessage(EventId = 2002, Level = LogLevel.Information, Message = "Postgres sink {Sink}: using the existing table {Table} as it is")]
    public static partial void TableExists(ILogger logger, string sink, string table);

    [LoggerMessage(EventId = 2003, Level = LogLevel.Debug, Message = "Postgres sink {Sink}: upserted {Rows} row(s) from {Versions} record version(s) with {WriteMode} in {ElapsedMs:F1} ms")]
    public static partial void BatchWritten(ILogger logger, string sink, int rows, int versions, PostgresWriteMode writeMode, double elapsedMs);

    [LoggerMessage(EventId = 2004, Level = LogLevel.Error, Message = "Postgres sink {Sink}: the server reported {Actual} affected row(s) for {Expected} record(s) in {Table}; the batch was rolled back")]
    public static partial void AffectedRowsMismatch(ILogger logger, string sink, long actual, int expected, string table);

    [LoggerMessage(EventId = 2020, Level = LogLevel.Debug, Message = "Postgres sink {Sink}: kept {Rows} row(s) of {Table} that already hold a newer version than the batch's (ordered upserts)")]
    public static partial void NewerVersionsKept(ILogger logger, string sink, long rows, string table);

    [LoggerMessage(EventId = 2006, Level = LogLevel.Warning, Message = "Postgres sink {Sink}: record {Id} contains U+0000, which PostgreSQL cannot store; it is stored as U+FFFD (the JSONL log keeps the original)")]
    public static partial void NulReplaced(ILogger logger, string sink, string id);

    [LoggerMessage(EventId = 2005, Level = LogLevel.Warning, Message = "Postgres reader: skipped row {Id} of {Table}: its payload is not a feature record ({Reason})")]
    public static partial void SkippedRow(ILogger logger, string id, string table, string reason);
}
