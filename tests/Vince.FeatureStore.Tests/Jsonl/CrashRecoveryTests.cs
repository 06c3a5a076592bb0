using Vince.FeatureStore;
using Vince.FeatureStore.Tests.Support;

namespace Vince.FeatureStore.Tests.Jsonl;

/// <summary>
/// Kills a real writer process with SIGKILL while it is writing and checks that every record it had
/// acknowledged (flushed and fsynced) is read back, with at most one torn line skipped.
/// </summary>
public sealed class CrashRecoveryTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public async Task Acknowledged_records_survive_a_SIGKILL_mid_write(int run)
    {
        using var dir = new TempDirectory();
        long acknowledged = await RunAndKillAsync(dir.Path, killAfterAcks: 4 + (run * 3));

        var reader = new FeatureLogReader(dir.Path);
        var ids = new HashSet<string>();
        await foreach (FeatureRecord record in reader.ReadVersionsAsync())
        {
            Assert.True(ids.Add(record.Id), $"{record.Id} read twice");
        }

        Assert.True(acknowledged >= 50, $"the writer acknowledged only {acknowledged} records");
        for (long n = 1; n <= acknowledged; n++)
        {
            Assert.Contains($"crash-{n}", ids);
        }

        Assert.InRange(reader.SkippedLines, 0, 1);

        // A store restarted on the same directory ships all of it to a new sink, torn line skipped.
        var sink = new RecordingSink("after-crash");
        await using (FeatureStore store = await TestStores.StartedAsync(dir.Path, [sink]))
        {
            await store.WaitForSinksAsync();
        }

        Assert.Equal(ids.Order(StringComparer.Ordinal), sink.Received.Select(r => r.Id).Order(StringComparer.Ordinal));
    }

    private static async Task<long> RunAndKillAsync(string directory, int killAfterAcks)
    {
        using CrashWriterProcess writer = CrashWriterProcess.Start(directory);
        return await writer.KillAfterAcksAsync(killAfterAcks);
    }
}
