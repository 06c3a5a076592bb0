using BenchmarkDotNet.Attributes;
using Npgsql;
using NpgsqlTypes;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Postgres.Tests.Support;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// One operation = 10,000 fully populated records (about 2.5 KB of JSON each) into an empty
/// <c>plugin_vince.paper_bot_features</c> (primary key plus the sink's two indexes) on a throwaway PostgreSQL
/// cluster on loopback, started in <see cref="GlobalSetup"/> and removed in <see cref="GlobalCleanup"/>.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>RawBinaryCopy</c> (baseline): binary COPY straight into the table, no upsert: the floor.</item>
/// <item><c>SinkUpsert_Copy</c> / <c>SinkUpsert_Unnest</c>: <see cref="PostgresFeatureSink.WriteAsync"/>, one
/// transaction, last version per id, COPY into a temporary staging table or unnest arrays, then
/// <c>INSERT … ON CONFLICT (id) DO UPDATE</c> and the affected-row check.</item>
/// <item><c>PerRowInsertOnConflict</c>: what the existing bot does, one parameterized <c>INSERT … ON CONFLICT</c>
/// per record in autocommit; <c>_Prepared</c> is the same with a server-side prepared statement (its best case).</item>
/// </list>
/// Each iteration starts from an empty table (TRUNCATE in the iteration setup), so every method inserts the same
/// 10,000 rows; all of them serialize the records with <see cref="FeatureJson"/> inside the measurement.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class PostgresSinkBenchmarks
{
    public const int RecordCount = 10_000;

    private const string Table = "plugin_vince.paper_bot_features";

    /// <summary>
    /// <see langword="true"/>: PostgreSQL's default durability (every commit flushed to disk), as a production server
    /// runs. <see langword="false"/>: fsync off, which takes the disk out and leaves protocol and server CPU.
    /// </summary>
    [Params(true, false)]
    public bool Durable { get; set; }

    private PostgresCluster _cluster = null!;
    private NpgsqlDataSource _dataSource = null!;
    private PostgresFeatureSink _copySink = null!;
    private PostgresFeatureSink _unnestSink = null!;
    private FeatureRecord[] _records = [];

    [GlobalSetup]
    public void GlobalSetup() => GlobalSetupAsync().GetAwaiter().GetResult();

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _copySink.Dispose();
        _unnestSink.Dispose();
        _dataSource.Dispose();
        _cluster.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [IterationSetup]
    public void IterationSetup() => ExecuteAsync($"TRUNCATE {Table}").GetAwaiter().GetResult();

    [Benchmark(Baseline = true)]
    public async Task RawBinaryCopy()
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync();
        await using NpgsqlBinaryImporter importer = await connection.BeginBinaryImportAsync($"COPY {Table} (id, created_at, payload) FROM STDIN (FORMAT BINARY)");
        foreach (FeatureRecord record in _records)
        {
            await importer.StartRowAsync();
            await importer.WriteAsync(record.Id, NpgsqlDbType.Text);
            await importer.WriteAsync(DateTime.UnixEpoch.AddMilliseconds(record.Timestamp), NpgsqlDbType.TimestampTz);
            await importer.WriteAsync(FeatureJson.SerializeToUtf8Bytes(record), NpgsqlDbType.Jsonb);
        }

        await importer.CompleteAsync();
    }

    [Benchmark]
    public Task SinkUpsert_Copy() => _copySink.WriteAsync(_records, CancellationToken.None);

    [Benchmark]
    public Task SinkUpsert_Unnest() => _unnestSink.WriteAsync(_records, CancellationToken.None);

    /// <summary>As the bot sends it (node-postgres with parameters): parsed and planned by the server for every row.</summary>
    [Benchmark]
    public Task PerRowInsertOnConflict() => PerRowAsync(prepare: false);

    /// <summary>The best case for per-row inserts: one server-side prepared statement, executed per row.</summary>
    [Benchmark]
    public Task PerRowInsertOnConflict_Prepared() => PerRowAsync(prepare: true);

    private async Task PerRowAsync(bool prepare)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync();
        await using var insert = new NpgsqlCommand(
            $"INSERT INTO {Table} (id, created_at, payload) VALUES ($1, $2, $3::jsonb) ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, payload = EXCLUDED.payload",
            connection);
        var id = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text };
        var createdAt = new NpgsqlParameter<DateTime> { NpgsqlDbType = NpgsqlDbType.TimestampTz };
        var payload = new NpgsqlParameter<string> { NpgsqlDbType = NpgsqlDbType.Text };
        insert.Parameters.Add(id);
        insert.Parameters.Add(createdAt);
        insert.Parameters.Add(payload);
        if (prepare)
        {
            await insert.PrepareAsync();
        }

        foreach (FeatureRecord record in _records)
        {
            id.TypedValue = record.Id;
            createdAt.TypedValue = DateTime.UnixEpoch.AddMilliseconds(record.Timestamp);
            payload.TypedValue = FeatureJson.Serialize(record);
            await insert.ExecuteNonQueryAsync();
        }
    }

    private async Task GlobalSetupAsync()
    {
        _cluster = await PostgresCluster.StartNewAsync(Durable);
        string database = await _cluster.CreateDatabaseAsync("bench");
        _dataSource = NpgsqlDataSource.Create(_cluster.ConnectionString(database));
        _records = SampleRecords.Create(RecordCount);
        _copySink = new PostgresFeatureSink(_dataSource, new PostgresSinkOptions { WriteMode = PostgresWriteMode.Copy });
        _unnestSink = new PostgresFeatureSink(_dataSource, new PostgresSinkOptions { WriteMode = PostgresWriteMode.Unnest });
        await _copySink.InitializeAsync(CancellationToken.None);
        await _unnestSink.InitializeAsync(CancellationToken.None);
        await CheckSameOutputAsync();
    }

    /// <summary>Every method must leave the same 10,000 rows: same ids, same timestamps, same jsonb.</summary>
    private async Task CheckSameOutputAsync()
    {
        var digests = new List<(string Method, long Rows, string Digest)>();
        foreach (var (name, run) in new (string, Func<Task>)[]
                 {
                     (nameof(RawBinaryCopy), RawBinaryCopy), (nameof(SinkUpsert_Copy), SinkUpsert_Copy),
                     (nameof(SinkUpsert_Unnest), SinkUpsert_Unnest), (nameof(PerRowInsertOnConflict), PerRowInsertOnConflict),
                     (nameof(PerRowInsertOnConflict_Prepared), PerRowInsertOnConflict_Prepared),
                 })
        {
            await ExecuteAsync($"TRUNCATE {Table}");
            await run();
            await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync();
            await using var digest = new NpgsqlCommand($"SELECT count(*), md5(string_agg(id || created_at::text || payload::text, '|' ORDER BY id)) FROM {Table}", connection);
            await using NpgsqlDataReader reader = await digest.ExecuteReaderAsync();
            await reader.ReadAsync();
            digests.Add((name, reader.GetInt64(0), reader.GetString(1)));
        }

        Console.WriteLine("// Output check: " + string.Join(", ", digests.Select(d => $"{d.Method}={d.Rows} rows md5 {d.Digest[..12]}")));
        if (digests.Any(d => d.Rows != RecordCount || d.Digest != digests[0].Digest))
        {
            throw new InvalidOperationException("The methods did not store the same rows.");
        }
    }

    private async Task ExecuteAsync(string sql)
    {
        await using NpgsqlConnection connection = await _dataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }
}
