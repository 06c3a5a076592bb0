using Vince.FeatureStore.Supabase.Tests.Support;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// The sample host with the Supabase settings in its environment: on exit every record it wrote has reached
/// the endpoint, although the endpoint rate-limited and failed along the way.
/// </summary>
public sealed class SampleSupabaseTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [PostgresFact]
    public async Task The_sample_ships_every_record_to_supabase_through_rate_limits_and_failures()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "1"));
        h.Server.Faults.Enqueue(Fault.Http(503));
        h.Server.Faults.Enqueue(Fault.Drop());
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "0"));
        using var dir = new TempDirectory();

        (int exitCode, string stdout, string stderr) = await SampleProcess.RunAsync(
            ["--trades", "60", "--data-dir", dir.Path, "--verbose"],
            new Dictionary<string, string?>
            {
                ["SUPABASE_URL"] = h.Server.Url.ToString(),
                ["SUPABASE_SERVICE_ROLE_KEY"] = SupabaseHarness.ServiceKey,
                ["POSTGRES_URL"] = null,
            });
        string output = stdout + stderr;
        Assert.True(exitCode == 0, $"exit {exitCode}: {output}");
        Assert.Contains("Supabase dual-write enabled for ML (table: vince_paper_bot_features)", output, StringComparison.Ordinal);
        Assert.DoesNotContain(SupabaseHarness.ServiceKey, output, StringComparison.Ordinal);

        var expected = new Dictionary<string, FeatureRecord>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in new FeatureLogReader(dir.Path).ReadRecordsAsync())
        {
            expected[record.Id] = record;
        }

        var rows = await h.RowsAsync();
        Assert.True(expected.Count > 60, $"only {expected.Count} records");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach ((string id, FeatureRecord record) in expected)
        {
            Db.AssertPayload(record, rows[id].Payload);
        }

        Assert.Empty(h.Server.Faults);
        Assert.Contains(h.Server.Requests, r => r.Status == 429);
    }

    [PostgresFact]
    public async Task At_its_default_verbosity_the_sample_shows_the_bots_start_up_line_and_the_sinks_it_ships_to()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();

        (int exitCode, string stdout, string stderr) = await SampleProcess.RunAsync(
            ["--trades", "5", "--data-dir", dir.Path],
            new Dictionary<string, string?>
            {
                ["SUPABASE_URL"] = h.Server.Url.ToString(),
                ["SUPABASE_SERVICE_ROLE_KEY"] = SupabaseHarness.ServiceKey,
                ["POSTGRES_URL"] = null,
            });

        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}");
        Assert.Contains("[VinceFeatureStore] Supabase dual-write enabled for ML (table: vince_paper_bot_features)", stderr, StringComparison.Ordinal);
        Assert.Contains($"Recording to the JSONL log in {dir.Path}; shipping to supabase (public.vince_paper_bot_features at {h.Server.Url})", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(SupabaseHarness.ServiceKey, stdout + stderr, StringComparison.Ordinal);
    }
}
