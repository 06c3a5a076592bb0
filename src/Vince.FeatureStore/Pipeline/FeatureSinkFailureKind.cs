namespace Vince.FeatureStore;

/// <summary>How the pipeline treats a failed sink call; carried by <see cref="FeatureSinkException"/>.</summary>
public enum FeatureSinkFailureKind
{
    /// <summary>
    /// A later attempt may succeed without anyone acting: network errors, timeouts, an overloaded or restarting server
    /// (HTTP 408, 429, 5xx other than 501). The batch is retried with backoff; each retry logs one warning line. Any
    /// exception that is not a <see cref="FeatureSinkException"/> counts as transient.
    /// </summary>
    Transient = 0,

    /// <summary>
    /// The sink cannot write anything until someone fixes its configuration or its target: wrong password, missing
    /// database or table, permission or row level security denied, a table that cannot take the rows, HTTP 501 and
    /// 4xx errors about the request rather than a row. The sink is <em>blocked</em>: one error line with the advice,
    /// a reminder at most every <see cref="FeatureStoreOptions.BlockedReminderInterval"/>, health <c>Unhealthy</c>,
    /// and a re-probe with capped backoff; once it succeeds shipping resumes from the cursor, nothing skipped.
    /// </summary>
    Permanent = 1,

    /// <summary>
    /// The target refused a record of the batch itself (a value violating a constraint, a value a column cannot
    /// store) while other records could be stored. The pipeline bisects the batch to find the refused record(s), parks
    /// each with its error in the sink's dead-letter file (<c>.deadletter/&lt;sink&gt;.jsonl</c>) and moves on. When every
    /// record of a batch of several is refused, the sink is treated as <see cref="Permanent"/> instead.
    /// </summary>
    RecordRejected = 2,
}
