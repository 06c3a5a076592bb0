using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Diagnostics;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.Pipeline;

namespace Vince.FeatureStore.Recording;

/// <summary>
/// Deletes JSONL files older than <see cref="FeatureStoreOptions.RetainJsonlDays"/> once every sink has shipped them.
/// Never the file being written. Called by the log writer after each batch; does nothing without a retention setting.
/// </summary>
internal sealed class LogRetention(
    int? retainDays, string dataDirectory, JsonlFeatureLog log, IReadOnlyList<SinkShipper> shippers, ILogger logger, TimeProvider time)
{
    private int _filesSeen = -1;

    /// <summary>Prunes when a new log file has started since the last check.</summary>
    public void PruneIfDue()
    {
        if (retainDays is not { } days || log.FilesCreated == _filesSeen)
        {
            return;
        }

        // Checked when a new file starts: pruning is about days, not batches.
        _filesSeen = log.FilesCreated;
        DateOnly cutoff = DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime).AddDays(-days);
        LogPosition committed = log.Committed;
        foreach (string name in FeatureLogFiles.ListFeatureFiles(dataDirectory))
        {
            if (!FeatureLogFiles.TryParseFeatureFileName(name, out long key, out DateOnly date) || date >= cutoff || name == committed.FileName)
            {
                continue;
            }

            // Keep a file until every sink's cursor has moved past it: pruning must not lose unshipped data.
            if (shippers.Any(s => LogPosition.CompareFiles(s.Cursor.FileKey, s.Cursor.FileName, key, name) <= 0))
            {
                continue;
            }

            try
            {
                File.Delete(Path.Combine(dataDirectory, name));
                FeatureStoreLog.PrunedFile(logger, name, days);
            }
            catch (IOException ex)
            {
                FeatureStoreLog.PruneFailed(logger, ex, name);
            }
        }
    }
}
