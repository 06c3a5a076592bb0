namespace Vince.FeatureStore.Health;

/// <summary>The state of the store's log writer, for <see cref="FeatureLogHealthCheck"/>.</summary>
/// <param name="Running">Started, not stopped and not disposing.</param>
/// <param name="Faulted">The writer stopped with an error; the store accepts no more records.</param>
/// <param name="ConsecutiveWriteFailures">Failed appends in a row (being retried).</param>
/// <param name="QueueDepth">Record versions waiting for the writer.</param>
/// <param name="QueueCapacity">The queue's bound.</param>
/// <param name="Dropped">Record versions refused because the queue was full, since creation.</param>
internal readonly record struct LogWriterHealth(bool Running, bool Faulted, int ConsecutiveWriteFailures, int QueueDepth, int QueueCapacity, long Dropped);
