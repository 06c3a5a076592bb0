namespace Vince.FeatureStore;

/// <summary>
/// Reads feature records from a store (the JSONL log, Postgres, …) so that training and statistics work
/// the same over any of them.
/// </summary>
public interface IFeatureQuery
{
    /// <summary>The latest version of every record that matches <paramref name="query"/>, in decision-time order.</summary>
    /// <param name="query">Filter; <see langword="null"/> for every record.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records.</returns>
    IAsyncEnumerable<FeatureRecord> ReadRecordsAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Counts the records that match <paramref name="query"/>.</summary>
    /// <param name="query">Filter; <see langword="null"/> counts every record.</param>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The count.</returns>
    Task<int> CountAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default);

    /// <summary>Counts complete trades (records with outcome and labels).</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The count.</returns>
    Task<int> CountCompleteAsync(CancellationToken cancellationToken = default);
}
