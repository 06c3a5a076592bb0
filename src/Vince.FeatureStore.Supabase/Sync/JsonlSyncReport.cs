namespace Vince.FeatureStore.Supabase;

/// <summary>What <see cref="JsonlToSupabaseSync.RunAsync(bool, CancellationToken)"/> found and sent (or, in a dry run, would send).</summary>
/// <param name="DryRun">Whether nothing was sent.</param>
/// <param name="Files">The JSONL files read, full paths, in read order.</param>
/// <param name="Records">Records in the log (latest version per id).</param>
/// <param name="CompleteRecords">Of those, complete trades (outcome and labels).</param>
/// <param name="AlreadySent">Records whose current version an earlier run already sent.</param>
/// <param name="ToSend">Records new or changed since the last run.</param>
/// <param name="CompleteToSend">Of those, complete trades.</param>
/// <param name="Batches">Requests needed for <paramref name="ToSend"/> (bounded by the sink's rows and bytes).</param>
/// <param name="Sent">Records sent by this run (0 in a dry run).</param>
public sealed record JsonlSyncReport(
    bool DryRun,
    IReadOnlyList<string> Files,
    int Records,
    int CompleteRecords,
    int AlreadySent,
    int ToSend,
    int CompleteToSend,
    int Batches,
    int Sent);

/// <summary>How far a <see cref="JsonlToSupabaseSync"/> run is.</summary>
/// <param name="Records">Records in the log (latest version per id).</param>
/// <param name="ToSend">Records new or changed since the last run.</param>
/// <param name="Sent">Of those, stored so far by this run.</param>
public readonly record struct JsonlSyncProgress(int Records, int ToSend, int Sent);
