using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Supabase.Diagnostics;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Uploads an existing JSONL feature log to Supabase: the latest version of every record, through a
/// <see cref="SupabaseFeatureSink"/> (same batching, retries and errors).
/// </summary>
/// <remarks>
/// <para>Idempotent and resumable: a state file (default <c>&lt;data directory&gt;/.supabase-sync.json</c>) keeps, per
/// id, a hash of the version last stored, and is saved atomically after every batch. A new run sends only ids that
/// are new or whose latest version changed (an outcome recorded since), so nothing is sent twice, and a run that was
/// interrupted resumes where it stopped. The state is tied to the project URL and table: syncing to another project
/// starts from scratch. Deleting the file makes the next run send everything again (harmless: writes are upserts).</para>
/// <para>A dry run reads the log and the state and reports files, records, complete records and batches without
/// any network call and without changing the state.</para>
/// </remarks>
public sealed class JsonlToSupabaseSync
{
    /// <summary>The state file's default name, in the data directory.</summary>
    public const string DefaultStateFileName = ".supabase-sync.json";

    private readonly SupabaseFeatureSink _sink;
    private readonly FeatureLogReader _reader;
    private readonly string _statePath;
    private readonly ILogger _logger;

    /// <summary>Creates a sync of <paramref name="dataDirectory"/> into the sink's table.</summary>
    /// <param name="sink">The sink to write with.</param>
    /// <param name="dataDirectory">The feature store's data directory (the <c>features_*.jsonl</c> files).</param>
    /// <param name="stateFile">Where to keep the sent-versions state; <c>&lt;dataDirectory&gt;/.supabase-sync.json</c> when <see langword="null"/>.</param>
    /// <param name="logger">Receives progress.</param>
    public JsonlToSupabaseSync(SupabaseFeatureSink sink, string dataDirectory, string? stateFile = null, ILogger<JsonlToSupabaseSync>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(sink);
        ArgumentException.ThrowIfNullOrWhiteSpace(dataDirectory);
        _sink = sink;
        // Only the store's own log: synthetic_*.jsonl and combined.jsonl are training inputs, never table rows.
        _reader = new FeatureLogReader(dataDirectory, new FeatureLogReaderOptions { RealOnly = true });
        _statePath = stateFile ?? Path.Combine(dataDirectory, DefaultStateFileName);
        _logger = logger ?? (ILogger)NullLogger.Instance;
    }

    /// <summary>The state file.</summary>
    public string StateFile => _statePath;

    /// <summary>Sends every record that is new or changed since the last run (or, with <paramref name="dryRun"/>, only reports).</summary>
    /// <param name="dryRun">Report what would be sent without sending or changing the state.</param>
    /// <param name="cancellationToken">Stops the run; what was stored so far stays recorded in the state.</param>
    /// <returns>The report.</returns>
    /// <exception cref="SupabaseRequestException">A batch failed; the batches before it are recorded, so the next run resumes.</exception>
    public Task<JsonlSyncReport> RunAsync(bool dryRun = false, CancellationToken cancellationToken = default)
        => RunAsync(dryRun, null, cancellationToken);

    /// <summary>Sends every record that is new or changed since the last run, reporting progress after each request batch.</summary>
    /// <param name="dryRun">Report what would be sent without sending or changing the state.</param>
    /// <param name="progress">Told after reading the log and after each batch is stored, on the syncing thread (keep it quick).</param>
    /// <param name="cancellationToken">Stops the run; what was stored so far stays recorded in the state.</param>
    /// <returns>The report.</returns>
    /// <exception cref="SupabaseRequestException">A batch failed; the batches before it are recorded, so the next run resumes.</exception>
    public async Task<JsonlSyncReport> RunAsync(bool dryRun, IProgress<JsonlSyncProgress>? progress, CancellationToken cancellationToken = default)
    {
        IReadOnlyList<string> files = _reader.GetFiles();
        string target = $"{_sink.Settings.Url}|{_sink.TableName}";
        Dictionary<string, string> sent = LoadState(target);

        int total = 0;
        int complete = 0;
        var pending = new List<FeatureRecord>();
        var hashes = new Dictionary<string, string>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in _reader.ReadRecordsAsync(FeatureQuery.All, cancellationToken).ConfigureAwait(false))
        {
            total++;
            complete += record.IsComplete ? 1 : 0;
            string hash = Hash(record);
            if (!sent.TryGetValue(record.Id, out string? previous) || !string.Equals(previous, hash, StringComparison.Ordinal))
            {
                pending.Add(record);
                hashes[record.Id] = hash;
            }
        }

        int batchRows = _sink.MaxBatchRows;
        int requests = 0;
        for (int start = 0; start < pending.Count; start += batchRows)
        {
            requests += _sink.PlanRequests(pending.GetRange(start, Math.Min(batchRows, pending.Count - start)));
        }

        int completeToSend = pending.Count(r => r.IsComplete);
        int sentNow = 0;
        progress?.Report(new JsonlSyncProgress(total, pending.Count, 0));
        if (!dryRun)
        {
            for (int start = 0; start < pending.Count; start += batchRows)
            {
                List<FeatureRecord> batch = pending.GetRange(start, Math.Min(batchRows, pending.Count - start));
                await _sink.WriteAsync(batch, cancellationToken).ConfigureAwait(false);
                foreach (FeatureRecord record in batch)
                {
                    sent[record.Id] = hashes[record.Id];
                }

                SaveState(target, sent);
                sentNow += batch.Count;
                progress?.Report(new JsonlSyncProgress(total, pending.Count, sentNow));
            }
        }

        var report = new JsonlSyncReport(dryRun, files, total, complete, total - pending.Count, pending.Count, completeToSend, requests, sentNow);
        SupabaseLog.SyncFinished(_logger, dryRun ? "Dry run" : "Sync", files.Count, total, complete, report.AlreadySent, pending.Count, requests, sentNow);
        return report;
    }

    private static string Hash(FeatureRecord record)
        => Convert.ToHexString(SHA256.HashData(FeatureJson.SerializeToUtf8Bytes(record)).AsSpan(0, 16));

    private Dictionary<string, string> LoadState(string target)
    {
        if (!File.Exists(_statePath))
        {
            return new Dictionary<string, string>(StringComparer.Ordinal);
        }

        try
        {
            SyncState? state = JsonSerializer.Deserialize(File.ReadAllBytes(_statePath), SyncStateContext.Default.SyncState);
            if (state is { Version: 1 } && string.Equals(state.Target, target, StringComparison.Ordinal) && state.Sent is not null)
            {
                return new Dictionary<string, string>(state.Sent, StringComparer.Ordinal);
            }
        }
        catch (JsonException ex)
        {
            SupabaseLog.SyncStateIgnored(_logger, _statePath, ex.Message);
        }

        return new Dictionary<string, string>(StringComparer.Ordinal);
    }

    private void SaveState(string target, Dictionary<string, string> sent)
    {
        // Write a temporary file next to it, flush, then rename over: a crash leaves the old or the new state, never a torn one.
        string temporary = _statePath + ".tmp";
        using (var stream = new FileStream(temporary, FileMode.Create, FileAccess.Write, FileShare.None))
        {
            JsonSerializer.Serialize(stream, new SyncState { Version = 1, Target = target, Sent = sent }, SyncStateContext.Default.SyncState);
            stream.Flush(flushToDisk: true);
        }

        File.Move(temporary, _statePath, overwrite: true);
    }
}

/// <summary>The sync's state file.</summary>
internal sealed class SyncState
{
    public int Version { get; set; }

    public string? Target { get; set; }

    public Dictionary<string, string>? Sent { get; set; }
}

[System.Text.Json.Serialization.JsonSerializable(typeof(SyncState))]
internal sealed partial class SyncStateContext : System.Text.Json.Serialization.JsonSerializerContext;
