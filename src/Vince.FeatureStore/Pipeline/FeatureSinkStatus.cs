namespace Vince.FeatureStore;

/// <summary>A snapshot of one sink's progress, for health checks and diagnostics.</summary>
public sealed record FeatureSinkStatus
{
    /// <summary>The sink's name.</summary>
    public required string Name { get; init; }

    /// <summary>Bytes of the JSONL log the sink has not acknowledged yet.</summary>
    public long PendingBytes { get; init; }

    /// <summary>
    /// How long the oldest log data the sink has not acknowledged has been durable in the log; zero when the sink is
    /// caught up. Data already in the log when the store started counts from the start.
    /// </summary>
    public TimeSpan Lag { get; init; }

    /// <summary>Record versions the sink has acknowledged since the store started.</summary>
    public long Written { get; init; }

    /// <summary>Failed attempts (writes, or reading the log and saving the cursor) since the last success (0 when healthy).</summary>
    public int ConsecutiveFailures { get; init; }

    /// <summary>The last failure in one line (message and advice), if the sink is currently failing.</summary>
    public string? LastError { get; init; }

    /// <summary>When the sink last acknowledged a batch (or was found caught up), if ever since start.</summary>
    public DateTimeOffset? LastSuccessUtc { get; init; }

    /// <summary>When the sink was last fully caught up with the log, if ever since start.</summary>
    public DateTimeOffset? LastCaughtUpUtc { get; init; }

    /// <summary>
    /// Since when the sink is blocked by a permanent failure (<see cref="FeatureSinkFailureKind.Permanent"/>), or
    /// <see langword="null"/> when it is not; <see cref="LastError"/> then says why and what to do.
    /// </summary>
    public DateTimeOffset? BlockedSinceUtc { get; init; }

    /// <summary>Whether the sink is blocked by a permanent failure (see <see cref="BlockedSinceUtc"/>).</summary>
    public bool IsBlocked => BlockedSinceUtc is not null;

    /// <summary>
    /// Record versions parked in the sink's dead-letter file (<c>.deadletter/&lt;sink&gt;.jsonl</c>) because the sink
    /// refused them permanently; <c>vince-features deadletter retry</c> ships them again once fixed.
    /// </summary>
    public long DeadLetters { get; init; }
}
