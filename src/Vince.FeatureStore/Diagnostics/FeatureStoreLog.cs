using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Diagnostics;

/// <summary>Structured log events of the core package. Event ids 1000–1099; sink packages use their own ranges.</summary>
internal static partial class FeatureStoreLog
{
    [LoggerMessage(EventId = 1000, Level = LogLevel.Information, Message = "Feature store started: data directory {DataDirectory}, {SinkCount} sink(s): {Sinks}")]
    public static partial void Started(ILogger logger, string dataDirectory, int sinkCount, string sinks);

    [LoggerMessage(EventId = 1001, Level = LogLevel.Warning, Message = "Skipped invalid line {LineNumber} of {File}: {Reason}")]
    public static partial void SkippedLine(ILogger logger, string file, int lineNumber, string reason);

    [LoggerMessage(EventId = 1002, Level = LogLevel.Error, Message = "Writing {Count} record(s) to the JSONL log failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void LogWriteFailed(ILogger logger, Exception exception, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Sink {Sink} failed to write {Count} record(s) (attempt {Attempt}); retrying in {Delay}")]
    public static partial void SinkWriteFailed(ILogger logger, Exception exception, string sink, int count, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1004, Level = LogLevel.Information, Message = "Sink {Sink} recovered after {Attempts} failed attempt(s)")]
    public static partial void SinkRecovered(ILogger logger, string sink, int attempts);

    [LoggerMessage(EventId = 1005, Level = LogLevel.Warning, Message = "The record queue is full ({Capacity}); dropped record {Id}. Dropped so far: {Dropped}")]
    public static partial void RecordDropped(ILogger logger, int capacity, string id, long dropped);

    [LoggerMessage(EventId = 1006, Level = LogLevel.Error, Message = "{Update} for record {Id} found no earlier version of it in memory or in the log; the update was kept in {File}")]
    public static partial void UnmatchedUpdate(ILogger logger, string update, string id, string file);

    [LoggerMessage(EventId = 1007, Level = LogLevel.Warning, Message = "Shutdown timeout {Timeout} reached; sink {Sink} is {PendingBytes} byte(s) behind the log and catches up from its cursor on the next start")]
    public static partial void SinkBehindAtShutdown(ILogger logger, TimeSpan timeout, string sink, long pendingBytes);

    [LoggerMessage(EventId = 1008, Level = LogLevel.Information, Message = "Feature store stopped: {Written} record version(s) written to the JSONL log this run")]
    public static partial void Stopped(ILogger logger, long written);

    [LoggerMessage(EventId = 1009, Level = LogLevel.Warning, Message = "The cursor of sink {Sink} names {File}, which no longer exists; continuing with the next file")]
    public static partial void CursorFileMissing(ILogger logger, string sink, string file);

    [LoggerMessage(EventId = 1010, Level = LogLevel.Information, Message = "Deleted {File}: older than {Days} day(s) and shipped to every sink")]
    public static partial void PrunedFile(ILogger logger, string file, int days);

    [LoggerMessage(EventId = 1011, Level = LogLevel.Error, Message = "Sink {Sink} stopped with an unexpected error")]
    public static partial void SinkCrashed(ILogger logger, Exception exception, string sink);

    [LoggerMessage(EventId = 1012, Level = LogLevel.Warning, Message = "Sink {Sink} skipped an invalid line at {File}:{Offset}: {Reason}")]
    public static partial void SinkSkippedLine(ILogger logger, string sink, string file, long offset, string reason);

    [LoggerMessage(EventId = 1013, Level = LogLevel.Critical, Message = "Records were lost at shutdown because the JSONL log could not be written")]
    public static partial void RecordsLostAtShutdown(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1014, Level = LogLevel.Warning, Message = "Could not delete expired log file {File}")]
    public static partial void PruneFailed(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 1015, Level = LogLevel.Error, Message = "Record {Id} cannot be serialized to JSON and was not written")]
    public static partial void RecordRejected(ILogger logger, Exception exception, string id);

    [LoggerMessage(EventId = 1016, Level = LogLevel.Critical, Message = "The JSONL log writer failed; the store accepts no more records")]
    public static partial void LogWriterCrashed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1017, Level = LogLevel.Warning, Message = "The cursor {CursorFile} of sink {Sink} {Problem}; shipping resumes from the start of {ResumeFrom} (records shipped again are upserted by id, nothing is skipped)")]
    public static partial void CursorDamaged(ILogger logger, string sink, string cursorFile, string problem, string resumeFrom);

    [LoggerMessage(EventId = 1018, Level = LogLevel.Critical, Message = "The feature store stopped with an error; the host's shutdown continues")]
    public static partial void StoppedWithError(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1080, Level = LogLevel.Information, Message = "Serving history warm: {Records} record(s) of {Assets} asset(s) from {Source} ({BytesRead} byte(s) of log read, {ElapsedMs:0.#} ms)")]
    public static partial void HistoryWarmStarted(ILogger logger, int records, int assets, ServingHistorySource source, long bytesRead, double elapsedMs);

    [LoggerMessage(EventId = 1081, Level = LogLevel.Warning, Message = "The serving history could not be warm-started from the training source {Source}; lag columns start cold until each asset has 3 new records")]
    public static partial void HistoryWarmStartFailed(ILogger logger, Exception exception, string source);
}
