namespace Vince.FeatureStore.Export;

/// <summary>
/// A store (an <see cref="IFeatureQuery"/>) that can also stream its records' JSON undeserialized: the same records, in
/// the same order, as <see cref="IFeatureQuery.ReadRecordsAsync"/> of every record. <see cref="TrainingExporter"/>'s first
/// pass then only tokenizes each record, as the log's version scan does, instead of building it.
/// </summary>
internal interface IFeaturePayloadSource
{
    /// <summary>Every record's JSON (UTF-8), in decision-time order; each item is valid until the enumeration moves on.</summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The payloads, streamed.</returns>
    IAsyncEnumerable<ReadOnlyMemory<byte>> ReadPayloadsAsync(CancellationToken cancellationToken);
}
