using System.Diagnostics;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Reliability.Tests.Support;
using Xunit.Abstractions;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// Faults of the local disk and of the data directory, made for real: a full tmpfs (ENOSPC), a file the store's
/// non-root user may not write (EACCES after chmod), the data directory removed with <c>rm -rf</c>, the active file
/// cut with <c>truncate</c>. Each time no accepted version is lost, the store keeps accepting records, recording
/// resumes on its own when the fault ends, and disposal does not throw.
/// </summary>
[System.Runtime.Versioning.SupportedOSPlatform("linux")]
public sealed class LocalFileFaultTests(ITestOutputHelper output)
{
    private static readonly TimeSpan RecoveryBound = TimeSpan.FromSeconds(5);

    [RootFact]
    public async Task An_unmatched_update_on_a_full_disk_is_retried_and_kept_once_space_returns_while_the_store_keeps_recording()
    {
        using var disk = new TmpfsMount();
        string directory = Path.Combine(disk.Path, "data");
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = new LoggerFactory([logs]);
        var sink = new RecordingSink("local");
        var store = new FeatureStore(TestStores.Options(directory), [sink], loggerFactory);
        await store.StartAsync();
        store.Record(TestRecords.Decision("open-1"));
        await store.FlushAsync();

        disk.Fill();
        store.RecordOutcome("never-recorded", TestRecords.Win()); // no earlier version: goes to unmatched_updates.jsonl
        for (int i = 1; i <= 20; i++)
        {
            store.Record(TestRecords.Decision($"during-{i}")); // still accepted while the write is retried
        }

        await TestStores.EventuallyAsync(() => logs.Logs.Any(l => l.EventId.Id == 1044), "the unmatched update's write failing and being retried");
        var recovery = Stopwatch.StartNew();
        disk.FreeSpace();
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(30));
        TimeSpan recovered = recovery.Elapsed;

        store.RecordOutcome("open-1", TestRecords.Win());
        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));
        await store.DisposeAsync();

        string[] unmatched = File.ReadAllLines(Path.Combine(directory, "unmatched_updates.jsonl")).Where(l => l.Length > 0).ToArray();
        Assert.Equal("never-recorded", JsonDocument.Parse(Assert.Single(unmatched)).RootElement.GetProperty("id").GetString());
        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(directory);
        Assert.Equal(21, latest.Count);
        Assert.NotNull(latest["open-1"].Outcome);
        Assert.Equal(21, sink.Table().Count);
        Assert.NotNull(sink.Table()["open-1"].Outcome);
        Assert.True(recovered <= RecoveryBound, $"recording resumed {recovered} after space returned");
        output.WriteLine($"unmatched/ENOSPC: recorded 22 versions (21 ids + 1 unmatched), log {latest.Count} ids, sink {sink.Table().Count}, unmatched kept {unmatched.Length}, recovered in {recovered.TotalMilliseconds:0} ms");
    }

    [RootFact]
    public async Task An_unmatched_update_the_bots_user_may_not_write_is_retried_until_the_permission_returns_and_the_process_exits_0()
    {
        using var dir = new TempDirectory();
        string directory = dir.File("data");
        Directory.CreateDirectory(directory);
        RootFaults.Run("chown", "nobody", directory);
        string unmatchedFile = Path.Combine(directory, "unmatched_updates.jsonl");
        TimeSpan step = TimeSpan.FromSeconds(30);

        // The store runs as a non-root user, so chmod really denies it (root ignores file modes).
        using CrashWriterProcess bot = CrashWriterProcess.Start(directory, ["--commands"], user: "nobody");
        await bot.WaitForLineAsync("READY", TimeSpan.FromSeconds(60));
        Assert.Equal("OK", await bot.SendAsync("decision open-1", step));
        Assert.Equal("OK", await bot.SendAsync("outcome unknown-1", step));
        Assert.Equal("FLUSHED", await bot.SendAsync("flush", step));

        File.SetUnixFileMode(unmatchedFile, UnixFileMode.UserRead); // EACCES for the store's next write
        Assert.Equal("OK", await bot.SendAsync("outcome unknown-2", step));
        Assert.Equal("OK", await bot.SendAsync("decision during-1", step));
        await Task.Delay(TimeSpan.FromSeconds(1)); // a few failed attempts
        Assert.Equal("OK", await bot.SendAsync("decision during-2", step)); // the store still accepts records

        var recovery = Stopwatch.StartNew();
        File.SetUnixFileMode(unmatchedFile, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        Assert.Equal("FLUSHED", await bot.SendAsync("flush", step));
        TimeSpan recovered = recovery.Elapsed;
        Assert.Equal("OK", await bot.SendAsync("outcome open-1", step));
        Assert.Equal("DONE", await bot.SendAsync("exit", step));
        (int exitCode, string rest) = await bot.WaitForExitAsync(TimeSpan.FromSeconds(30));

        Assert.True(exitCode == 0, $"exit code {exitCode}: {rest}");
        string[] unmatched = File.ReadAllLines(unmatchedFile).Where(l => l.Length > 0).ToArray();
        Assert.Equal(["unknown-1", "unknown-2"], unmatched.Select(l => JsonDocument.Parse(l).RootElement.GetProperty("id").GetString()));
        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(directory);
        Assert.Equal(["during-1", "during-2", "open-1"], latest.Keys.Order(StringComparer.Ordinal));
        Assert.NotNull(latest["open-1"].Outcome);
        Assert.True(recovered <= RecoveryBound, $"recording resumed {recovered} after the permission returned");
        output.WriteLine($"unmatched/EACCES: recorded 6 versions, log {latest.Count} ids, unmatched kept {unmatched.Length}, recovered in {recovered.TotalMilliseconds:0} ms");
    }

    [RootFact]
    public async Task After_the_disk_fills_recording_resumes_within_5_s_of_space_returning_without_duplicate_torn_or_empty_files()
    {
        using var disk = new TmpfsMount();
        string directory = Path.Combine(disk.Path, "data");
        var sink = new RecordingSink("local");
        // The default retry delays (500 ms doubling up to 60 s): the ones a bot runs with.
        var options = new FeatureStoreOptions { DataDirectory = directory, FsyncOnWrite = false, RecordsPerFile = 200 };
        await using var store = new FeatureStore(options, [sink]);
        await store.StartAsync();
        string padding = new('p', 1000);
        int recorded = 0;
        void RecordSome(int count)
        {
            for (int i = 0; i < count; i++)
            {
                recorded++;
                store.Record(TestRecords.Decision($"r-{recorded}") with { DecisionDrivers = [padding] });
            }
        }

        RecordSome(500);
        await store.FlushAsync();
        disk.Fill();
        var full = Stopwatch.StartNew();
        while (full.Elapsed < TimeSpan.FromSeconds(25))
        {
            RecordSome(10); // a bot goes on deciding while the disk is full
            await Task.Delay(500);
        }

        var recovery = Stopwatch.StartNew();
        disk.FreeSpace();
        await store.FlushAsync().WaitAsync(TimeSpan.FromSeconds(90));
        TimeSpan recovered = recovery.Elapsed;
        RecordSome(100);
        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(90));

        (Dictionary<string, string> latest, int lines, int unreadable) = LogTruth.Scan(directory);
        Assert.Equal(0, unreadable);
        Assert.Equal(recorded, lines); // no version twice
        Assert.Equal(recorded, latest.Count);
        string[] files = Directory.GetFiles(directory, "features_*.jsonl");
        Assert.DoesNotContain(files, f => new FileInfo(f).Length == 0);
        Assert.InRange(files.Length, 1, (recorded / 200) + 2);
        Assert.Equal(recorded, sink.Table().Count);
        Assert.True(recovered <= RecoveryBound, $"recording resumed {recovered} after space returned");
        output.WriteLine($"disk full: recorded {recorded}, log {lines} lines ({unreadable} unreadable) in {files.Length} files, sink {sink.Table().Count}, recovered in {recovered.TotalMilliseconds:0} ms");
    }

    [Fact]
    public async Task When_the_data_directory_is_deleted_while_recording_it_is_made_again_and_nothing_recorded_after_is_lost()
    {
        using var dir = new TempDirectory();
        string directory = dir.File("data");
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = new LoggerFactory([logs]);
        var sink = new RecordingSink("local");
        await using var store = new FeatureStore(TestStores.Options(directory), [sink], loggerFactory);
        await store.StartAsync();
        for (int i = 1; i <= 100; i++)
        {
            store.Record(TestRecords.Decision($"before-{i}"));
        }

        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));

        // A recorder goes on while the directory is removed: whatever is recorded once rm has returned must be kept.
        using var stop = new CancellationTokenSource();
        int next = 0;
        int firstAfterRemoval = int.MaxValue;
        Task recorder = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                int n = Interlocked.Increment(ref next);
                store.Record(TestRecords.Decision($"during-{n}"));
                if (n % 20 == 0)
                {
                    await store.FlushAsync();
                }
            }
        });
        await TestStores.EventuallyAsync(() => Volatile.Read(ref next) > 200, "the recorder running");
        RemoveWhileInUse(directory);
        firstAfterRemoval = Volatile.Read(ref next) + 1;
        await TestStores.EventuallyAsync(() => Volatile.Read(ref next) > firstAfterRemoval + 500, "recording after the removal");
        await stop.CancelAsync();
        await recorder;
        int last = Volatile.Read(ref next);
        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));

        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(directory);
        var missing = Enumerable.Range(firstAfterRemoval, last - firstAfterRemoval + 1).Select(n => $"during-{n}").Where(id => !latest.ContainsKey(id)).ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} version(s) recorded after the removal are not in the log, e.g. {string.Join(", ", missing.Take(5))}");
        Dictionary<string, FeatureRecord> shipped = sink.Table();
        Assert.All(latest.Keys, id => Assert.True(shipped.ContainsKey(id), $"{id} is in the log but was not shipped"));
        Assert.Equal(PrivateDirectory.OwnerOnlyMode, File.GetUnixFileMode(directory));
        Assert.Equal(PrivateDirectory.OwnerOnlyMode, File.GetUnixFileMode(Path.Combine(directory, ".cursors")));
        LogTruth.AssertCursorCaughtUp(directory, "local");
        Assert.Contains(logs.Logs, l => l.EventId.Id == 1040 && l.Message.Contains("was deleted", StringComparison.Ordinal));
        output.WriteLine($"rm -rf: recorded {100 + last}, after the removal {last - firstAfterRemoval + 1} (all in the log: {latest.Count} ids), sink {shipped.Count}, lost 0");
    }

    [Fact]
    public async Task When_the_active_file_is_truncated_writing_continues_in_a_new_file_without_a_NUL_block_or_an_unreadable_line()
    {
        using var dir = new TempDirectory();
        var logs = new CapturingLoggerProvider();
        using var loggerFactory = new LoggerFactory([logs]);
        var sink = new RecordingSink("local");
        await using var store = new FeatureStore(TestStores.Options(dir.Path), [sink], loggerFactory);
        await store.StartAsync();
        for (int i = 1; i <= 100; i++)
        {
            store.Record(TestRecords.Decision($"before-{i}"));
        }

        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));
        string active = Assert.Single(dir.FeatureFiles());

        RootFaults.Run("truncate", "-s", "0", dir.File(active));
        for (int i = 1; i <= 100; i++)
        {
            store.Record(TestRecords.Decision($"after-{i}"));
        }

        await store.WaitForSinksAsync().WaitAsync(TimeSpan.FromSeconds(30));

        var reader = new FeatureLogReader(dir.Path);
        var ids = new List<string>();
        await foreach (FeatureRecord record in reader.ReadRecordsAsync())
        {
            ids.Add(record.Id);
        }

        Assert.Equal(0, reader.SkippedLines);
        Assert.Equal(Enumerable.Range(1, 100).Select(i => $"after-{i}").Order(StringComparer.Ordinal), ids.Order(StringComparer.Ordinal));
        Assert.All(dir.FeatureFiles(), f => Assert.DoesNotContain((byte)0, File.ReadAllBytes(dir.File(f))));
        Assert.Equal(200, sink.Table().Count);
        Assert.Contains(logs.Logs, l => l.EventId.Id == 1040 && l.Message.Contains("was truncated to 0 bytes", StringComparison.Ordinal));
        output.WriteLine($"truncate: recorded 200, 100 after the cut, log {ids.Count} ids ({reader.SkippedLines} skipped), sink {sink.Table().Count}, lost after detection 0");
    }

    /// <summary>rm -rf as a user runs it on a directory in use: again when the store made a file in it meanwhile.</summary>
    private static void RemoveWhileInUse(string directory)
    {
        for (int attempt = 1; ; attempt++)
        {
            using Process rm = Process.Start("rm", ["-rf", directory]);
            rm.WaitForExit();
            if (rm.ExitCode == 0 || attempt == 10)
            {
                Assert.Equal(0, rm.ExitCode);
                return;
            }
        }
    }
}
