using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Engines;
using Vince.FeatureStore.Jsonl;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using Vince.FeatureStore.Training;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// One full run of the .NET trainer with its default settings (100 trees × 16 leaves per model; the take-profit model
/// fits one ensemble per level, the stop-loss model four for its out-of-fold quantile): read the log twice, build the
/// four models' rows, fit, export to ONNX, check each file with ONNX Runtime, write the metadata. Each operation is one
/// training on <see cref="CompleteRecords"/> complete records (fully populated, six assets).
/// </summary>
/// <remarks>
/// A training takes seconds to minutes, so the job measures a few cold runs (no warm-up beyond the first) rather than
/// many: <c>RunStrategy.Monitoring</c>, three iterations.
/// </remarks>
[SimpleJob(RunStrategy.Monitoring, launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class DotnetTrainerBenchmarks
{
    private string _root = "";
    private string _data = "";
    private int _run;

    [Params(1_000, 10_000, 100_000)]
    public int CompleteRecords { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _root = Path.Combine(Path.GetTempPath(), "vince-fs-bench-train-" + Guid.NewGuid().ToString("N"));
        _data = Path.Combine(_root, "features");
        Directory.CreateDirectory(_data);
        using var log = new JsonlFeatureLog(_data, recordsPerFile: 1000, fsync: false, TimeProvider.System);
        foreach (FeatureRecord[] chunk in SampleRecords.Create(CompleteRecords).Chunk(512))
        {
            log.Append(chunk, static (record, error) => throw new InvalidOperationException(record.Id, error));
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup() => Directory.Delete(_root, recursive: true);

    [Benchmark]
    public int Train()
    {
        string output = Path.Combine(_root, "models-" + _run++);
        DotnetTrainingReport report = new DotnetModelTrainer()
            .TrainWithReportAsync(new ModelTrainingRequest { FeaturesDirectory = _data, OutputDirectory = output })
            .GetAwaiter().GetResult();
        if (report.Models.Count != 4 || report.TradesWithOutcomes != CompleteRecords)
        {
            throw new InvalidOperationException($"Trained {report.Models.Count} models on {report.TradesWithOutcomes} trades: {report.Log}");
        }

        Console.WriteLine($"// {CompleteRecords} records: " + string.Join("; ", report.Log.Split('\n').Where(l => l.StartsWith("Trained", StringComparison.Ordinal)).Select(l => l[..l.IndexOf(':', StringComparison.Ordinal)] + l[l.LastIndexOf('(')..])));
        Directory.Delete(output, recursive: true);
        return report.Models.Count;
    }
}
