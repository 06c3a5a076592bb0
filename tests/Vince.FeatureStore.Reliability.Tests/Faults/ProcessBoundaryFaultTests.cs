using Vince.FeatureStore.Testing;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// The store across process boundaries, with real child processes and real signals: a default generic host whose
/// sink is behind stops cleanly on SIGTERM and Ctrl+C, and a second process on the same data directory is refused.
/// </summary>
public sealed class ProcessBoundaryFaultTests
{
    [Theory]
    [InlineData("TERM")]
    [InlineData("INT")]
    public async Task A_default_host_whose_sink_is_behind_exits_0_within_the_hosts_shutdown_time(string signal)
    {
        // The host gives its services 3 s; the store keeps its default ShutdownTimeout (30 s), longer than that.
        using var dir = new TempDirectory();
        using CrashWriterProcess bot = CrashWriterProcess.Start(dir.Path, ["--hosted", "--records", "200", "--host-timeout", "3"]);
        await bot.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));

        bot.Signal(signal);
        (int exitCode, string output) = await bot.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, $"exit code {exitCode}:\n{output}");
        Assert.Contains("STOPPED", output, StringComparison.Ordinal);
        Assert.Contains("sink unreachable is", output, StringComparison.Ordinal);
        Assert.Contains("behind the log and catches up from its cursor on the next start", output, StringComparison.Ordinal);
        Assert.DoesNotContain("TaskCanceledException", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);

        // Nothing was lost: every decision is in the log for the sink to ship on the next start.
        Assert.Equal(200, await new FeatureLogReader(dir.Path).ReadRecordsAsync().CountAsync());
    }

    [Fact]
    public async Task A_second_process_on_a_data_directory_in_use_is_refused_naming_the_owner()
    {
        using var dir = new TempDirectory();
        using CrashWriterProcess owner = CrashWriterProcess.Start(dir.Path, ["--hosted", "--records", "1", "--host-timeout", "3"]);
        await owner.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));

        FeatureStoreException refused = Assert.Throws<FeatureStoreException>(() => new FeatureStore(TestStores.Options(dir.Path)));

        Assert.Contains($"is in use by process {owner.ProcessId} on host {Environment.MachineName} since ", refused.Message, StringComparison.Ordinal);
        owner.Signal("KILL");
        await owner.WaitForExitAsync(TimeSpan.FromSeconds(30));

        // A lock left by a killed process is free again.
        await using var next = new FeatureStore(TestStores.Options(dir.Path));
        await next.StartAsync();
        next.RecordDecision("ETH");
        await next.FlushAsync();
    }
}
