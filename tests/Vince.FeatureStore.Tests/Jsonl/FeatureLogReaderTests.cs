using System.Text;
using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Jsonl;

public sealed class FeatureLogReaderTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private void WriteFile(string name, params string[] lines)
        => File.WriteAllText(_dir.File(name), string.Concat(lines.Select(l => l + "\n")));

    private static async Task<List<FeatureRecord>> ToListAsync(IAsyncEnumerable<FeatureRecord> source)
    {
        var list = new List<FeatureRecord>();
        await foreach (FeatureRecord r in source)
        {
            list.Add(r);
        }

        return list;
    }

    [Fact]
    public async Task Later_versions_win_and_records_come_in_decision_time_order()
    {
        WriteFile("features_2026-01-22_1769100000000.jsonl",
            Line(Decision("b", BaseTime + 20)),
            Line(Decision("a", BaseTime + 10)));
        WriteFile("features_2026-01-22_1769100005000.jsonl",
            Line(Complete("b", BaseTime + 20)),
            Line(Decision("c", BaseTime + 5)));

        var reader = new FeatureLogReader(_dir.Path);
        List<FeatureRecord> records = await ToListAsync(reader.ReadRecordsAsync());

        Assert.Equal(["c", "a", "b"], records.Select(r => r.Id));
        Assert.True(records[2].IsComplete);
        Assert.Equal(4, (await ToListAsync(reader.ReadVersionsAsync())).Count);
        Assert.Equal(1, await reader.CountCompleteAsync());
        Assert.Equal(3, await reader.CountAsync());
    }

    [Fact]
    public async Task The_summary_counts_versions_records_complete_trades_assets_and_files_from_the_headers()
    {
        string huge = Line(Decision("huge", BaseTime + 7) with { DecisionDrivers = [new string('x', 5000)] });
        WriteFile("features_2026-01-22_1769100000000.jsonl",
            Line(Decision("b1", BaseTime + 20)),
            Line(Decision("e1", BaseTime + 10, "ETH")),
            "{not json}",
            huge);
        WriteFile("features_2026-01-22_1769100005000.jsonl",
            Line(Complete("b1", BaseTime + 20)),
            Line(Decision("b2", BaseTime + 30)),
            Line(Complete("e2", BaseTime + 5, "ETH")),
            Line(Decision("b1", BaseTime + 20))); // a later, incomplete version wins: b1 counts as open again
        var reader = new FeatureLogReader(_dir.Path, new FeatureLogReaderOptions { MaxLineBytes = 2048 });

        FeatureLogSummary summary = await reader.GetSummaryAsync();

        Assert.Equal(_dir.Path, summary.DataDirectory);
        Assert.Equal((6L, 2L, 4, 1), (summary.Versions, summary.SkippedLines, summary.Records, summary.CompleteRecords));
        Assert.Equal((BaseTime + 5, BaseTime + 30), (summary.FirstTimestamp, summary.LastTimestamp));
        Assert.Equal(
            [new FeatureLogAssetSummary("BTC", 2, 0, BaseTime + 20, BaseTime + 30), new FeatureLogAssetSummary("ETH", 2, 1, BaseTime + 5, BaseTime + 10)],
            summary.Assets);
        Assert.Equal(
            [
                new FeatureLogFileSummary(_dir.File("features_2026-01-22_1769100000000.jsonl"), new FileInfo(_dir.File("features_2026-01-22_1769100000000.jsonl")).Length, 2, 2),
                new FeatureLogFileSummary(_dir.File("features_2026-01-22_1769100005000.jsonl"), new FileInfo(_dir.File("features_2026-01-22_1769100005000.jsonl")).Length, 4, 0),
            ],
            summary.Files);
    }

    [Fact]
    public async Task The_summary_of_a_missing_directory_is_empty()
    {
        FeatureLogSummary summary = await new FeatureLogReader(_dir.File("missing")).GetSummaryAsync();
        Assert.Empty(summary.Files);
        Assert.Empty(summary.Assets);
        Assert.Equal((0L, 0, null, null), (summary.Versions, summary.Records, summary.FirstTimestamp, summary.LastTimestamp));
    }

    [Fact]
    public async Task Files_are_read_in_creation_order_not_name_order()
    {
        // The ms part orders the files; a later version in the later file must win.
        WriteFile("features_2026-01-22_999.jsonl", Line(Decision("x") with { Asset = "OLD" }));
        WriteFile("features_2026-01-22_1000.jsonl", Line(Decision("x") with { Asset = "NEW" }));

        List<FeatureRecord> records = await ToListAsync(new FeatureLogReader(_dir.Path).ReadRecordsAsync());

        Assert.Equal("NEW", Assert.Single(records).Asset);
    }

    [Fact]
    public async Task Invalid_and_torn_lines_are_skipped_with_a_warning_and_good_neighbours_survive()
    {
        string good1 = Line(Decision("g1"));
        string good2 = Line(Decision("g2", BaseTime + 1));
        string torn = Line(Decision("torn", BaseTime + 2))[..40];
        File.WriteAllText(_dir.File("features_2026-01-22_1.jsonl"),
            good1 + "\n" + "{not json}\n" + "\n" + "   \n" + "{\"timestamp\":5,\"asset\":\"BTC\"}\n" + good2 + "\n" + torn);
        var logger = new Microsoft.Extensions.Logging.Testing.FakeLogger<FeatureLogReader>();

        var reader = new FeatureLogReader(_dir.Path, logger: logger);
        List<FeatureRecord> records = await ToListAsync(reader.ReadVersionsAsync());

        Assert.Equal(["g1", "g2"], records.Select(r => r.Id));
        Assert.Equal(3, reader.SkippedLines); // not JSON, no id, torn
        Assert.Equal(3, logger.Collector.GetSnapshot().Count(r => r.Level == Microsoft.Extensions.Logging.LogLevel.Warning));
        Assert.Contains(logger.Collector.GetSnapshot(), r => r.Message.Contains("line 7", StringComparison.Ordinal));
        Assert.Equal(["g1", "g2"], (await ToListAsync(reader.ReadRecordsAsync())).Select(r => r.Id));
    }

    [Fact]
    public async Task Bom_crlf_and_a_missing_final_newline_are_accepted()
    {
        byte[] bom = [0xEF, 0xBB, 0xBF];
        byte[] body = Encoding.UTF8.GetBytes(Line(Decision("a")) + "\r\n" + Line(Decision("b", BaseTime + 1)));
        File.WriteAllBytes(_dir.File("features_2026-01-22_1.jsonl"), [.. bom, .. body]);

        var reader = new FeatureLogReader(_dir.Path);

        Assert.Equal(["a", "b"], (await ToListAsync(reader.ReadVersionsAsync())).Select(r => r.Id));
        Assert.Equal(["a", "b"], (await ToListAsync(reader.ReadRecordsAsync())).Select(r => r.Id));
        Assert.Equal(0, reader.SkippedLines);
    }

    [Fact]
    public async Task Queries_filter_on_the_latest_version()
    {
        WriteFile("features_2026-01-22_1.jsonl",
            Line(Decision("btc-open", BaseTime, "BTC")),
            Line(Complete("btc-done", BaseTime + 1000, "BTC")),
            Line(Complete("eth-done", BaseTime + 2000, "ETH")),
            Line(Decision("eth-late", BaseTime + 3000, "ETH")),
            Line(Complete("eth-late", BaseTime + 3000, "ETH")));
        var reader = new FeatureLogReader(_dir.Path);

        Assert.Equal(["btc-done", "eth-done", "eth-late"], (await ToListAsync(reader.ReadRecordsAsync(FeatureQuery.Complete))).Select(r => r.Id));
        Assert.Equal(["eth-done", "eth-late"], (await ToListAsync(reader.ReadRecordsAsync(new FeatureQuery { Asset = "ETH" }))).Select(r => r.Id));
        var window = new FeatureQuery
        {
            From = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 1000),
            To = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 3000),
        };
        Assert.Equal(["btc-done", "eth-done"], (await ToListAsync(reader.ReadRecordsAsync(window))).Select(r => r.Id));
        Assert.Equal(3, await reader.CountCompleteAsync());
    }

    [Fact]
    public async Task Synthetic_and_combined_files_are_read_after_the_feature_files_unless_real_only()
    {
        WriteFile("synthetic_1.jsonl", Line(Complete("s1")), Line(Decision("shared") with { Asset = "SYNTH" }));
        WriteFile("combined.jsonl", Line(Complete("c1")));
        WriteFile("features_2026-01-22_1.jsonl", Line(Decision("shared") with { Asset = "REAL" }));
        WriteFile("other.jsonl", Line(Complete("ignored")));

        var realOnly = new FeatureLogReader(_dir.Path, new FeatureLogReaderOptions { RealOnly = true });
        var all = new FeatureLogReader(_dir.Path);

        Assert.Equal(["shared"], (await ToListAsync(realOnly.ReadRecordsAsync())).Select(r => r.Id));
        Assert.Equal("REAL", (await ToListAsync(realOnly.ReadRecordsAsync())).Single().Asset);
        List<FeatureRecord> everything = await ToListAsync(all.ReadRecordsAsync());
        Assert.Equal(["c1", "s1", "shared"], everything.Select(r => r.Id).Order(StringComparer.Ordinal));
        // The script's order (features, synthetic, combined); on one id the version read last wins, as everywhere.
        Assert.Equal("SYNTH", everything.Single(r => r.Id == "shared").Asset);
        Assert.Equal(["features_2026-01-22_1.jsonl", "synthetic_1.jsonl", "combined.jsonl"], all.GetFiles().Select(Path.GetFileName));
        Assert.Equal(["features_*.jsonl", "synthetic_*.jsonl", "combined.jsonl"], all.FilePatterns);
        Assert.Equal(["features_*.jsonl"], realOnly.FilePatterns);
    }

    [Fact]
    public async Task Oversized_lines_are_skipped()
    {
        string huge = Line(Decision("huge") with { DecisionDrivers = [new string('x', 5000)] });
        WriteFile("features_2026-01-22_1.jsonl", Line(Decision("a")), huge, Line(Decision("b", BaseTime + 1)));

        var reader = new FeatureLogReader(_dir.Path, new FeatureLogReaderOptions { MaxLineBytes = 1024 });

        Assert.Equal(["a", "b"], (await ToListAsync(reader.ReadVersionsAsync())).Select(r => r.Id));
        Assert.Equal(1, reader.SkippedLines);
    }

    [Fact]
    public async Task Stopping_early_or_cancelling_a_read_leaves_the_reader_usable()
    {
        WriteFile("features_2026-01-22_1.jsonl", Enumerable.Range(0, 2000).Select(i => Line(Decision($"r{i}", BaseTime + i))).ToArray());
        var reader = new FeatureLogReader(_dir.Path);

        int seen = 0;
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            Assert.Equal($"r{seen}", record.Id);
            if (++seen == 700)
            {
                break; // mid-way through the second parallel chunk
            }
        }

        using var cancel = new CancellationTokenSource();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () =>
        {
            await foreach (FeatureRecord record in reader.ReadRecordsAsync(cancellationToken: cancel.Token))
            {
                cancel.Cancel();
            }
        });

        Assert.Equal(2000, (await ToListAsync(reader.ReadRecordsAsync())).Count);
        Assert.Equal(0, reader.SkippedLines);
    }

    [Fact]
    public async Task A_missing_directory_reads_as_empty()
    {
        var reader = new FeatureLogReader(Path.Combine(_dir.Path, "nope"));
        Assert.Empty(await ToListAsync(reader.ReadRecordsAsync()));
        Assert.Equal(0, await reader.CountCompleteAsync());
    }

    [Fact]
    public async Task Reading_a_large_log_streams_lines_longer_than_the_buffer()
    {
        // Lines larger than the 64 KiB initial buffer and many lines across buffer refills.
        var lines = new List<string>();
        for (int i = 0; i < 3000; i++)
        {
            lines.Add(Line(Decision($"r{i}", BaseTime + i) with { DecisionDrivers = [new string('y', i % 500 == 0 ? 100_000 : 50)] }));
        }

        WriteFile("features_2026-01-22_1.jsonl", [.. lines]);
        var reader = new FeatureLogReader(_dir.Path);

        List<FeatureRecord> records = await ToListAsync(reader.ReadRecordsAsync());
        Assert.Equal(3000, records.Count);
        Assert.Equal(Enumerable.Range(0, 3000).Select(i => $"r{i}"), records.Select(r => r.Id));
        Assert.Equal(100_000, records[500].DecisionDrivers![0].Length);
        Assert.Equal(0, reader.SkippedLines);
    }
}
