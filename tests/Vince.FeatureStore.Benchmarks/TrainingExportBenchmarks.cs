using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Training export (read the log, resolve versions, flatten, write CSV + manifest) against the floor of
/// parsing the same JSONL files with <see cref="JsonDocument"/>. Each operation is one record.
/// </summary>
/// <remarks>
/// The data set is <see cref="RecordCount"/> complete records in 1000-line files. The global setup also runs
/// each export once while sampling the managed heap, and prints the peak: it must stay flat as the input grows.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
public class TrainingExportBenchmarks
{
    private string _root = "";
    private string _data = "";
    private string[] _files = [];

    [Params(10_000, 100_000)]
    public int RecordCount { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = Path.Combine(Path.GetTempPath(), "vince-fs-bench-export-" + Guid.NewGuid().ToString("N"));
        _data = Path.Combine(_root, "features");
        Directory.CreateDirectory(_data);
        using (var log = new JsonlFeatureLog(_data, recordsPerFile: 1000, fsync: false, TimeProvider.System))
        {
            foreach (FeatureRecord[] chunk in SampleRecords.Create(RecordCount).Chunk(512))
            {
                log.Append(chunk, static (record, error) => throw new InvalidOperationException(record.Id, error));
            }
        }

        _files = Directory.GetFiles(_data, "features_*.jsonl");
        long bytes = _files.Sum(f => new FileInfo(f).Length);
        Console.WriteLine($"// Data set: {RecordCount} records, {_files.Length} files, {bytes / 1024 / 1024} MiB");
        ReportPeakHeap("signal_quality", () => Export(TrainingModel.SignalQuality));
        ReportPeakHeap("all columns", () => Export(null));
    }

    [GlobalCleanup]
    public void GlobalCleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark(Baseline = true, OperationsPerInvoke = 1)]
    public int RawJsonDocumentParse()
    {
        int parsed = 0;
        foreach (string file in _files)
        {
            foreach (string line in File.ReadLines(file))
            {
                using JsonDocument document = JsonDocument.Parse(line);
                parsed += document.RootElement.GetArrayLength0();
            }
        }

        return parsed;
    }

    [Benchmark]
    public int ExportSignalQuality() => Export(TrainingModel.SignalQuality);

    [Benchmark]
    public int ExportAllColumns() => Export(null);

    private int Export(TrainingModel? model)
    {
        string csv = Path.Combine(_root, "out", model is null ? "all.csv" : "model.csv");
        TrainingExportResult result = TrainingExporter.ExportAsync(new FeatureLogReader(_data), model, csv).GetAwaiter().GetResult();
        if (result.Manifest.RowCount != RecordCount)
        {
            throw new InvalidOperationException($"Exported {result.Manifest.RowCount} rows, expected {RecordCount}.");
        }

        return result.Manifest.RowCount;
    }

    private void ReportPeakHeap(string what, Action export)
    {
        // Live (retained) memory: a full collection every 50 ms, so garbage not yet collected does not count.
        long baseline = GC.GetTotalMemory(forceFullCollection: true);
        long peak = baseline;
        using var done = new CancellationTokenSource();
        var sampler = Task.Run(async () =>
        {
            while (!done.IsCancellationRequested)
            {
                peak = Math.Max(peak, GC.GetTotalMemory(forceFullCollection: true));
                await Task.Delay(50);
            }
        });
        export();
        done.Cancel();
        sampler.Wait();
        Console.WriteLine($"// Peak live managed memory during export ({what}, {RecordCount} records): {(peak - baseline) / 1024 / 1024.0:F1} MiB above the {baseline / 1024 / 1024} MiB before it");
    }
}

internal static class JsonElementCounting
{
    /// <summary>Touches the parsed root so the parse cannot be optimised away.</summary>
    public static int GetArrayLength0(this JsonElement element) => element.ValueKind == JsonValueKind.Object ? 1 : 0;
}
