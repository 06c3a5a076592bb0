namespace Vince.FeatureStore;

/// <summary>
/// What a trading bot records through: one feature record per decision, then its execution and outcome.
/// Inject this into the bot's logic (and substitute it in the bot's unit tests); <c>AddVinceFeatureStore</c>
/// registers <see cref="FeatureStore"/> as it, the same singleton as <see cref="FeatureStore"/> itself.
/// </summary>
/// <remarks>
/// Implementations are thread-safe. Recording only validates and enqueues: it never waits for I/O. A record
/// version is durable once <see cref="FlushAsync"/> completes after it, and in every sink once
/// <see cref="WaitForSinksAsync"/> does.
/// </remarks>
public interface IFeatureStore
{
    /// <summary>
    /// Records a version of a record (a new decision, or a later version under the same id). Never waits
    /// for I/O. An empty <see cref="FeatureRecord.Id"/> gets a new id; a zero timestamp becomes now.
    /// </summary>
    /// <param name="record">The record version.</param>
    /// <returns>The record's id.</returns>
    /// <exception cref="ArgumentException">The record has no asset, a timestamp before 1970 or after year 9999, an asset or id longer than 256 characters, or JSON longer than <see cref="FeatureStoreOptions.MaxRecordBytes"/>.</exception>
    /// <exception cref="FeatureStoreFullException">The queue stayed full for <see cref="FeatureStoreOptions.QueueFullTimeout"/> (mode <see cref="QueueFullMode.Wait"/>).</exception>
    /// <exception cref="ObjectDisposedException">The store is disposed.</exception>
    string Record(FeatureRecord record);

    /// <summary>Records a new trading decision and returns its id.</summary>
    /// <param name="asset">Ticker, e.g. <c>BTC</c>.</param>
    /// <param name="market">Market state.</param>
    /// <param name="session">Session context.</param>
    /// <param name="signal">The signal.</param>
    /// <param name="regime">The regime.</param>
    /// <param name="news">News context.</param>
    /// <param name="decisionDrivers">Reasons for the decision.</param>
    /// <param name="timestamp">Decision time; now when <see langword="null"/>.</param>
    /// <param name="execution">The execution when the trade opens with the decision (saves a version).</param>
    /// <returns>The new record id, for <see cref="RecordExecution"/> and <see cref="RecordOutcome"/>.</returns>
    string RecordDecision(
        string asset,
        MarketFeatures? market = null,
        SessionFeatures? session = null,
        SignalFeatures? signal = null,
        RegimeFeatures? regime = null,
        NewsFeatures? news = null,
        IReadOnlyList<string>? decisionDrivers = null,
        DateTimeOffset? timestamp = null,
        ExecutionFeatures? execution = null);

    /// <summary>Records a signal that was evaluated but not traded.</summary>
    /// <param name="asset">Ticker.</param>
    /// <param name="reason">Why it was not traded.</param>
    /// <param name="market">Market state.</param>
    /// <param name="session">Session context.</param>
    /// <param name="signal">The signal.</param>
    /// <param name="regime">The regime.</param>
    /// <param name="news">News context.</param>
    /// <param name="timestamp">Decision time; now when <see langword="null"/>.</param>
    /// <param name="decisionDrivers">Reasons behind the evaluation.</param>
    /// <returns>The new record id.</returns>
    string RecordAvoided(
        string asset,
        string reason,
        MarketFeatures? market = null,
        SessionFeatures? session = null,
        SignalFeatures? signal = null,
        RegimeFeatures? regime = null,
        NewsFeatures? news = null,
        DateTimeOffset? timestamp = null,
        IReadOnlyList<string>? decisionDrivers = null);

    /// <summary>
    /// Attaches an execution to the record <paramref name="id"/> and writes the new version. The earlier
    /// version is found in memory, or in the log after a restart.
    /// </summary>
    /// <param name="id">Id returned by <see cref="RecordDecision"/>.</param>
    /// <param name="execution">How the trade was opened.</param>
    /// <exception cref="ArgumentException">The execution's JSON is longer than <see cref="FeatureStoreOptions.MaxRecordBytes"/>.</exception>
    void RecordExecution(string id, ExecutionFeatures execution);

    /// <summary>
    /// Attaches the outcome to the record <paramref name="id"/>, derives its labels
    /// (<see cref="FeatureLabels.Derive"/>) and writes the completed version.
    /// </summary>
    /// <param name="id">Id returned by <see cref="RecordDecision"/>.</param>
    /// <param name="outcome">How the trade closed.</param>
    /// <exception cref="ArgumentException">The outcome's JSON is longer than <see cref="FeatureStoreOptions.MaxRecordBytes"/>.</exception>
    void RecordOutcome(string id, OutcomeFeatures outcome);

    /// <summary>Completes when every record version recorded before the call is on disk in the JSONL log.</summary>
    /// <param name="cancellationToken">Stops waiting (the records are still written).</param>
    /// <returns>A task that completes when the log is durable up to the call.</returns>
    /// <exception cref="InvalidOperationException">The store was not started.</exception>
    Task FlushAsync(CancellationToken cancellationToken = default);

    /// <summary>Flushes the log, then completes when every sink has shipped everything in it so far.</summary>
    /// <param name="cancellationToken">Stops waiting.</param>
    /// <returns>A task that completes when all sinks have caught up.</returns>
    Task WaitForSinksAsync(CancellationToken cancellationToken = default);

    /// <summary>A snapshot of every sink's progress.</summary>
    /// <returns>One status per sink, in registration order.</returns>
    IReadOnlyList<FeatureSinkStatus> GetSinkStatuses();
}
