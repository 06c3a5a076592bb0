using Vince.FeatureStore.Export;
using System.IO.Compression;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Reliability.Tests.Support;

namespace Vince.FeatureStore.Reliability.Tests.BadInput;

/// <summary>
/// One JSONL file of tests/bad-input, laid into a fresh data directory between two files of good records (so "good
/// records next to it" also means in neighbouring files), and run through the reader, the training export and a sink.
/// </summary>
internal sealed class CorpusCase : IDisposable
{
    public const string BeforeId = "neighbour-before";
    public const string AfterId = "neighbour-after";

    private readonly TempDirectory _dir = new();

    public CorpusCase(string file)
    {
        File = file;
        byte[] content = ReadCorpusFile(file);
        System.IO.File.WriteAllText(_dir.File("features_2026-01-22_1769100000000.jsonl"), TestRecords.Line(TestRecords.Complete(BeforeId, TestRecords.BaseTime - 10)) + "\n");
        System.IO.File.WriteAllBytes(_dir.File("features_2026-01-22_1769100000001.jsonl"), content);
        System.IO.File.WriteAllText(_dir.File("features_2026-01-22_1769100000002.jsonl"), TestRecords.Line(TestRecords.Complete(AfterId, TestRecords.BaseTime + 10_000)) + "\n");
    }

    public string File { get; }

    public string DataDirectory => _dir.Path;

    public static string CorpusDirectory => Path.Combine(AppContext.BaseDirectory, "bad-input");

    /// <summary>The bytes of a corpus file (a <c>.gz</c> file is decompressed: large cases are stored compressed).</summary>
    public static byte[] ReadCorpusFile(string file)
    {
        string path = Path.Combine(CorpusDirectory, file);
        if (!path.EndsWith(".gz", StringComparison.Ordinal))
        {
            return System.IO.File.ReadAllBytes(path);
        }

        using var gzip = new GZipStream(System.IO.File.OpenRead(path), CompressionMode.Decompress);
        using var buffer = new MemoryStream();
        gzip.CopyTo(buffer);
        return buffer.ToArray();
    }

    /// <summary>The records the reader returns (latest version per id), its skip count and its log.</summary>
    public async Task<(Dictionary<string, FeatureRecord> Records, long Skipped, List<CapturedLog> Logs)> ReadAsync()
    {
        using var capture = new CapturingLoggerProvider();
        using var factory = LoggerFactory.Create(b => b.AddProvider(capture).SetMinimumLevel(LogLevel.Trace));
        var reader = new FeatureLogReader(DataDirectory, logger: factory.CreateLogger<FeatureLogReader>());
        var records = new Dictionary<string, FeatureRecord>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            Assert.True(records.TryAdd(record.Id, record), $"{File}: the reader returned {record.Id} twice");
        }

        return (records, reader.SkippedLines, capture.Logs.ToList());
    }

    /// <summary>The ids of the rows of the training export (all columns, complete records).</summary>
    public async Task<(List<string> Ids, int Rows)> ExportAsync()
    {
        string csv = _dir.File("export/training.csv");
        TrainingExportResult result = await TrainingExporter.ExportAsync(new FeatureLogReader(DataDirectory), model: null, csv);
        string[] lines = System.IO.File.ReadAllLines(csv);
        string[] header = lines[0].Split(',');
        int idColumn = Array.IndexOf(header, "id");
        Assert.True(idColumn >= 0, $"{File}: the export has no id column");
        // Ids with commas or quotes are quoted (RFC 4180); the corpus's good ids have neither, except the SQL one.
        List<string> ids = lines.Skip(1).Select(l => l.StartsWith('"') ? l : l.Split(',')[idColumn]).ToList();
        return (ids, result.Manifest.RowCount);
    }

    public void Dispose() => _dir.Dispose();
}
