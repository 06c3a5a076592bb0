using BenchmarkDotNet.Attributes;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// The cost to a bot of <see cref="FeatureStore.Record"/> (pre-built record, id and timestamp already set) and
/// <see cref="FeatureStore.RecordDecision"/> (builds the record and a new id) on a running store.
/// </summary>
/// <remarks>
/// <para>
/// Each invocation records <see cref="RecordsPerInvocation"/> distinct records and each iteration runs a fixed
/// <see cref="InvocationsPerIteration"/> invocations, so an iteration enqueues exactly
/// <see cref="RecordsPerIteration"/> record versions, well under the queue capacity: the queue never fills and
/// <c>Record</c> never waits. <c>[IterationCleanup]</c> waits for the background writer to drain (FlushAsync)
/// and deletes the log files it wrote, so every iteration starts with an empty queue and disk use stays flat.
/// </para>
/// <para>
/// <see cref="Writer"/> = <see cref="WriterMode.Concurrent"/>: the log writer serializes and writes on another
/// core while the benchmark records (the production situation, including contention on the queue). BenchmarkDotNet's
/// Allocated column counts allocations of all threads, so in this mode it includes whatever the writer allocated
/// during the measured iteration. <see cref="WriterMode.Paused"/>: the writer is parked (see
/// <see cref="GatedTimeProvider"/>) until the iteration cleanup, so time and Allocated are those of the calling
/// thread alone. The allocations of the calling thread are also measured directly in both modes and printed at
/// the end of each benchmark's log ("// Caller-thread allocations ...").
/// </para>
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[InvocationCount(InvocationsPerIteration, unrollFactor: 1)]
public class RecordHotPathBenchmarks
{
    /// <summary>How the background log writer runs while the benchmark records.</summary>
    public enum WriterMode
    {
        /// <summary>The writer drains the queue concurrently, as in production.</summary>
        Concurrent,

        /// <summary>The writer is parked during the measured iteration and drains in the iteration cleanup.</summary>
        Paused,
    }

    public const int RecordsPerInvocation = 1024;
    public const int InvocationsPerIteration = 64;
    public const int RecordsPerIteration = RecordsPerInvocation * InvocationsPerIteration;

    private readonly List<double> _callerBytesPerOperation = [];
    private FeatureRecord[] _records = [];
    private string _directory = "";
    private GatedTimeProvider _time = null!;
    private FeatureStore _store = null!;
    private long _callerBytesAtStart;
    private long _invocations;

    [Params(WriterMode.Concurrent, WriterMode.Paused)]
    public WriterMode Writer { get; set; }

    [GlobalSetup]
    public void GlobalSetup()
    {
        _records = SampleRecords.Create(RecordsPerInvocation);
        _directory = Path.Combine(Path.GetTempPath(), "vince-fs-bench-record-" + Guid.NewGuid().ToString("N"));
        _time = new GatedTimeProvider();
        _store = new FeatureStore(
            new FeatureStoreOptions
            {
                DataDirectory = _directory,
                FsyncOnWrite = false,
                // Four iterations' worth: the queue can never fill within one iteration.
                QueueCapacity = 4 * RecordsPerIteration,
            },
            timeProvider: _time);
        _store.StartAsync().GetAwaiter().GetResult();
        WarmUp();
    }

    [IterationSetup]
    public void IterationSetup()
    {
        if (Writer == WriterMode.Paused)
        {
            _time.CloseForOthers();
        }

        _invocations = 0;
        _callerBytesAtStart = GC.GetAllocatedBytesForCurrentThread();
    }

    [IterationCleanup]
    public void IterationCleanup()
    {
        long callerBytes = GC.GetAllocatedBytesForCurrentThread() - _callerBytesAtStart;
        _callerBytesPerOperation.Add((double)callerBytes / Math.Max(1, _invocations * RecordsPerInvocation));
        _time.Open();
        _store.FlushAsync().GetAwaiter().GetResult();
        if (_store.DroppedCount != 0)
        {
            throw new InvalidOperationException($"The queue filled up: {_store.DroppedCount} records were dropped; raise QueueCapacity.");
        }

        foreach (string file in Directory.EnumerateFiles(_directory, "features_*.jsonl"))
        {
            // The writer may still hold the newest file open; on Unix it keeps writing to the unlinked inode.
            File.Delete(file);
        }
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _time.Open();
        _store.DisposeAsync().AsTask().GetAwaiter().GetResult();
        Directory.Delete(_directory, recursive: true);

        // The last value comes from BenchmarkDotNet's memory-diagnoser iteration, which allocates a little
        // for its own statistics.
        IEnumerable<string> perOp = _callerBytesPerOperation.Select(b => b.ToString("0.###", System.Globalization.CultureInfo.InvariantCulture));
        Console.WriteLine($"// Caller-thread allocations, bytes per operation, per iteration: [{string.Join(", ", perOp)}]");
        _callerBytesPerOperation.Clear();
    }

    /// <summary>
    /// Runs both benchmark bodies several times, with pauses, so that tiered JIT compilation has settled
    /// before BenchmarkDotNet's warm-up: with only the 3 warm-up iterations of <c>--job short</c> the first
    /// measured iterations were otherwise still up to 5x slower (tier-0 code).
    /// </summary>
    private void WarmUp()
    {
        for (int round = 0; round < 6; round++)
        {
            IterationSetup();
            for (int i = 0; i < 8; i++)
            {
                Record();
                RecordDecision();
            }

            IterationCleanup();
            Thread.Sleep(150);
        }

        _callerBytesPerOperation.Clear();
    }

    /// <summary><see cref="FeatureStore.Record"/> of a pre-built record (id and timestamp set): validate and enqueue.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvocation)]
    public void Record()
    {
        _invocations++;
        FeatureStore store = _store;
        FeatureRecord[] records = _records;
        for (int i = 0; i < records.Length; i++)
        {
            store.Record(records[i]);
        }
    }

    /// <summary><see cref="FeatureStore.RecordDecision"/> with pre-built sections: reads the clock, creates the id and the record, enqueues.</summary>
    [Benchmark(OperationsPerInvoke = RecordsPerInvocation)]
    public void RecordDecision()
    {
        _invocations++;
        FeatureStore store = _store;
        FeatureRecord[] records = _records;
        for (int i = 0; i < records.Length; i++)
        {
            FeatureRecord r = records[i];
            store.RecordDecision(r.Asset, r.Market, r.Session, r.Signal, r.Regime, r.News, r.DecisionDrivers);
        }
    }
}
