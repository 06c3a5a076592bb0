using System.Diagnostics;
using Vince.FeatureStore.Jsonl;

namespace Vince.FeatureStore.Tests.Jsonl;

/// <summary>One writing process per data directory: an OS lock that names its owner and dies with it.</summary>
public sealed class DataDirectoryLockTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public void A_second_owner_is_refused_with_the_first_owners_process_host_and_start_time()
    {
        var started = new DateTimeOffset(2026, 12, 1, 9, 30, 0, TimeSpan.Zero);
        using DataDirectoryLock first = DataDirectoryLock.Acquire(_dir.Path, started);

        FeatureStoreException error = Assert.Throws<FeatureStoreException>(() => DataDirectoryLock.Acquire(_dir.Path, started.AddMinutes(5)));

        Assert.Contains($"is in use by process {Environment.ProcessId} on host {Environment.MachineName} since 2026-12-01T09:30:00", error.Message, StringComparison.Ordinal);
        Assert.Contains(_dir.Path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_directory_is_free_again_once_the_owner_lets_go()
    {
        DataDirectoryLock first = DataDirectoryLock.Acquire(_dir.Path, DateTimeOffset.UtcNow);
        first.Dispose();

        using DataDirectoryLock second = DataDirectoryLock.Acquire(_dir.Path, DateTimeOffset.UtcNow);
        Assert.True(File.Exists(Path.Combine(_dir.Path, DataDirectoryLock.FileName)));
    }

    [Fact]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task A_lock_held_by_another_process_refuses_and_is_free_once_that_process_is_killed()
    {
        // util-linux flock(1) holds the same kind of lock as another store would: flock(LOCK_EX) on the lock file.
        string lockFile = Path.Combine(_dir.Path, DataDirectoryLock.FileName);
        using var holder = Process.Start(new ProcessStartInfo("flock", ["--exclusive", lockFile, "sleep", "60"]) { UseShellExecute = false })!;
        await WaitUntilLockedAsync(lockFile);

        var error = Assert.Throws<FeatureStoreException>(() => DataDirectoryLock.Acquire(_dir.Path, DateTimeOffset.UtcNow));
        Assert.Contains("is in use by", error.Message, StringComparison.Ordinal);

        holder.Kill(entireProcessTree: true); // SIGKILL: no clean-up runs, the kernel drops the lock
        await holder.WaitForExitAsync();
        using DataDirectoryLock mine = await AcquireOnceReapedAsync();
    }

    /// <summary>flock(1)'s child (sleep) shares the locked file and dies a moment after its parent: wait for that.</summary>
    private async Task<DataDirectoryLock> AcquireOnceReapedAsync()
    {
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return DataDirectoryLock.Acquire(_dir.Path, DateTimeOffset.UtcNow);
            }
            catch (FeatureStoreException) when (attempt < 250)
            {
                await Task.Delay(20);
            }
        }
    }

    private static async Task WaitUntilLockedAsync(string lockFile)
    {
        for (int i = 0; i < 500; i++)
        {
            using var probe = Process.Start(new ProcessStartInfo("flock", ["--nonblock", "--shared", lockFile, "true"]) { UseShellExecute = false })!;
            await probe.WaitForExitAsync();
            if (probe.ExitCode != 0)
            {
                return;
            }

            await Task.Delay(20);
        }

        Assert.Fail("the flock(1) child never took the lock");
    }
}
