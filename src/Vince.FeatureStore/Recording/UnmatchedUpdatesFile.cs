using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// <c>unmatched_updates.jsonl</c> in the data directory: executions and outcomes whose record has no earlier
/// version in memory or in the log. Kept (one JSON object a line) rather than dropped, so they can be repaired by hand.
/// </summary>
internal sealed class UnmatchedUpdatesFile(string dataDirectory, bool fsync, FeatureStoreMetrics metrics, ILogger logger, TimeProvider time)
{
    /// <summary>The file's name inside the data directory.</summary>
    public const string FileName = "unmatched_updates.jsonl";

    private readonly string _path = Path.Combine(dataDirectory, FileName);

    /// <summary>Appends <paramref name="update"/> with the time it arrived, and logs a warning.</summary>
    public void Keep(RecordUpdate update)
    {
        metrics.UnmatchedUpdates.Add(1);
        using (var stream = new FileStream(_path, FileMode.Append, FileAccess.Write, FileShare.Read))
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            writer.WriteString("id", update.Id);
            writer.WriteNumber("receivedAt", time.GetUtcNow().ToUnixTimeMilliseconds());
            if (update.Execution is not null)
            {
                writer.WritePropertyName("execution");
                JsonSerializer.Serialize(writer, update.Execution, FeatureJsonContext.Default.ExecutionFeatures);
            }

            if (update.Outcome is not null)
            {
                writer.WritePropertyName("outcome");
                JsonSerializer.Serialize(writer, update.Outcome, FeatureJsonContext.Default.OutcomeFeatures);
            }

            writer.WriteEndObject();
            writer.Flush();
            stream.WriteByte((byte)'\n');
            stream.Flush(flushToDisk: fsync);
        }

        string kind = update.Outcome is not null ? "Outcome" : "Execution";
        FeatureStoreLog.UnmatchedUpdate(logger, kind, update.Id, FileName);
    }
}
