using System.Net;
using Microsoft.Extensions.Logging;

namespace Vince.FeatureStore.Supabase.Diagnostics;

/// <summary>Structured log events of the Supabase package. Event ids 4000–4099. Never carries the key.</summary>
internal static partial class SupabaseLog
{
    // The bot's exact start-up line, prefix included, so that what operators grep for still matches.
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "[VinceFeatureStore] Supabase dual-write enabled for ML (table: {Table})")]
    public static partial void Enabled(ILogger logger, string table);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Debug, Message = "Supabase sink not enabled: {Reason}; features stay local (JSONL and other sinks)")]
    public static partial void Disabled(ILogger logger, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Debug, Message = "Supabase sink {Sink}: upserted {Rows} row(s) from {Versions} record version(s) in {Requests} request(s), {Bytes} bytes, {ElapsedMs:F1} ms")]
    public static partial void BatchWritten(ILogger logger, string sink, int rows, int versions, int requests, long bytes, double elapsedMs);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Warning, Message = "Supabase sink {Sink}: attempt {Attempt} of {MaxAttempts} failed ({Failure}); retrying in {DelayMs:F0} ms{RetryAfterNote}")]
    public static partial void Retrying(ILogger logger, string sink, int attempt, int maxAttempts, string failure, double delayMs, string retryAfterNote);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Supabase sink {Sink}: the server refused a request of {Rows} row(s), {Bytes} bytes, as too large (413); splitting it in two")]
    public static partial void Splitting(ILogger logger, string sink, int rows, int bytes);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Warning, Message = "Supabase sink {Sink}: record {Id} contains U+0000, which PostgreSQL cannot store; it is sent as U+FFFD (the JSONL log keeps the original)")]
    public static partial void NulReplaced(ILogger logger, string sink, string id);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Debug, Message = "Supabase sink {Sink}: {Request} answered {Status} in {ElapsedMs:F1} ms")]
    public static partial void Response(ILogger logger, string sink, string request, HttpStatusCode status, double elapsedMs);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Supabase reader: skipped row {Row} of a page of {Table}: its payload is not a feature record ({Reason})")]
    public static partial void SkippedRow(ILogger logger, int row, string table, string reason);

    [LoggerMessage(EventId = 4008, Level = LogLevel.Information, Message = "{Mode} of the JSONL log to Supabase: {Files} file(s), {Records} record(s) ({Complete} complete), {AlreadySent} already sent, {ToSend} to send in {Batches} request(s), {Sent} sent")]
    public static partial void SyncFinished(ILogger logger, string mode, int files, int records, int complete, int alreadySent, int toSend, int batches, int sent);

    [LoggerMessage(EventId = 4009, Level = LogLevel.Warning, Message = "Ignored the unreadable sync state {StateFile} ({Reason}); every record will be sent again (harmless: upserts)")]
    public static partial void SyncStateIgnored(ILogger logger, string stateFile, string reason);

    [LoggerMessage(EventId = 4010, Level = LogLevel.Information, Message = "Published run {Run} ({Files} file(s)) to the Supabase bucket {Bucket} and pointed latest.json to it")]
    public static partial void RunPublished(ILogger logger, string run, int files, string bucket);

    [LoggerMessage(EventId = 4020, Level = LogLevel.Warning, Message = "Kept the refused run {Run} ({Files} file(s)) in the Supabase bucket {Bucket} with rejected.json; latest.json is unchanged: {Reason}")]
    public static partial void RunRejected(ILogger logger, string run, int files, string bucket, string reason);

    [LoggerMessage(EventId = 4011, Level = LogLevel.Information, Message = "Installed run {Run} ({Files} model file(s)) from the Supabase bucket {Bucket} into {Directory}")]
    public static partial void ModelsInstalled(ILogger logger, string run, int files, string bucket, string directory);

    [LoggerMessage(EventId = 4012, Level = LogLevel.Information, Message = "No models to download from the Supabase bucket {Bucket}: {Reason}")]
    public static partial void ModelsNotAvailable(ILogger logger, string bucket, string reason);

    [LoggerMessage(EventId = 4013, Level = LogLevel.Warning, Message = "Supabase writes to {Table} use an anon key ({KeySource}): row level security refuses them unless the table has policies that let the anon role write. " + AnonWriteAdvice.Text)]
    public static partial void AnonKeyNeedsPolicy(ILogger logger, string table, string keySource);
}
