using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Postgres.Diagnostics;
using Vince.FeatureStore.Postgres.Migrations;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// Ships feature records to a PostgreSQL (or PGlite) table: <c>plugin_vince.paper_bot_features (id text primary
/// key, created_at timestamptz, payload jsonb)</c>, one row per record id holding its latest version.
/// </summary>
/// <remarks>
/// <para>Each batch is one transaction: the last version per id is kept (a batch may hold the decision and the
/// outcome of one trade), the rows are sent by binary <c>COPY</c> into a temporary staging table or as
/// <c>unnest</c> arrays (<see cref="PostgresWriteMode"/>), and one <c>INSERT … ON CONFLICT (id) DO UPDATE … WHERE</c>
/// upserts them: a stored row is replaced only by a version that is not older (by the payload's <c>updatedAt</c>; a
/// version without one is older than any with one), so racing writers and replays never put an older version back.
/// Before commit every row of the batch must be written or hold a newer version; anything else (a trigger dropping
/// rows) rolls the batch back and fails it.</para>
/// <para>The sink never retries: it throws a <see cref="FeatureSinkException"/> classified by SQLSTATE, and the feature
/// store's pipeline retries the same batch later from its durable cursor (transient), blocks the sink until it is fixed
/// (permanent: login, missing database or table, permissions, a table that cannot take the rows) or bisects the batch
/// and parks a refused record (a constraint or column type refusing it). Writes are idempotent by id, so a batch sent
/// twice leaves one row per id.</para>
/// <para>Passwords never appear in its log events or exception messages.</para>
/// </remarks>
public sealed class PostgresFeatureSink : IFeatureSink, IAsyncDisposable, IDisposable
{
    private const string StagingTable = "vince_feature_staging";

    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresSinkOptions _options;
    private readonly PostgresTableName _table;
    private readonly ILogger _logger;
    private readonly int _timeoutSeconds;
    private readonly string _who;
    private readonly string _createStaging;
    private readonly string _copyToStaging;
    private readonly string _upsertFromStaging;
    private readonly string _upsertFromUnnest;
    private readonly string _countNewerFromStaging;
    private readonly string _countNewerFromUnnest;
    private int _effectiveMode = -1; // a PostgresWriteMode once initialized; read from any thread
    private int _disposed;

    /// <summary>
    /// Creates a sink that connects with <see cref="PostgresSinkOptions.ConnectionString"/> (a key/value string or a
    /// <c>postgresql://</c> URL), or with the <c>POSTGRES_URL</c> environment variable when that is not set. The sink
    /// owns the connection pool it creates and closes it on disposal.
    /// </summary>
    /// <param name="options">Settings; validated here.</param>
    /// <param name="logger">Receives the sink's events.</param>
    /// <exception cref="ArgumentException">The options or the connection string are invalid, or there is no connection string.</exception>
    public PostgresFeatureSink(PostgresSinkOptions options, ILogger<PostgresFeatureSink>? logger = null)
        : this(CreateDataSource(options, VinceEnvironment.Process.AsFunc()), ownsDataSource: true, options, logger)
    {
    }

    /// <summary>Creates a sink over an existing data source (e.g. the host's, from DI), which it does not dispose.</summary>
    /// <param name="dataSource">The connection pool to use.</param>
    /// <param name="options">Settings (its <see cref="PostgresSinkOptions.ConnectionString"/> is ignored); defaults when <see langword="null"/>.</param>
    /// <param name="logger">Receives the sink's events.</param>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public PostgresFeatureSink(NpgsqlDataSource dataSource, PostgresSinkOptions? options = null, ILogger<PostgresFeatureSink>? logger = null)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false, options ?? new PostgresSinkOptions(), logger)
    {
    }

    internal PostgresFeatureSink(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresSinkOptions options, ILogger? logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            if (ownsDataSource)
            {
                dataSource.Dispose();
            }

            throw new ArgumentException("Invalid Postgres sink options: " + string.Join(" ", errors), nameof(options));
        }

        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _options = options.Clone();
        _table = new PostgresTableName(_options.Schema, _options.Table);
        _logger = logger ?? NullLogger.Instance;
        _timeoutSeconds = (int)Math.Ceiling(_options.CommandTimeout.TotalSeconds);
        _who = $"Postgres sink '{_options.Name}'";

        // Ordered upserts: a stored row is replaced only by a version that is not older (RecordVersionOrder), so two
        // writers, a replay from an old cursor or a sync beside the sink can never put an older version back.
        string upsertTail = " ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, payload = EXCLUDED.payload WHERE "
                            + RecordVersionOrder.SqlReplaces(incoming: "EXCLUDED.payload", stored: "t.payload");
        string insert = $"INSERT INTO {_table.Qualified} AS t (id, created_at, payload) ";
        const string unnest = "unnest(@ids, @created_at, @payloads) AS u(id, created_at, payload)";
        _createStaging = $"CREATE TEMP TABLE {StagingTable} (id text NOT NULL, created_at timestamptz NOT NULL, payload jsonb NOT NULL) ON COMMIT DROP";
        _copyToStaging = $"COPY {StagingTable} (id, created_at, payload) FROM STDIN (FORMAT BINARY)";
        _upsertFromStaging = insert + $"SELECT id, created_at, payload FROM {StagingTable}" + upsertTail;
        _upsertFromUnnest = insert + $"SELECT u.id, u.created_at, u.payload::jsonb FROM {unnest}" + upsertTail;

        // Rows the upsert left alone must hold a newer version (the conflicting rows stay locked until commit).
        string newerStored = $" JOIN {_table.Qualified} AS t ON t.id = s.id WHERE {RecordVersionOrder.SqlOrderOf("t.payload")} > {RecordVersionOrder.SqlOrderOf("s.payload")}";
        _countNewerFromStaging = $"SELECT count(*) FROM {StagingTable} AS s" + newerStored;
        _countNewerFromUnnest = $"SELECT count(*) FROM (SELECT u.id, u.payload::jsonb AS payload FROM {unnest}) AS s" + newerStored;
    }

    /// <inheritdoc />
    public string Name => _options.Name;

    /// <summary>The table written, <c>schema.table</c>.</summary>
    public string TableName => _table.Display;

    /// <summary>
    /// The write path in use: <see cref="PostgresWriteMode.Copy"/> or <see cref="PostgresWriteMode.Unnest"/> once
    /// <see cref="InitializeAsync"/> has run (after auto-detection), <see langword="null"/> before.
    /// </summary>
    public PostgresWriteMode? EffectiveWriteMode => Volatile.Read(ref _effectiveMode) is var mode and >= 0 ? (PostgresWriteMode)mode : null;

    /// <summary>A reader over the same table and connection pool (the reader does not dispose the pool).</summary>
    /// <param name="logger">Receives a warning per row it skips.</param>
    /// <returns>The reader.</returns>
    public PostgresFeatureReader CreateReader(ILogger<PostgresFeatureReader>? logger = null)
        => new(_dataSource, ownsDataSource: false, _table, _timeoutSeconds, logger);

    /// <summary>
    /// Connects, chooses the write path (<see cref="PostgresWriteMode.Auto"/>: unnest on PGlite, COPY otherwise) and
    /// creates the table and its indexes when missing (under an advisory lock; an existing table is used as it is).
    /// </summary>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when the sink can write.</returns>
    /// <exception cref="FeatureSinkException">Login failed, the database or table is missing or cannot take the rows
    /// (<see cref="FeatureSinkFailureKind.Permanent"/>, with advice), or the server is unreachable (transient).</exception>
    public async Task InitializeAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await InitializeCoreAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Classify(ex) is { } classified)
        {
            throw classified;
        }
    }

    private async Task InitializeCoreAsync(CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await PostgresConnector.OpenAsync(_dataSource, _who, cancellationToken).ConfigureAwait(false);
        string version;
        await using (NpgsqlCommand command = new("SELECT version()", connection))
        {
            command.CommandTimeout = _timeoutSeconds;
            version = (string)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        }

        bool pglite = IsPglite(version);
        PostgresWriteMode mode;
        string reason;
        switch (_options.WriteMode)
        {
            case PostgresWriteMode.Auto:
                mode = pglite ? PostgresWriteMode.Unnest : PostgresWriteMode.Copy;
                reason = pglite ? "auto: PGlite detected" : "auto: PostgreSQL";
                break;
            case PostgresWriteMode.Copy when pglite:
                throw new FeatureSinkException(
                    FeatureSinkFailureKind.Permanent,
                    $"{_who}: the server is PGlite, which wedges on COPY FROM STDIN.",
                    "Set WriteMode to Auto or Unnest.");
            default:
                mode = _options.WriteMode;
                reason = "configured";
                break;
        }

        MigrationOutcome outcome = await FeatureTableMigrator.MigrateAsync(connection, _table, _options.MigrateOnStart, _timeoutSeconds, cancellationToken).ConfigureAwait(false);
        if (outcome == MigrationOutcome.Created)
        {
            PostgresLog.TableCreated(_logger, Name, _table.Display);
        }
        else
        {
            PostgresLog.TableExists(_logger, Name, _table.Display);
        }

        Volatile.Write(ref _effectiveMode, (int)mode);
        if (_logger.IsEnabled(LogLevel.Information))
        {
            string target = PostgresConnector.Describe(_dataSource);
            string serverVersion = ShortVersion(version);
            PostgresLog.Ready(_logger, Name, target, serverVersion, mode, reason);
        }
    }

    /// <summary>
    /// Upserts the batch in one transaction: the newest version per id, sent by COPY or unnest, then one
    /// <c>INSERT … ON CONFLICT (id) DO UPDATE</c> that leaves a row holding a newer version alone. Throws on any
    /// failure, after which nothing of the batch is stored.
    /// </summary>
    /// <param name="records">The batch in log order.</param>
    /// <param name="cancellationToken">Cancelled when the store stops.</param>
    /// <returns>A task that completes when the batch is committed.</returns>
    /// <exception cref="FeatureSinkException">The write failed, classified by SQLSTATE: login, permission or table problems are
    /// <see cref="FeatureSinkFailureKind.Permanent"/>; a record refused by a constraint, trigger or column type (or a row
    /// count that does not match, e.g. a trigger dropped rows) is <see cref="FeatureSinkFailureKind.RecordRejected"/>;
    /// connection trouble is transient.</exception>
    public async Task WriteAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(records);
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (records.Count == 0)
        {
            return;
        }

        try
        {
            await WriteCoreAsync(records, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Classify(ex) is { } classified)
        {
            throw classified;
        }
    }

    private FeatureSinkException? Classify(Exception exception) => PostgresFailures.Classify(exception, _who, _table, PostgresConnector.Describe(_dataSource));

    private async Task WriteCoreAsync(IReadOnlyList<FeatureRecord> records, CancellationToken cancellationToken)
    {

        if (EffectiveWriteMode is not { } mode)
        {
            await InitializeCoreAsync(cancellationToken).ConfigureAwait(false);
            mode = EffectiveWriteMode!.Value;
        }

        long started = Stopwatch.GetTimestamp();
        List<FeatureRecord> rows = FeatureBatches.LastVersionPerId(records);
        await using NpgsqlConnection connection = await PostgresConnector.OpenAsync(_dataSource, _who, cancellationToken).ConfigureAwait(false);
        await using NpgsqlTransaction transaction = await connection.BeginTransactionAsync(cancellationToken).ConfigureAwait(false);
        (long affected, long newerStored) = mode == PostgresWriteMode.Unnest
            ? await UpsertWithUnnestAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false)
            : await UpsertWithCopyAsync(connection, transaction, rows, cancellationToken).ConfigureAwait(false);
        if (affected + newerStored != rows.Count)
        {
            PostgresLog.AffectedRowsMismatch(_logger, Name, affected, rows.Count, _table.Display);
            await transaction.RollbackAsync(CancellationToken.None).ConfigureAwait(false);
            throw new FeatureSinkException(
                FeatureSinkFailureKind.RecordRejected,
                $"{_who}: upserting {rows.Count} record(s) into {_table.Display} affected {affected} row(s), and {newerStored} other row(s) hold a newer version; the batch was rolled back.",
                "A trigger or rule on the table may be dropping rows.");
        }

        await transaction.CommitAsync(cancellationToken).ConfigureAwait(false);
        if (newerStored > 0)
        {
            PostgresLog.NewerVersionsKept(_logger, Name, newerStored, _table.Display);
        }

        if (_logger.IsEnabled(LogLevel.Debug))
        {
            double elapsedMs = Stopwatch.GetElapsedTime(started).TotalMilliseconds;
            PostgresLog.BatchWritten(_logger, Name, (int)affected, records.Count, mode, elapsedMs);
        }
    }

    /// <summary>Closes the connection pool when the sink created it.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            await _dataSource.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the connection pool when the sink created it.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0 && _ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    internal static DateTime CreatedAt(FeatureRecord record)
    {
        if (record.Timestamp < 0 || record.Timestamp > MaxTimestamp)
        {
            throw new ArgumentException($"Record {record.Id} has timestamp {record.Timestamp}, which is not a storable Unix time in milliseconds.");
        }

        return DateTime.UnixEpoch.AddMilliseconds(record.Timestamp);
    }

    internal static bool IsPglite(string version) => version.Contains("PGlite", StringComparison.OrdinalIgnoreCase);

    private static readonly long MaxTimestamp = (long)(DateTime.MaxValue - DateTime.UnixEpoch).TotalMilliseconds;

    private byte[] Payload(FeatureRecord record)
    {
        byte[] json = FeatureBatches.SerializeForPostgres(record, out bool replacedNul);
        if (replacedNul)
        {
            PostgresLog.NulReplaced(_logger, Name, record.Id);
        }

        return json;
    }

    private static string ShortVersion(string version)
    {
        int on = version.IndexOf(" on ", StringComparison.Ordinal);
        return on > 0 ? version[..on] : version;
    }

    /// <returns>The rows the upsert wrote, and (only when that is not all of them) the rows it left alone because they hold a newer version.</returns>
    private async Task<(long Affected, long NewerStored)> UpsertWithCopyAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<FeatureRecord> rows, CancellationToken cancellationToken)
    {
        await using (NpgsqlCommand create = new(_createStaging, connection, transaction))
        {
            create.CommandTimeout = _timeoutSeconds;
            await create.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        ulong copied;
        NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync(_copyToStaging, cancellationToken).ConfigureAwait(false);
        await using (importer.ConfigureAwait(false))
        {
            importer.Timeout = _options.CommandTimeout;
            foreach (FeatureRecord record in rows)
            {
                await importer.StartRowAsync(cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(record.Id, NpgsqlDbType.Text, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(CreatedAt(record), NpgsqlDbType.TimestampTz, cancellationToken).ConfigureAwait(false);
                await importer.WriteAsync(Payload(record), NpgsqlDbType.Jsonb, cancellationToken).ConfigureAwait(false);
            }

            copied = await importer.CompleteAsync(cancellationToken).ConfigureAwait(false);
        }

        if (copied != (ulong)rows.Count)
        {
            // COPY reports what it read; a shortfall is the server's or the connection's trouble, retried.
            throw new InvalidOperationException($"{_who}: COPY stored {copied} of {rows.Count} row(s) in the staging table.");
        }

        long affected;
        await using (NpgsqlCommand upsert = new(_upsertFromStaging, connection, transaction))
        {
            upsert.CommandTimeout = _timeoutSeconds;
            affected = await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (affected == rows.Count)
        {
            return (affected, 0);
        }

        await using NpgsqlCommand countNewer = new(_countNewerFromStaging, connection, transaction);
        countNewer.CommandTimeout = _timeoutSeconds;
        return (affected, (long)(await countNewer.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);
    }

    /// <returns>As <see cref="UpsertWithCopyAsync"/>.</returns>
    private async Task<(long Affected, long NewerStored)> UpsertWithUnnestAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, List<FeatureRecord> rows, CancellationToken cancellationToken)
    {
        string[] ids = new string[rows.Count];
        DateTime[] createdAt = new DateTime[rows.Count];
        string[] payloads = new string[rows.Count];
        for (int i = 0; i < rows.Count; i++)
        {
            ids[i] = rows[i].Id;
            createdAt[i] = CreatedAt(rows[i]);
            payloads[i] = Encoding.UTF8.GetString(Payload(rows[i]));
        }

        long affected;
        await using (NpgsqlCommand upsert = UnnestCommand(_upsertFromUnnest))
        {
            affected = await upsert.ExecuteNonQueryAsync(cancellationToken).ConfigureAwait(false);
        }

        if (affected == rows.Count)
        {
            return (affected, 0);
        }

        await using NpgsqlCommand countNewer = UnnestCommand(_countNewerFromUnnest);
        return (affected, (long)(await countNewer.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!);

        NpgsqlCommand UnnestCommand(string sql)
        {
            NpgsqlCommand command = new(sql, connection, transaction) { CommandTimeout = _timeoutSeconds };
            command.Parameters.Add(new NpgsqlParameter<string[]>("ids", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = ids });
            command.Parameters.Add(new NpgsqlParameter<DateTime[]>("created_at", NpgsqlDbType.Array | NpgsqlDbType.TimestampTz) { TypedValue = createdAt });
            command.Parameters.Add(new NpgsqlParameter<string[]>("payloads", NpgsqlDbType.Array | NpgsqlDbType.Text) { TypedValue = payloads });
            return command;
        }
    }

    internal static NpgsqlDataSource CreateDataSource(PostgresSinkOptions options, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(options);
        string? configured = options.ConnectionString;
        if (string.IsNullOrWhiteSpace(configured))
        {
            configured = environment(PostgresConnectionString.UrlEnvironmentVariable);
        }

        if (string.IsNullOrWhiteSpace(configured))
        {
            throw new ArgumentException(
                $"No PostgreSQL connection: set PostgresSinkOptions.ConnectionString or the {PostgresConnectionString.UrlEnvironmentVariable} environment variable.", nameof(options));
        }

        return NpgsqlDataSource.Create(PostgresConnectionString.Normalize(configured));
    }
}
