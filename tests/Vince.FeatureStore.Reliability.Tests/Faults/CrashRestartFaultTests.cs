using System.Text.Json;
using Vince.FeatureStore.Reliability.Tests.Support;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// A bot process shipping to PostgreSQL and the Supabase stand-in is SIGKILLed while it writes and flushes, then
/// restarted on the same data directory: it completes trades of the killed run (found in the log) and records more,
/// then stops cleanly. Afterwards each sink holds every id of the log exactly once with its latest version, both
/// cursors are at the end of the log, and at most the one line torn by the kill was skipped.
/// </summary>
[Collection(SharedPostgres.Name)]
public sealed class CrashRestartFaultTests(PostgresFixture fixture)
{
    [PostgresFact]
    public async Task A_SIGKILL_mid_flush_and_a_restart_leave_every_id_once_in_each_sink_with_its_latest_version()
    {
        await using SupabaseHarness supabase = await SupabaseHarness.StartAsync(fixture);
        string connectionString = supabase.ConnectionString;
        // Both sinks write to the same database: plugin_vince.paper_bot_features and public.vince_paper_bot_features.
        string[] sinks = ["--postgres", connectionString, "--supabase", supabase.Server.Url.ToString()];
        var environment = new Dictionary<string, string> { ["SUPABASE_SERVICE_ROLE_KEY"] = SupabaseHarness.ServiceKey };

        using var dir = new TempDirectory();
        long acknowledged;
        using (CrashWriterProcess first = CrashWriterProcess.Start(dir.Path, ["--prefix", "run1", .. sinks], environment))
        {
            acknowledged = await first.KillAfterAcksAsync(12);
        }

        Assert.True(acknowledged >= 600, $"the first run acknowledged only {acknowledged} versions");
        int skippedAfterKill;
        {
            var reader = new FeatureLogReader(dir.Path);
            await foreach (FeatureRecord _ in reader.ReadVersionsAsync())
            {
            }

            skippedAfterKill = (int)reader.SkippedLines;
        }

        Assert.InRange(skippedAfterKill, 0, 1);

        // The restart completes decisions 2, 3, 5, 7, 8, 10, … of the killed run (those it left open) (acknowledged, so in the log) and records 1000 more versions.
        using (CrashWriterProcess second = CrashWriterProcess.Start(dir.Path, ["--prefix", "run2", "--complete", "run1:200", "--exit-after", "1000", .. sinks], environment))
        {
            await second.WaitForCleanExitAsync(TimeSpan.FromSeconds(120));
        }

        Dictionary<string, FeatureRecord> latest = await LogTruth.LatestAsync(dir.Path);
        (Dictionary<string, string> scanned, _, int unreadable) = LogTruth.Scan(dir.Path);
        Assert.Equal(skippedAfterKill, unreadable);
        Assert.Equal(scanned.Keys.Order(StringComparer.Ordinal), latest.Keys.Order(StringComparer.Ordinal));
        for (long n = 1; n <= acknowledged; n++)
        {
            if (n % 5 != 4)
            {
                Assert.True(latest.ContainsKey($"run1-{n}"), $"run1-{n} was acknowledged but is not in the log");
            }
        }

        // Outcomes recorded after the restart for the killed run's decisions are their latest versions.
        for (int n = 1; n <= 200; n++)
        {
            if (n % 5 != 4)
            {
                Assert.NotNull(latest[$"run1-{n}"].Outcome);
            }
        }

        LogTruth.AssertSinkHoldsLatest(latest, await Db.RowsAsync(connectionString), "postgres");
        LogTruth.AssertSinkHoldsLatest(latest, await supabase.RowsAsync(), "supabase");
        LogTruth.AssertCursorCaughtUp(dir.Path, "postgres");
        LogTruth.AssertCursorCaughtUp(dir.Path, SupabaseOptions.DefaultName);
        List<string> unmatched = UnmatchedAcknowledged(dir.Path, acknowledged);
        Assert.True(unmatched.Count == 0, "Outcomes for acknowledged decisions found no earlier version after the restart: " + string.Join(", ", unmatched.Take(10)));
    }

    /// <summary>Ids of updates kept as unmatched that name a decision the killed run had acknowledged (there should be none).</summary>
    private static List<string> UnmatchedAcknowledged(string directory, long acknowledged)
    {
        string path = Path.Combine(directory, "unmatched_updates.jsonl");
        return !File.Exists(path)
            ? []
            : File.ReadAllLines(path)
                .Select(line => JsonDocument.Parse(line).RootElement.GetProperty("id").GetString()!)
                .Where(id => !id.StartsWith("run1-", StringComparison.Ordinal) || long.Parse(id.AsSpan(5), System.Globalization.CultureInfo.InvariantCulture) <= acknowledged)
                .ToList();
    }
}
