using System.Text;

namespace Vince.FeatureStore.Reliability.Tests.BadInput;

/// <summary>
/// A record too large for the log: <c>Record</c> refuses it (MaxRecordBytes, default 1 MiB) instead of writing a line
/// no sink can take; a line over the readers' 16 MiB limit written by someone else is skipped with a warning and never
/// stalls a sink, in the file the store is still writing as in an older one.
/// </summary>
public sealed class RecordSizeTests
{
    private const int LineLimit = 16 * 1024 * 1024;

    [Fact]
    public async Task Record_refuses_a_record_execution_or_outcome_over_MaxRecordBytes_naming_its_size_and_the_limit()
    {
        using var dir = new TempDirectory();
        await using FeatureStore store = await TestStores.StartedAsync(dir.Path);
        string big = new('x', 1024 * 1024);

        ArgumentException record = Assert.Throws<ArgumentException>(() => store.Record(TestRecords.Decision("huge") with { DecisionDrivers = [big] }));
        Assert.Matches(@"Record huge is 10\d{5} bytes of JSON, more than MaxRecordBytes \(1048576 bytes\)", record.Message);
        Assert.Equal("record", record.ParamName);

        store.Record(TestRecords.Decision("open-1") with { DecisionDrivers = [new string('x', 1000 * 1024)] }); // under the limit
        ArgumentException outcome = Assert.Throws<ArgumentException>(() => store.RecordOutcome("open-1", TestRecords.Win() with { ExitReason = big }));
        Assert.Contains("The outcome of record open-1 is ", outcome.Message, StringComparison.Ordinal);
        ArgumentException execution = Assert.Throws<ArgumentException>(() => store.RecordExecution("open-1", TestRecords.Execution() with { RejectionReason = big }));
        Assert.Contains("more than MaxRecordBytes (1048576 bytes)", execution.Message, StringComparison.Ordinal);

        await store.FlushAsync();
        Assert.Equal("open-1", Assert.Single(await new FeatureLogReader(dir.Path).ReadRecordsAsync().ToListAsync()).Id);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1023)]
    [InlineData((4 * 1024 * 1024) + 1)]
    public void MaxRecordBytes_outside_1_KiB_to_4_MiB_is_refused_at_start_up(int maxRecordBytes)
    {
        using var dir = new TempDirectory();
        ArgumentException error = Assert.Throws<ArgumentException>(() => new FeatureStore(TestStores.Options(dir.Path, o => o.MaxRecordBytes = maxRecordBytes)));
        Assert.Contains($"MaxRecordBytes must be between 1024 and 4194304 bytes (was {maxRecordBytes})", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_oversized_line_in_the_file_the_store_writes_is_skipped_and_the_lines_after_it_reach_the_sink()
    {
        // The newest file is the store's committed file: read up to the committed offset, not to the end.
        using var dir = new TempDirectory();
        string file = WriteFile(dir, 1_769_000_000_000, "a-1", "a-2");
        var sink = new RecordingSink("local");
        await using FeatureStore store = await TestStores.StartedAsync(dir.Path, [sink]);

        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["a-1", "a-2"], sink.Table().Keys.Order(StringComparer.Ordinal));
        var reader = new FeatureLogReader(dir.Path);
        Assert.Equal(2, (await reader.ReadRecordsAsync().ToListAsync()).Count);
        Assert.Equal(1, reader.SkippedLines);
        Assert.True(new FileInfo(file).Length > LineLimit);
    }

    [Fact]
    public async Task An_oversized_line_in_an_older_file_is_skipped_and_shipping_goes_on_into_the_next_file()
    {
        using var dir = new TempDirectory();
        // The file with the oversized line is followed by a newer one, so it is read to its end, not to a committed offset.
        WriteFile(dir, 1_769_000_000_000, "a-1", "a-2");
        File.WriteAllText(dir.File("features_2026-01-21_1769000000001.jsonl"), TestRecords.Line(TestRecords.Decision("b-1")) + "\n");
        var sink = new RecordingSink("local");
        await using FeatureStore store = await TestStores.StartedAsync(dir.Path, [sink]);
        store.Record(TestRecords.Decision("b-2"));

        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Assert.Equal(["a-1", "a-2", "b-1", "b-2"], sink.Table().Keys.Order(StringComparer.Ordinal));
        Assert.Equal(3, dir.FeatureFiles().Length);
    }

    /// <summary>A feature file of another writer: a record, a line over the line limit, a record.</summary>
    private static string WriteFile(TempDirectory dir, long key, string before, string after)
    {
        string path = dir.File($"features_{DateTimeOffset.FromUnixTimeMilliseconds(key):yyyy-MM-dd}_{key}.jsonl");
        using var stream = new FileStream(path, FileMode.CreateNew);
        stream.Write(Encoding.UTF8.GetBytes(TestRecords.Line(TestRecords.Decision(before)) + "\n"));
        stream.Write(Encoding.UTF8.GetBytes("{\"id\":\"huge\",\"timestamp\":1769100000000,\"asset\":\"BTC\",\"decisionDrivers\":[\""));
        stream.Write(Encoding.ASCII.GetBytes(new string('x', LineLimit + 10)));
        stream.Write(Encoding.UTF8.GetBytes("\"]}\n" + TestRecords.Line(TestRecords.Decision(after)) + "\n"));
        return path;
    }
}
