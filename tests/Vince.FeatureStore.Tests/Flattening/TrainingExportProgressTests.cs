using Vince.FeatureStore;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Flattening;

/// <summary>The exporter's progress: every <see cref="TrainingExporter.ProgressInterval"/> records and once at the end, in order.</summary>
public sealed class TrainingExportProgressTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    /// <summary>Collects reports synchronously, as they are made (a <see cref="Progress{T}"/> would post them to the thread pool).</summary>
    private sealed class Recorder : IProgress<TrainingExportProgress>
    {
        public List<TrainingExportProgress> Reports { get; } = [];

        public void Report(TrainingExportProgress value) => Reports.Add(value);
    }

    [Fact]
    public async Task Progress_counts_records_read_of_the_total_and_rows_written()
    {
        // 2,500 records in time order; every fifth one is a complete trade (a signal-quality row).
        string data = _dir.File("data");
        Directory.CreateDirectory(data);
        File.WriteAllLines(Path.Combine(data, "features_2026-01-22_1.jsonl"),
            Enumerable.Range(0, 2500).Select(i => Line(i % 5 == 0 ? Complete($"r{i:D4}", BaseTime + i) : Decision($"r{i:D4}", BaseTime + i))));
        var recorder = new Recorder();

        TrainingExportResult result = await TrainingExporter.ExportAsync(new FeatureLogReader(data), TrainingModel.SignalQuality, _dir.File("sq.csv"), recorder);

        Assert.Equal(1000, TrainingExporter.ProgressInterval);
        Assert.Equal([new(1000, 2500, 200), new(2000, 2500, 400), new TrainingExportProgress(2500, 2500, 500)], recorder.Reports);
        Assert.Equal(500, result.Manifest.RowCount);
    }

    [Fact]
    public async Task An_empty_log_reports_once_with_nothing_read()
    {
        var recorder = new Recorder();
        await TrainingExporter.ExportAsync(new FeatureLogReader(_dir.File("empty")), null, _dir.File("all.csv"), recorder);
        Assert.Equal([new TrainingExportProgress(0, 0, 0)], recorder.Reports);
    }
}
