using System.Buffers;
using System.Data;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Npgsql;
using NpgsqlTypes;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Postgres.Diagnostics;
using Vince.FeatureStore.Postgres.Migrations;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// Reads feature records back from the Postgres (or PGlite) table, with the same calls and the same
/// <see cref="FeatureQuery"/> as <see cref="FeatureLogReader"/> reads the JSONL log, so training can use either.
/// </summary>
/// <remarks>
/// The table holds one row per id (its latest version), so every row is a record. Records stream one at a time in
/// decision-time order (<c>created_at</c>, ties by id); rows whose payload is not a feature record are skipped
/// with a warning. One enumeration holds one connection until it ends: with a single-connection pool (PGlite),
/// finish or dispose it before the next call.
/// </remarks>
public sealed class PostgresFeatureReader : IFeatureQuery, IFeaturePayloadSource, IAsyncDisposable, IDisposable
{
    private readonly NpgsqlDataSource _dataSource;
    private readonly bool _ownsDataSource;
    private readonly PostgresTableName _table;
    private readonly int _timeoutSeconds;
    private readonly ILogger _logger;
    private long _skippedRows;

    /// <summary>Creates a reader that connects with <paramref name="connectionStringOrUrl"/> and owns its connection pool.</summary>
    /// <param name="connectionStringOrUrl">A key/value connection string or a <c>postgresql://</c> URL.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="table">The table.</param>
    /// <param name="logger">Receives a warning per skipped row.</param>
    /// <exception cref="ArgumentException">The connection string, schema or table is invalid.</exception>
    public PostgresFeatureReader(string connectionStringOrUrl, string schema = PostgresSinkOptions.DefaultSchema, string table = PostgresSinkOptions.DefaultTable, ILogger<PostgresFeatureReader>? logger = null)
        : this(NpgsqlDataSource.Create(PostgresConnectionString.Normalize(connectionStringOrUrl)), ownsDataSource: true, new PostgresTableName(schema, table), 30, logger)
    {
    }

    /// <summary>Creates a reader over an existing connection pool, which it does not dispose.</summary>
    /// <param name="dataSource">The connection pool.</param>
    /// <param name="schema">The table's schema.</param>
    /// <param name="table">The table.</param>
    /// <param name="logger">Receives a warning per skipped row.</param>
    /// <exception cref="ArgumentException">The schema or table is invalid.</exception>
    public PostgresFeatureReader(NpgsqlDataSource dataSource, string schema = PostgresSinkOptions.DefaultSchema, string table = PostgresSinkOptions.DefaultTable, ILogger<PostgresFeatureReader>? logger = null)
        : this(dataSource ?? throw new ArgumentNullException(nameof(dataSource)), ownsDataSource: false, new PostgresTableName(schema, table), 30, logger)
    {
    }

    internal PostgresFeatureReader(NpgsqlDataSource dataSource, bool ownsDataSource, PostgresTableName table, int timeoutSeconds, ILogger? logger)
    {
        _dataSource = dataSource;
        _ownsDataSource = ownsDataSource;
        _table = table;
        _timeoutSeconds = timeoutSeconds;
        _logger = logger ?? NullLogger.Instance;
    }

    /// <summary>The table read, <c>schema.table</c>.</summary>
    public string TableName => _table.Display;

    /// <summary>Rows skipped because their payload was not a feature record (all calls together).</summary>
    public long SkippedRows => Interlocked.Read(ref _skippedRows);

    /// <summary>The records that match <paramref name="query"/>, in decision-time order (ties by id).</summary>
    /// <param name="query">Filter; <see langword="null"/> for all records.</param>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    /// <returns>The records, streamed.</returns>
    public async IAsyncEnumerable<FeatureRecord> ReadRecordsAsync(FeatureQuery? query = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        await foreach ((string id, ReadOnlyMemory<byte> payload) in ReadRowsAsync(query ?? FeatureQuery.All, cancellationToken).ConfigureAwait(false))
        {
            FeatureRecord? record = null;
            try
            {
                record = FeatureJson.Deserialize(payload.Span);
            }
            catch (JsonException ex)
            {
                Skip(id, ex.Message);
            }

            if (record is not null)
            {
                yield return record;
            }
        }
    }

    /// <inheritdoc/>
    async IAsyncEnumerable<ReadOnlyMemory<byte>> IFeaturePayloadSource.ReadPayloadsAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach ((string _, ReadOnlyMemory<byte> payload) in ReadRowsAsync(FeatureQuery.All, cancellationToken).ConfigureAwait(false))
        {
            yield return payload;
        }
    }

    /// <summary>
    /// The rows of <paramref name="query"/> in decision-time order, streamed by one query: the payload's UTF-8 bytes
    /// (no string in between) in one reused buffer, valid until the enumeration moves on.
    /// </summary>
    private async IAsyncEnumerable<(string Id, ReadOnlyMemory<byte> Payload)> ReadRowsAsync(FeatureQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await using NpgsqlConnection connection = await PostgresConnector.OpenAsync(_dataSource, "Postgres reader", cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = Build(connection, "SELECT id, payload::text FROM ", query, " ORDER BY created_at, id");
        await using NpgsqlDataReader reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken).ConfigureAwait(false);
        byte[] buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
            {
                string id = reader.GetString(0);
                int length = 0;
                await using (Stream stream = await reader.GetStreamAsync(1, cancellationToken).ConfigureAwait(false))
                {
                    int read;
                    while ((read = await stream.ReadAsync(buffer.AsMemory(length), cancellationToken).ConfigureAwait(false)) > 0)
                    {
                        length += read;
                        if (length == buffer.Length)
                        {
                            byte[] larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                            buffer.AsSpan(0, length).CopyTo(larger);
                            (buffer, larger) = (larger, buffer);
                            ArrayPool<byte>.Shared.Return(larger);
                        }
                    }
                }

                yield return (id, buffer.AsMemory(0, length));
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    /// <summary>Counts the records that match <paramref name="query"/> on the server, without reading them.</summary>
    /// <param name="query">Filter; <see langword="null"/> counts every record.</param>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The number of matching rows.</returns>
    public async Task<int> CountAsync(FeatureQuery? query = null, CancellationToken cancellationToken = default)
    {
        await using NpgsqlConnection connection = await PostgresConnector.OpenAsync(_dataSource, "Postgres reader", cancellationToken).ConfigureAwait(false);
        await using NpgsqlCommand command = Build(connection, "SELECT count(*) FROM ", query ?? FeatureQuery.All, "");
        long count = (long)(await command.ExecuteScalarAsync(cancellationToken).ConfigureAwait(false))!;
        return checked((int)count);
    }

    /// <summary>Counts complete trades (records with outcome and labels), the number training waits for.</summary>
    /// <param name="cancellationToken">Stops the count.</param>
    /// <returns>The number of complete records.</returns>
    public Task<int> CountCompleteAsync(CancellationToken cancellationToken = default)
        => CountAsync(FeatureQuery.Complete, cancellationToken);

    /// <summary>Closes the connection pool when the reader created it.</summary>
    /// <returns>A task that completes when the pool is closed.</returns>
    public ValueTask DisposeAsync() => _ownsDataSource ? _dataSource.DisposeAsync() : ValueTask.CompletedTask;

    /// <summary>Closes the connection pool when the reader created it.</summary>
    public void Dispose()
    {
        if (_ownsDataSource)
        {
            _dataSource.Dispose();
        }
    }

    /// <summary>The WHERE clause for <paramref name="query"/>, with the same meaning as the JSONL reader's filter.</summary>
    internal static string Where(FeatureQuery query, NpgsqlParameterCollection? parameters)
    {
        var conditions = new List<string>(4);
        if (query.CompleteOnly)
        {
            conditions.Add(FeatureTableMigrator.CompletePredicate);
        }

        if (query.Asset is not null)
        {
            conditions.Add("payload ->> 'asset' = @asset");
            parameters?.Add(new NpgsqlParameter<string>("asset", NpgsqlDbType.Text) { TypedValue = query.Asset });
        }

        // The JSONL reader compares whole milliseconds; so does this.
        if (query.From is { } from)
        {
            conditions.Add("created_at >= @from");
            parameters?.Add(new NpgsqlParameter<DateTime>("from", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.UnixEpoch.AddMilliseconds(from.ToUnixTimeMilliseconds()) });
        }

        if (query.To is { } to)
        {
            conditions.Add("created_at < @to");
            parameters?.Add(new NpgsqlParameter<DateTime>("to", NpgsqlDbType.TimestampTz) { TypedValue = DateTime.UnixEpoch.AddMilliseconds(to.ToUnixTimeMilliseconds()) });
        }

        return conditions.Count == 0 ? "" : " WHERE " + string.Join(" AND ", conditions);
    }

    private NpgsqlCommand Build(NpgsqlConnection connection, string head, FeatureQuery query, string tail)
    {
        var command = new NpgsqlCommand { Connection = connection, CommandTimeout = _timeoutSeconds };
        var sql = new StringBuilder(head).Append(_table.Qualified);
        sql.Append(Where(query, command.Parameters)).Append(tail);
        command.CommandText = sql.ToString();
        return command;
    }

    private void Skip(string id, string reason)
    {
        Interlocked.Increment(ref _skippedRows);
        PostgresLog.SkippedRow(_logger, id, _table.Display, reason);
    }
}
