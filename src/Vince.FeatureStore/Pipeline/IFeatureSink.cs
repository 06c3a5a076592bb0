namespace Vince.FeatureStore;

/// <summary>
/// A store that receives feature records from the JSONL log (Postgres, Supabase, a test double).
/// </summary>
/// <remarks>
/// <para>The pipeline calls one sink from one loop at a time, in log order, so versions of an id arrive in
/// the order they were recorded; a batch may hold several versions of one id (keep the last).</para>
/// <para>A sink throws on failure: the pipeline owns retry (exponential backoff with jitter) and re-sends the
/// same batch, so writes must be idempotent by <see cref="FeatureRecord.Id"/>. A sink may retry briefly inside one
/// write where its protocol asks for it (e.g. HTTP <c>Retry-After</c>), but must throw when it gives up.
/// A failing sink never delays the log or another sink; what it has not shipped stays in the log behind
/// its durable cursor and is sent after a restart.</para>
/// </remarks>
public interface IFeatureSink
{
    /// <summary>
    /// Stable, unique name. It names the sink's cursor file and its metrics tag, so it may contain only
    /// letters, digits, '.', '-' and '_'; renaming a sink makes it ship the whole log again.
    /// </summary>
    string Name { get; }

    /// <summary>
    /// Prepares the sink (e.g. creates its table). Called before the first write and again after it
    /// fails, with the same retry as writes.
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when the sink is ready.</returns>
    Task InitializeAsync(CancellationToken cancellationToken);

    /// <summary>Writes (upserts by id) a batch of record versions.</summary>
    /// <param name="records">The batch in log order; never empty.</param>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when the batch is durably stored.</returns>
    Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken);
}
