namespace Vince.FeatureStore.Health;

/// <summary>One sink's progress, for <see cref="FeatureSinkHealthCheck"/>.</summary>
/// <param name="Status">The sink's status.</param>
/// <param name="PendingRecords">Record versions it has not shipped, counted up to the check's limit + 1.</param>
internal readonly record struct SinkHealth(FeatureSinkStatus Status, long PendingRecords);
