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

    // No exception argument: a transient failure repeats, so it is one line each time; the stack is at Debug (1064).
    [LoggerMessage(EventId = 1003, Level = LogLevel.Warning, Message = "Sink {Sink} failed to write {Count} record(s) (attempt {Attempt}); retrying in {Delay}: {Error}")]
    public static partial void SinkWriteFailed(ILogger logger, string sink, int count, int attempt, TimeSpan delay, string error);

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

    // 1040–1049: the log's files changing under the store and local I/O faults (kept apart from the ids above).
    [LoggerMessage(EventId = 1040, Level = LogLevel.Warning, Message = "The active log file {File} {Problem}; it is left as it is and writing continues in a new file")]
    public static partial void ActiveFileChanged(ILogger logger, string file, string problem);

    [LoggerMessage(EventId = 1041, Level = LogLevel.Warning, Message = "The data directory {DataDirectory} was deleted while the store was running; it was made again (owner only) and recording continues there")]
    public static partial void DataDirectoryRecreated(ILogger logger, string dataDirectory);

    [LoggerMessage(EventId = 1042, Level = LogLevel.Warning, Message = "A failed write to {File} could not be cut back to its last complete line at byte {Length}; the file is abandoned and the retry writes to a new one")]
    public static partial void FailedWriteNotCut(ILogger logger, Exception exception, string file, long length);

    [LoggerMessage(EventId = 1043, Level = LogLevel.Warning, Message = "Could not delete the empty log file {File} abandoned after a failed write")]
    public static partial void EmptyFileNotDeleted(ILogger logger, Exception exception, string file);

    [LoggerMessage(EventId = 1044, Level = LogLevel.Error, Message = "Keeping an unmatched {Update} for record {Id} in {File} failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void UnmatchedUpdateWriteFailed(ILogger logger, Exception exception, string update, string id, string file, int attempt, TimeSpan delay);

    [LoggerMessage(EventId = 1045, Level = LogLevel.Error, Message = "Reading the log for open records failed (attempt {Attempt}); retrying in {Delay}")]
    public static partial void OpenRecordScanFailed(ILogger logger, Exception exception, int attempt, TimeSpan delay);

    // 1060–1069: sink failures sorted by kind (blocked sinks, parked records).
    [LoggerMessage(EventId = 1060, Level = LogLevel.Error, Message = "Sink {Sink} is blocked: {Reason} It is probed again with backoff (at most {MaxDelay} apart) and resumes from its cursor once fixed; nothing is skipped")]
    public static partial void SinkBlocked(ILogger logger, string sink, string reason, TimeSpan maxDelay);

    [LoggerMessage(EventId = 1061, Level = LogLevel.Error, Message = "Sink {Sink} is still blocked after {Duration} ({Probes} probe(s)): {Reason}")]
    public static partial void SinkStillBlocked(ILogger logger, string sink, TimeSpan duration, int probes, string reason);

    [LoggerMessage(EventId = 1062, Level = LogLevel.Information, Message = "Sink {Sink} is no longer blocked after {Duration} ({Probes} failed probe(s)); shipping resumes from its cursor")]
    public static partial void SinkUnblocked(ILogger logger, string sink, TimeSpan duration, int probes);

    [LoggerMessage(EventId = 1063, Level = LogLevel.Error, Message = "Sink {Sink} refused record {Id} ({File} at byte {Offset}) permanently: {Reason} The record is parked in {DeadLetterFile} and the sink moves on; 'vince-features deadletter retry --sink {Sink}' ships it again once fixed")]
    public static partial void RecordParked(ILogger logger, string sink, string id, string file, long offset, string reason, string deadLetterFile);

    [LoggerMessage(EventId = 1064, Level = LogLevel.Debug, Message = "Sink {Sink}: the failure in full")]
    public static partial void SinkFailureDetail(ILogger logger, Exception exception, string sink);

    // 1080–1089: the serving history.
    [LoggerMessage(EventId = 1080, Level = LogLevel.Information, Message = "Serving history warm: {Records} record(s) of {Assets} asset(s) from {Source} ({BytesRead} byte(s) of log read, {ElapsedMs:0.#} ms)")]
    public static partial void HistoryWarmStarted(ILogger logger, int records, int assets, ServingHistorySource source, long bytesRead, double elapsedMs);

    [LoggerMessage(EventId = 1081, Level = LogLevel.Warning, Message = "The serving history could not be warm-started from the training source {Source}; lag columns start cold until each asset has 3 new records")]
    public static partial void HistoryWarmStartFailed(ILogger logger, Exception exception, string source);
}
