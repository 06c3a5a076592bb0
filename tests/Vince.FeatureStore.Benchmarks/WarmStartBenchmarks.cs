using System.Text;
using BenchmarkDotNet.Attributes;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Warm-starting the store's serving history on a 1 GB log (generated in <see cref="GlobalSetup"/>: fully populated
/// records of six assets one minute apart, in the store's file layout) against replaying the whole log through the
/// reader into a <see cref="FeatureHistory"/>, which is what the CLI and the export do and what a warm start would
/// cost without reading the tail.
/// </summary>
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class WarmStartBenchmarks
{
    private const long TargetBytes = 1L << 30;
    private const int RecordsPerFile = 100_000;
    private string _directory = "";

    [GlobalSetup]
    public void GlobalSetup()
    {
        _directory = Path.Combine(Path.GetTempPath(), "vince-fs-bench-warm-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_directory);
        FeatureRecord[] templates = SampleRecords.Create(64);
        long start = templates[0].Timestamp;
        long written = 0;
        int n = 0;
        while (written < TargetBytes)
        {
            long fileCreated = start + (n * 60_000L);
            string path = Path.Combine(_directory, FeatureLogFiles.FeatureFileName(DateTimeOffset.FromUnixTimeMilliseconds(fileCreated)));
            using var stream = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20);
            for (int i = 0; i < RecordsPerFile && written < TargetBytes; i++, n++)
            {
                long timestamp = start + (n * 60_000L);
                FeatureRecord record = templates[n % templates.Length] with { Id = $"bench-{n}", Timestamp = timestamp };
                byte[] line = Encoding.UTF8.GetBytes(FeatureJson.Serialize(record) + "\n");
                stream.Write(line);
                written += line.Length;
            }
        }

        Console.WriteLine($"// Log: {written:N0} bytes, {n:N0} records in {Directory.GetFiles(_directory).Length} files");
        ServingHistory check = WarmStart().GetAwaiter().GetResult();
        Console.WriteLine($"// Warm start read {check.WarmStart!.BytesRead:N0} bytes, {check.WarmStart.Records} records of {check.WarmStart.Assets} assets");
    }

    [GlobalCleanup]
    public void GlobalCleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    public async Task<FeatureHistory> ReplayWholeLog()
    {
        var history = new FeatureHistory();
        await foreach (FeatureRecord record in new FeatureLogReader(_directory, new FeatureLogReaderOptions { RealOnly = true }).ReadRecordsAsync())
        {
            history.Add(record);
        }

        return history;
    }

    [Benchmark]
    public async Task<ServingHistory> WarmStart()
    {
        var history = new ServingHistory();
        await history.WarmStartAsync(_directory, null, new FeatureLogReaderOptions().MaxLineBytes, CancellationToken.None);
        return history;
    }
}
