namespace Vince.FeatureStore.Recording;

/// <summary>One queued item for the log writer: a whole record version, or an update to an earlier version.</summary>
/// <param name="Record">A version to append as it is.</param>
/// <param name="Update">An execution or outcome to apply to the open record it names.</param>
internal readonly record struct PendingWrite(FeatureRecord? Record, RecordUpdate? Update);
