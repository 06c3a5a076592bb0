using System.Text;
using BenchmarkDotNet.Attributes;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Warm-starting the store's serving history on a 1 GB log (generated in <see cref="GlobalSetup"/>: fully populated
/// records of six assets one minute apart, in the store's file layout) against the I/O floor of reading the last
/// megabyte of the log. Replaying the whole log through the reader into a <see cref="FeatureHistory"/> (what the CLI
/// and the export do, and what a warm start would cost without reading the tail) takes about a minute per run on the
/// 2-core machine: it is timed once in the setup and printed, too slow for BenchmarkDotNet's in-process runs.
/// </summary>
[MemoryDiagnoser]
public class WarmStartBenchmarks
{
    private const long TargetBytes = 1L << 30;
    private const int RecordsPerFile = 100_000;
    private readonly byte[] _buffer = new byte[1 << 20];
    private string _directory = "";
    private string _lastFile = "";

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
        long replayStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        FeatureHistory replayed = ReplayWholeLog().GetAwaiter().GetResult();
        Console.WriteLine($"// Whole-log replay (once): {System.Diagnostics.Stopwatch.GetElapsedTime(replayStarted).TotalSeconds:0.0} s");
        foreach (string asset in replayed.Assets)
        {
            if (!replayed.RecordsOf(asset).Select(r => r.Id).SequenceEqual(check.RecordsOf(asset).Select(r => r.Id)))
            {
                throw new InvalidOperationException($"The warm start's history of {asset} differs from the whole-log replay's.");
            }
        }

        Console.WriteLine("// Output check: the warm start holds the whole-log replay's history for every asset");
        _lastFile = Directory.GetFiles(_directory).Order(StringComparer.Ordinal).Last();
    }

    [GlobalCleanup]
    public void GlobalCleanup() => Directory.Delete(_directory, recursive: true);

    [Benchmark(Baseline = true)]
    public int ReadLastMegabyte()
    {
        using Microsoft.Win32.SafeHandles.SafeFileHandle handle = File.OpenHandle(_lastFile);
        long length = RandomAccess.GetLength(handle);
        return RandomAccess.Read(handle, _buffer, Math.Max(0, length - _buffer.Length));
    }

    private async Task<FeatureHistory> ReplayWholeLog()
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
