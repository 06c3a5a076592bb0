using System.Buffers;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Throughput of the JSONL log (<see cref="JsonlFeatureLog"/>: 512-record batches, 1000 records per file,
/// one write + flush per batch) against the floor of plain System.Text.Json lines into one buffered file.
/// Every operation is one record: each invocation writes the same <see cref="RecordCount"/> records into a fresh
/// directory. The log is measured in steady state (created and warmed with one batch in the iteration setup),
/// as in a running store where one instance lives for the whole process.
/// </summary>
/// <remarks>
/// Category <c>NoFsync</c> holds the baseline and the comparable log (fsync off); the ratio target is there.
/// Category <c>Fsync</c> is the log with fsync on (every batch and every new file is fsynced), reported on
/// its own: the baseline never fsyncs, so a ratio would only measure the disk.
/// </remarks>
[MemoryDiagnoser]
[MedianColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
[CategoriesColumn]
public class JsonlWriteBenchmarks
{
    public const int RecordCount = 10_000;
    public const int BatchSize = 512;
    public const int RecordsPerFile = 1000;

    /// <summary>The sample records are all valid: a rejection means the benchmark is broken.</summary>
    private static readonly Action<FeatureRecord, Exception> Rejected = static (record, error)
        => throw new InvalidOperationException($"The log rejected sample record {record.Id}.", error);

    private List<FeatureRecord>[] _batches = [];
    private FeatureRecord[] _records = [];
    private string _root = "";
    private string _directory = "";
    private int _iteration;
    private JsonlFeatureLog? _log;
    private ArrayBufferWriter<byte> _rawLine = null!;
    private Utf8JsonWriter _rawWriter = null!;

    [GlobalSetup]
    public void GlobalSetup()
    {
        _records = SampleRecords.Create(RecordCount);
        _batches = _records.Chunk(BatchSize).Select(chunk => new List<FeatureRecord>(chunk)).ToArray();
        _root = Path.Combine(Path.GetTempPath(), "vince-fs-bench-jsonl-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(_root);
        _rawLine = new ArrayBufferWriter<byte>(16 * 1024);
        _rawWriter = new Utf8JsonWriter(_rawLine, new JsonWriterOptions { SkipValidation = true });
        CheckSameOutput();
        WarmUp();
    }

    [IterationSetup(Target = nameof(RawSystemTextJson))]
    public void RawIterationSetup() => CreateIterationDirectory();

    [IterationSetup(Target = nameof(JsonlFeatureLog_NoFsync))]
    public void LogIterationSetup() => CreateWarmLog(fsync: false);

    [IterationSetup(Target = nameof(JsonlFeatureLog_Fsync))]
    public void FsyncLogIterationSetup() => CreateWarmLog(fsync: true);

    [IterationCleanup]
    public void IterationCleanup()
    {
        _log?.Dispose();
        _log = null;
        Directory.Delete(_directory, recursive: true);
    }

    [GlobalCleanup]
    public void GlobalCleanup()
    {
        _rawWriter.Dispose();
        Directory.Delete(_root, recursive: true);
    }

    /// <summary>
    /// Baseline: each record serialized with JsonSerializer into a reused Utf8JsonWriter/ArrayBufferWriter,
    /// '\n' appended, and the line written to one 64 KiB-buffered FileStream (flushed once at the end).
    /// </summary>
    /// <remarks>
    /// A Utf8JsonWriter constructed over the FileStream itself (flushed after every record) measured about 40%
    /// slower than this, so it is not used as the floor: it would flatter the log.
    /// </remarks>
    [Benchmark(Baseline = true, OperationsPerInvoke = RecordCount)]
    [BenchmarkCategory("NoFsync")]
    public long RawSystemTextJson()
    {
        using var stream = new FileStream(Path.Combine(_directory, "raw.jsonl"), FileMode.CreateNew, FileAccess.Write, FileShare.Read, bufferSize: 64 * 1024);
        ArrayBufferWriter<byte> line = _rawLine;
        Utf8JsonWriter writer = _rawWriter;
        foreach (FeatureRecord record in _records)
        {
            line.ResetWrittenCount();
            writer.Reset(line);
            JsonSerializer.Serialize(writer, record, FeatureJson.RecordTypeInfo);
            writer.Flush();
            line.GetSpan(1)[0] = (byte)'\n';
            line.Advance(1);
            stream.Write(line.WrittenSpan);
        }

        stream.Flush();
        return stream.Length;
    }

    /// <summary>The library's JSONL log, fsync off (FeatureStoreOptions.FsyncOnWrite = false).</summary>
    [Benchmark(OperationsPerInvoke = RecordCount)]
    [BenchmarkCategory("NoFsync")]
    public long JsonlFeatureLog_NoFsync() => WriteLog();

    /// <summary>The library's JSONL log, fsync on (the default): fsync per batch and per new file.</summary>
    [Benchmark(OperationsPerInvoke = RecordCount)]
    [BenchmarkCategory("Fsync")]
    public long JsonlFeatureLog_Fsync() => WriteLog();

    private long WriteLog()
    {
        JsonlFeatureLog log = _log!;
        foreach (List<FeatureRecord> batch in _batches)
        {
            log.Append(batch, Rejected);
        }

        return log.Committed.Offset;
    }

    /// <summary>Both writers must produce the same bytes, or the comparison is meaningless.</summary>
    private void CheckSameOutput()
    {
        CreateIterationDirectory();
        string rawDirectory = _directory;
        RawSystemTextJson();
        byte[] raw = File.ReadAllBytes(Path.Combine(rawDirectory, "raw.jsonl"));

        CreateIterationDirectory();
        using (_log = new JsonlFeatureLog(_directory, RecordsPerFile, fsync: false, TimeProvider.System))
        {
            WriteLog();
        }

        _log = null;
        byte[] log = FeatureLogFiles.ListFeatureFiles(_directory).SelectMany(name => File.ReadAllBytes(Path.Combine(_directory, name))).ToArray();
        if (!raw.AsSpan().SequenceEqual(log))
        {
            throw new InvalidOperationException($"The JSONL log wrote {log.Length} bytes and the baseline {raw.Length}: they must be identical.");
        }

        Console.WriteLine($"// Output check: both writers produce the same {raw.Length} bytes ({raw.Length / RecordCount} bytes per record).");
        Directory.Delete(rawDirectory, recursive: true);
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>
    /// Runs both writers a few times so that tiered JIT compilation has settled before BenchmarkDotNet's own
    /// warm-up: with only the 3 warm-up iterations of <c>--job short</c>, the first measured iterations were
    /// still up to 10% slower.
    /// </summary>
    private void WarmUp()
    {
        for (int round = 0; round < 4; round++)
        {
            CreateIterationDirectory();
            RawSystemTextJson();
            IterationCleanup();

            CreateWarmLog(fsync: false);
            WriteLog();
            IterationCleanup();
        }
    }

    private void CreateIterationDirectory()
    {
        _directory = Path.Combine(_root, (++_iteration).ToString(System.Globalization.CultureInfo.InvariantCulture));
        Directory.CreateDirectory(_directory);
    }

    /// <summary>
    /// A log in steady state, as in a running store (one log instance per process): one batch is appended
    /// before the measurement so that the instance's serialization buffer has already grown to batch size.
    /// </summary>
    private void CreateWarmLog(bool fsync)
    {
        CreateIterationDirectory();
        _log = new JsonlFeatureLog(_directory, RecordsPerFile, fsync, TimeProvider.System);
        _log.Append(_batches[0], Rejected);
    }
}
