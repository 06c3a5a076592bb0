using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Tests.Pipeline;

/// <summary>
/// A sink cursor edited or damaged between runs: recording goes on, a warning names the cursor file, and every
/// record of the log reaches the sink (re-shipping from a safe line start; sinks upsert by id).
/// </summary>
public sealed class DamagedCursorTests : IDisposable
{
    private const string Sink = "pg";
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    private string CursorFile => Path.Combine(_dir.Path, ".cursors", Sink + ".json");

    public static TheoryData<string> Damages() => ["empty", "garbage", "not an object", "negative offset", "past the end", "inside a line", "foreign file"];

    [Theory]
    [MemberData(nameof(Damages))]
    public async Task A_damaged_cursor_is_reported_and_the_sink_still_gets_every_record(string damage)
    {
        List<string> ids = await ShipHalfAsync();
        string logFile = Assert.Single(Directory.GetFiles(_dir.Path, "features_*.jsonl"));
        long length = new FileInfo(logFile).Length;
        string name = Path.GetFileName(logFile);
        File.WriteAllText(CursorFile, damage switch
        {
            "empty" => "",
            "garbage" => "{garbage",
            "not an object" => "[1,2]",
            "negative offset" => $$"""{"file":"{{name}}","offset":-5}""",
            "past the end" => $$"""{"file":"{{name}}","offset":{{length + 1000}}}""",
            "inside a line" => $$"""{"file":"{{name}}","offset":{{length / 2 + 1}}}""",
            "foreign file" => """{"file":"../../etc/passwd","offset":0}""",
            _ => throw new ArgumentOutOfRangeException(nameof(damage)),
        });

        var logs = new FakeLogger();
        var sink = new RecordingSink(Sink);
        await using (var store = new FeatureStore(TestStores.Options(_dir.Path), [sink], new SingleLoggerFactory(logs)))
        {
            await store.StartAsync();
            string late = store.RecordDecision("SOL", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 999));
            ids.Add(late);
            await store.WaitForSinksAsync(Guard());
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), sink.Table().Keys.Order(StringComparer.Ordinal));
        FakeLogRecord warning = Assert.Single(logs.Collector.GetSnapshot(), r => r.Id.Id == 1017);
        Assert.Contains(CursorFile, warning.Message, StringComparison.Ordinal);
        Assert.Contains("nothing is skipped", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_sound_cursor_resumes_where_it_was_without_a_warning()
    {
        List<string> ids = await ShipHalfAsync();
        var logs = new FakeLogger();
        var sink = new RecordingSink(Sink);
        await using (var store = new FeatureStore(TestStores.Options(_dir.Path), [sink], new SingleLoggerFactory(logs)))
        {
            await store.StartAsync();
            await store.WaitForSinksAsync();
        }

        Assert.Empty(sink.Received);
        Assert.DoesNotContain(logs.Collector.GetSnapshot(), r => r.Id.Id == 1017);
        Assert.Equal(20, ids.Count);
    }

    [Fact]
    public async Task The_cursor_directory_deleted_while_running_is_made_again_at_the_next_save()
    {
        var sink = new RecordingSink(Sink);
        await using var store = await TestStores.StartedAsync(_dir.Path, [sink]);
        store.RecordDecision("BTC");
        await store.WaitForSinksAsync();
        Directory.Delete(Path.Combine(_dir.Path, ".cursors"), recursive: true);

        store.RecordDecision("ETH");
        await store.WaitForSinksAsync(Guard());

        Assert.True(File.Exists(CursorFile), "the cursor was not saved again after its directory was deleted");
        Assert.Equal(0, store.GetSinkStatuses().Single().ConsecutiveFailures);
    }

    /// <summary>A bound so that a regression fails the test instead of hanging the run.</summary>
    private static CancellationToken Guard() => new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    /// <summary>Writes 20 decisions in one run with the sink shipping all of them, so the cursor sits at the end.</summary>
    private async Task<List<string>> ShipHalfAsync()
    {
        var ids = new List<string>();
        var sink = new RecordingSink(Sink);
        await using var store = await TestStores.StartedAsync(_dir.Path, [sink]);
        for (int i = 0; i < 20; i++)
        {
            ids.Add(store.RecordDecision(i % 2 == 0 ? "BTC" : "ETH", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i)));
        }

        await store.WaitForSinksAsync();
        return ids;
    }
}
