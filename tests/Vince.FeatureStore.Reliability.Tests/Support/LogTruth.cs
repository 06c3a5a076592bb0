using System.Text.Json;

namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>
/// The JSONL log as the source of truth after a fault: the latest version of every id, and the checks that a sink
/// table holds exactly that (one row per id, same payload) and that the sink's cursor reached the end of the log.
/// </summary>
internal static class LogTruth
{
    /// <summary>id → latest version, read from the log with the library's reader (versions resolved by id, the later line winning).</summary>
    public static async Task<Dictionary<string, FeatureRecord>> LatestAsync(string dataDirectory)
    {
        var latest = new Dictionary<string, FeatureRecord>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in new FeatureLogReader(dataDirectory).ReadRecordsAsync())
        {
            Assert.True(latest.TryAdd(record.Id, record), $"The reader returned {record.Id} twice.");
        }

        return latest;
    }

    /// <summary>
    /// The latest version per id computed independently of the reader: every complete line of every feature file in
    /// write order (file name order is creation order), the later line winning. Lines that are not JSON (a torn tail
    /// after a SIGKILL) are counted, not read.
    /// </summary>
    public static (Dictionary<string, string> LatestLine, int Lines, int Unreadable) Scan(string dataDirectory)
    {
        var latest = new Dictionary<string, string>(StringComparer.Ordinal);
        int lines = 0, unreadable = 0;
        foreach (string file in Directory.GetFiles(dataDirectory, "features_*.jsonl").Order(StringComparer.Ordinal))
        {
            foreach (string line in File.ReadAllLines(file))
            {
                if (line.Length == 0)
                {
                    continue;
                }

                lines++;
                try
                {
                    using JsonDocument document = JsonDocument.Parse(line);
                    latest[document.RootElement.GetProperty("id").GetString()!] = line;
                }
                catch (JsonException)
                {
                    unreadable++;
                }
            }
        }

        return (latest, lines, unreadable);
    }

    /// <summary>Asserts that the table rows are exactly the log's ids, each with the payload of its latest version.</summary>
    public static void AssertSinkHoldsLatest(IReadOnlyDictionary<string, FeatureRecord> latest, IReadOnlyDictionary<string, (DateTime CreatedAt, string Payload)> rows, string sink)
    {
        Assert.True(latest.Count == rows.Count, $"{sink}: {rows.Count} row(s) for {latest.Count} id(s) in the log.");
        var missing = latest.Keys.Where(id => !rows.ContainsKey(id)).Take(5).ToList();
        Assert.True(missing.Count == 0, $"{sink}: ids of the log missing from the table, e.g. {string.Join(", ", missing)}");
        foreach ((string id, FeatureRecord record) in latest)
        {
            Db.AssertPayload(record, rows[id].Payload);
            Assert.Equal(Db.Utc(record.Timestamp), rows[id].CreatedAt);
        }
    }

    /// <summary>Asserts that the sink's durable cursor names the last feature file at its full length (nothing left to ship).</summary>
    public static void AssertCursorCaughtUp(string dataDirectory, string sink)
    {
        string last = Path.GetFileName(Directory.GetFiles(dataDirectory, "features_*.jsonl").Order(StringComparer.Ordinal).Last());
        long length = new FileInfo(Path.Combine(dataDirectory, last)).Length;
        using JsonDocument cursor = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(dataDirectory, ".cursors", sink + ".json")));
        Assert.Equal(last, cursor.RootElement.GetProperty("file").GetString());
        Assert.Equal(length, cursor.RootElement.GetProperty("offset").GetInt64());
    }
}
