using Npgsql;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Postgres.Tests.Support;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// A throwaway PostgreSQL cluster (fsync off) holding <c>plugin_vince.paper_bot_features</c> as the sink creates it,
/// filled server-side: 64 distinct, fully populated records (<see cref="SampleRecords"/>, about 2.5 KB of JSON each,
/// complete trades of six assets) repeated by <c>generate_series</c>, each row with its own id and a decision time one
/// second after the previous, in <c>created_at</c> and in the payload alike.
/// </summary>
internal sealed class PostgresFeatureTable : IAsyncDisposable
{
    public const string Table = "plugin_vince.paper_bot_features";

    private PostgresFeatureTable(PostgresCluster cluster, NpgsqlDataSource dataSource)
    {
        Cluster = cluster;
        DataSource = dataSource;
    }

    public PostgresCluster Cluster { get; }

    public NpgsqlDataSource DataSource { get; }

    public static async Task<PostgresFeatureTable> CreateAsync(int rows)
    {
        PostgresCluster cluster = await PostgresCluster.StartNewAsync(durable: false);
        string database = await cluster.CreateDatabaseAsync("read");
        var table = new PostgresFeatureTable(cluster, NpgsqlDataSource.Create(cluster.ConnectionString(database)));
        FeatureRecord[] samples = SampleRecords.Create(64);
        long start = samples[0].Timestamp;
        await table.ExecuteAsync(PostgresBootstrap.GetSql(), _ => { });
        await using (NpgsqlConnection connection = await table.DataSource.OpenConnectionAsync())
        {
            await using var create = new NpgsqlCommand("CREATE TABLE samples (n int, payload jsonb)", connection);
            await create.ExecuteNonQueryAsync();
            await using var insert = new NpgsqlCommand("INSERT INTO samples SELECT i - 1, p::jsonb FROM unnest(@p) WITH ORDINALITY AS u(p, i)", connection);
            insert.Parameters.AddWithValue("p", samples.Select(FeatureJson.Serialize).ToArray());
            await insert.ExecuteNonQueryAsync();
            await using var fill = new NpgsqlCommand(
                $"INSERT INTO {Table} (id, created_at, payload) " +
                "SELECT 'r-' || lpad(g::text, 8, '0'), to_timestamp((@start + g * 1000) / 1000.0), " +
                "  s.payload || jsonb_build_object('id', 'r-' || lpad(g::text, 8, '0'), 'timestamp', @start + g * 1000) " +
                "FROM generate_series(0, @rows - 1) g JOIN samples s ON s.n = g % 64; ANALYZE " + Table,
                connection);
            fill.CommandTimeout = 0;
            fill.Parameters.AddWithValue("start", start);
            fill.Parameters.AddWithValue("rows", rows);
            await fill.ExecuteNonQueryAsync();
        }

        return table;
    }

    public async Task ExecuteAsync(string sql, Action<NpgsqlParameterCollection> parameters)
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection) { CommandTimeout = 0 };
        parameters(command.Parameters);
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>
    /// Reads every byte of <c>COPY (SELECT payload … ORDER BY created_at, id) TO STDOUT (FORMAT BINARY)</c>: the floor of
    /// any reader (the binary format because it is the one Npgsql hands over raw, undecoded; the text format would add
    /// client-side decoding to the baseline).
    /// </summary>
    public async Task<long> RawCopyAsync()
    {
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync();
        await using NpgsqlRawCopyStream copy = await connection.BeginRawBinaryCopyAsync($"COPY (SELECT payload FROM {Table} ORDER BY created_at, id) TO STDOUT (FORMAT BINARY)");
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        int read;
        while ((read = await copy.ReadAsync(buffer.AsMemory(), CancellationToken.None)) > 0)
        {
            total += read;
        }

        return total;
    }

    /// <summary>The payloads as the reader selects them (<c>payload::text</c>, decision-time order), every byte read, by one of three transports.</summary>
    public async Task<long> RawReadAsync(RawTransport transport)
    {
        const string Select = $"SELECT payload::text FROM {Table} ORDER BY created_at, id";
        await using NpgsqlConnection connection = await DataSource.OpenConnectionAsync();
        byte[] buffer = new byte[1 << 16];
        long total = 0;
        switch (transport)
        {
            case RawTransport.BinaryCopy:
                await using (NpgsqlRawCopyStream copy = await connection.BeginRawBinaryCopyAsync($"COPY ({Select}) TO STDOUT (FORMAT BINARY)"))
                {
                    int read;
                    while ((read = await copy.ReadAsync(buffer.AsMemory(), CancellationToken.None)) > 0)
                    {
                        total += read;
                    }
                }

                return total;
            case RawTransport.Cursor:
                await using (NpgsqlTransaction transaction = await connection.BeginTransactionAsync())
                {
                    await using (var declare = new NpgsqlCommand($"DECLARE payloads NO SCROLL CURSOR FOR {Select}", connection, transaction))
                    {
                        await declare.ExecuteNonQueryAsync();
                    }

                    await using var fetch = new NpgsqlCommand("FETCH 10000 FROM payloads", connection, transaction);
                    for (long rows = -1; rows != 0;)
                    {
                        rows = 0;
                        await using NpgsqlDataReader reader = await fetch.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess);
                        while (await reader.ReadAsync())
                        {
                            rows++;
                            total += await ConsumeAsync(reader, buffer);
                        }
                    }
                }

                return total;
            default:
                await using (var select = new NpgsqlCommand(Select, connection) { CommandTimeout = 0 })
                await using (NpgsqlDataReader reader = await select.ExecuteReaderAsync(System.Data.CommandBehavior.SequentialAccess))
                {
                    while (await reader.ReadAsync())
                    {
                        total += await ConsumeAsync(reader, buffer);
                    }
                }

                return total;
        }
    }

    private static async Task<long> ConsumeAsync(NpgsqlDataReader reader, byte[] buffer)
    {
        await using Stream stream = await reader.GetStreamAsync(0);
        long total = 0;
        int read;
        while ((read = await stream.ReadAsync(buffer)) > 0)
        {
            total += read;
        }

        return total;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await Cluster.DisposeAsync();
    }
}

/// <summary>How <see cref="PostgresFeatureTable.RawReadAsync"/> reads the payloads.</summary>
public enum RawTransport
{
    /// <summary>One query, rows streamed as they come (what <see cref="Postgres.PostgresFeatureReader"/> does).</summary>
    StreamedSelect,

    /// <summary><c>COPY (SELECT …) TO STDOUT (FORMAT BINARY)</c>.</summary>
    BinaryCopy,

    /// <summary>A server-side cursor, <c>FETCH 10000</c> at a time.</summary>
    Cursor,
}
