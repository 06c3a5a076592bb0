using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore;

/// <summary>What <see cref="FeatureStore.Record"/> does when the in-memory queue is full.</summary>
public enum QueueFullMode
{
    /// <summary>Wait up to <see cref="FeatureStoreOptions.QueueFullTimeout"/> for room, then throw <see cref="FeatureStoreFullException"/>.</summary>
    Wait = 0,

    /// <summary>Drop the record at once, count it in <c>vince.featurestore.records.dropped</c> and log a warning.</summary>
    DropAndCount = 1,
}

/// <summary>Settings of the feature store. Validated at start-up.</summary>
public sealed class FeatureStoreOptions
{
    /// <summary>Smallest <see cref="MaxRecordBytes"/>: below it even a bare decision is refused.</summary>
    private const int MinRecordBytesSetting = 1024;

    /// <summary>Largest <see cref="MaxRecordBytes"/>: three parts at the limit (decision, execution, outcome) stay under the readers' line limit.</summary>
    private const int MaxRecordBytesSetting = Jsonl.JsonlLineReader.DefaultMaxLineBytes / 4;

    /// <summary>The default data directory of the existing bot.</summary>
    public const string DefaultDataDirectory = ".elizadb/vince-paper-bot/features";

    /// <summary>The environment variable the bot uses for the data directory (<see cref="VinceEnvironment.DataDirectory"/>).</summary>
    public const string DataDirectoryEnvironmentVariable = VinceEnvironment.DataDirectory;

    /// <summary>
    /// Directory of the JSONL log. When unset: <c>VINCE_FEATURE_STORE_DATA_DIR</c>, else
    /// <see cref="DefaultDataDirectory"/> (relative to the working directory).
    /// </summary>
    public string? DataDirectory { get; set; }

    /// <summary>Record versions the in-memory queue holds before <see cref="QueueFullMode"/> applies. Default 10 000.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>What recording does when the queue is full. Default <see cref="QueueFullMode.Wait"/>.</summary>
    public QueueFullMode QueueFullMode { get; set; } = QueueFullMode.Wait;

    /// <summary>How long <see cref="QueueFullMode.Wait"/> waits for room. Default 5 s.</summary>
    public TimeSpan QueueFullTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Most record versions appended to the log in one write. Default 512.</summary>
    public int LogBatchSize { get; set; } = 512;

    /// <summary>Records per JSONL file before a new file starts (files also rotate at UTC midnight). Default 1000.</summary>
    public int RecordsPerFile { get; set; } = 1000;

    /// <summary>Fsync each appended batch before acknowledging it. Default on.</summary>
    public bool FsyncOnWrite { get; set; } = true;

    /// <summary>
    /// Delete <c>features_*.jsonl</c> files older than this many days once every sink has shipped them.
    /// <see langword="null"/> (default) keeps everything.
    /// </summary>
    public int? RetainJsonlDays { get; set; }

    /// <summary>Most record versions sent to a sink in one call. Default 500.</summary>
    public int SinkBatchSize { get; set; } = 500;

    /// <summary>First retry delay after a failed write. Default 500 ms.</summary>
    public TimeSpan RetryInitialDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>Cap of the exponential retry delay. Default 60 s.</summary>
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>How long disposal waits for sinks to catch up with the log. Default 30 s.</summary>
    public TimeSpan ShutdownTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// While a sink is blocked by a permanent failure (<see cref="FeatureSinkFailureKind.Permanent"/>: wrong password,
    /// missing or incompatible table, …), how often at most its error line is repeated as a reminder. The sink is
    /// re-probed with the retry backoff (capped by <see cref="RetryMaxDelay"/>) in between, quietly. At least 1 s.
    /// Default 5 minutes.
    /// </summary>
    public TimeSpan BlockedReminderInterval { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>
    /// Open records (no outcome yet) kept in memory to apply <see cref="FeatureStore.RecordExecution"/> and
    /// <see cref="FeatureStore.RecordOutcome"/>. Older ones are found in the log when needed. Default 10 000.
    /// </summary>
    public int OpenRecordCapacity { get; set; } = 10_000;

    /// <summary>
    /// Most bytes of a record's JSON (one line of the log) that <see cref="FeatureStore.Record"/> accepts; an
    /// execution or outcome is held to the same bound. A larger record is refused with an
    /// <see cref="ArgumentException"/> naming both sizes. Default 1 MiB (a bot's record is a few KB); at most 4 MiB, a
    /// quarter of the readers' 16 MiB line limit, so a decision with its execution and outcome always fits one line
    /// that every reader and sink can read.
    /// </summary>
    public int MaxRecordBytes { get; set; } = 1024 * 1024;

    /// <summary>The data directory after applying the environment variable and the default.</summary>
    /// <returns>The directory path (not yet created).</returns>
    public string ResolveDataDirectory()
    {
        if (!string.IsNullOrWhiteSpace(DataDirectory))
        {
            return DataDirectory;
        }

        string? fromEnvironment = VinceEnvironment.Process.Get(VinceEnvironment.DataDirectory);
        return string.IsNullOrWhiteSpace(fromEnvironment) ? DefaultDataDirectory : fromEnvironment;
    }

    /// <summary>Returns every problem with the settings, or an empty list.</summary>
    /// <returns>Human-readable messages naming the option.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (QueueCapacity < 1)
        {
            errors.Add($"{nameof(QueueCapacity)} must be at least 1 (was {QueueCapacity}).");
        }

        if (!Enum.IsDefined(QueueFullMode))
        {
            errors.Add($"{nameof(QueueFullMode)} {QueueFullMode} is not a known mode.");
        }

        if (QueueFullTimeout < TimeSpan.Zero)
        {
            errors.Add($"{nameof(QueueFullTimeout)} must not be negative (was {QueueFullTimeout}).");
        }

        if (LogBatchSize < 1)
        {
            errors.Add($"{nameof(LogBatchSize)} must be at least 1 (was {LogBatchSize}).");
        }

        if (RecordsPerFile < 1)
        {
            errors.Add($"{nameof(RecordsPerFile)} must be at least 1 (was {RecordsPerFile}).");
        }

        if (RetainJsonlDays is < 1)
        {
            errors.Add($"{nameof(RetainJsonlDays)} must be at least 1 day or unset (was {RetainJsonlDays}).");
        }

        if (SinkBatchSize < 1)
        {
            errors.Add($"{nameof(SinkBatchSize)} must be at least 1 (was {SinkBatchSize}).");
        }

        if (RetryInitialDelay <= TimeSpan.Zero)
        {
            errors.Add($"{nameof(RetryInitialDelay)} must be positive (was {RetryInitialDelay}).");
        }

        if (RetryMaxDelay < RetryInitialDelay)
        {
            errors.Add($"{nameof(RetryMaxDelay)} ({RetryMaxDelay}) must not be less than {nameof(RetryInitialDelay)} ({RetryInitialDelay}).");
        }

        if (ShutdownTimeout < TimeSpan.Zero)
        {
            errors.Add($"{nameof(ShutdownTimeout)} must not be negative (was {ShutdownTimeout}).");
        }

        if (BlockedReminderInterval < TimeSpan.FromSeconds(1))
        {
            errors.Add($"{nameof(BlockedReminderInterval)} must be at least 1 second (was {BlockedReminderInterval}).");
        }

        if (OpenRecordCapacity < 0)
        {
            errors.Add($"{nameof(OpenRecordCapacity)} must not be negative (was {OpenRecordCapacity}).");
        }

        if (MaxRecordBytes is < MinRecordBytesSetting or > MaxRecordBytesSetting)
        {
            errors.Add($"{nameof(MaxRecordBytes)} must be between {MinRecordBytesSetting} and {MaxRecordBytesSetting} bytes (was {MaxRecordBytes}).");
        }

        string directory = ResolveDataDirectory();
        if (directory.IndexOfAny(Path.GetInvalidPathChars()) >= 0)
        {
            errors.Add($"{nameof(DataDirectory)} '{directory}' contains characters that are not allowed in a path.");
        }

        return errors;
    }
}

/// <summary>Thrown by recording when the queue stayed full for <see cref="FeatureStoreOptions.QueueFullTimeout"/>.</summary>
public sealed class FeatureStoreFullException : Exception
{
    /// <summary>Creates the exception.</summary>
    public FeatureStoreFullException()
        : base("The feature store queue is full.")
    {
    }

    /// <summary>Creates the exception with a message.</summary>
    /// <param name="message">The message.</param>
    public FeatureStoreFullException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with a message and inner exception.</summary>
    /// <param name="message">The message.</param>
    /// <param name="innerException">The cause.</param>
    public FeatureStoreFullException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
