using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Postgres;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Remote reads at scale: one operation reads the whole <c>plugin_vince.paper_bot_features</c> table
/// (<see cref="PostgresFeatureTable"/>, <see cref="Rows"/> rows of about 2.5 KB) from a throwaway cluster on loopback.
/// </summary>
/// <remarks>
/// <list type="bullet">
/// <item><c>RawCopy</c> (baseline): every byte of <c>COPY (SELECT payload … ORDER BY created_at, id) TO STDOUT (FORMAT BINARY)</c>, nothing parsed.</item>
/// <item><c>Transport_*</c>: the reader's query (<c>payload::text</c>) by three transports, every byte consumed, nothing
/// parsed: one streamed query (the reader's), binary <c>COPY (SELECT …) TO STDOUT</c>, a server-side cursor (<c>FETCH 10000</c>).</item>
/// <item><c>ReadRecords</c>: <see cref="PostgresFeatureReader.ReadRecordsAsync"/>, every record deserialized.</item>
/// <item><c>ExportSignalQuality</c> / <c>ExportAll</c>: <see cref="TrainingExporter"/> over the reader to a CSV (two passes over the table).</item>
/// </list>
/// Each method runs in its own process; the process's peak working set (which includes the setup's) is printed at the
/// end, so 100k and 1M rows can be compared: it must not grow with the row count.
/// </remarks>
[MemoryDiagnoser]
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 2)]
public class PostgresReadBenchmarks
{
    [Params(100_000, 1_000_000)]
    public int Rows { get; set; }

    private PostgresFeatureTable _table = null!;
    private PostgresFeatureReader _reader = null!;
    private string _directory = "";

    [GlobalSetup]
    public void GlobalSetup()
    {
        _table = PostgresFeatureTable.CreateAsync(Rows).GetAwaiter().GetResult();
        _reader = new PostgresFeatureReader(_table.DataSource);
        _directory = Directory.CreateTempSubdirectory("vince-bench-read-").FullName;
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        Console.WriteLine($"// Peak working set: {Process.GetCurrentProcess().PeakWorkingSet64 / (1024 * 1024)} MiB ({Rows} rows)");
        _table.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public Task<long> RawCopy() => _table.RawCopyAsync();

    [Benchmark]
    public Task<long> Transport_StreamedSelect() => _table.RawReadAsync(RawTransport.StreamedSelect);

    [Benchmark]
    public Task<long> Transport_BinaryCopy() => _table.RawReadAsync(RawTransport.BinaryCopy);

    [Benchmark]
    public Task<long> Transport_Cursor() => _table.RawReadAsync(RawTransport.Cursor);

    [Benchmark]
    public async Task<int> ReadRecords()
    {
        int count = 0;
        await foreach (FeatureRecord record in _reader.ReadRecordsAsync())
        {
            count += record.Id.Length > 0 ? 1 : 0;
        }

        return Check(count);
    }

    [Benchmark]
    public async Task<int> ExportSignalQuality()
    {
        TrainingExportResult result = await TrainingExporter.ExportAsync(_reader, TrainingModel.SignalQuality, Path.Combine(_directory, "signal_quality.csv"), null);
        return Check(result.Manifest.RecordCount);
    }

    [Benchmark]
    public async Task<int> ExportAll()
    {
        TrainingExportResult result = await TrainingExporter.ExportAsync(_reader, null, Path.Combine(_directory, "all.csv"), null);
        return Check(result.Manifest.RecordCount);
    }

    private int Check(int count) => count == Rows ? count : throw new InvalidOperationException($"read {count} records of {Rows}");
}
