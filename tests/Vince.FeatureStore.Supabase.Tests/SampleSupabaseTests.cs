using System.Diagnostics;
using System.Reflection;
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

        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SampleDll());
        foreach (string arg in new[] { "--trades", "60", "--data-dir", dir.Path, "--verbose" })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["SUPABASE_URL"] = h.Server.Url.ToString();
        start.Environment["SUPABASE_SERVICE_ROLE_KEY"] = SupabaseHarness.ServiceKey;
        start.Environment.Remove("POSTGRES_URL");
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        string output = await stdout + await stderr;
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {output}");
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

    private static string SampleDll()
    {
        string configuration = typeof(SampleSupabaseTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
        DirectoryInfo? dir = new(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Vince.FeatureStore.sln")))
        {
            dir = dir.Parent;
        }

        Assert.NotNull(dir);
        string path = Path.Combine(dir!.FullName, "samples", "Vince.PaperBot.Sample", "bin", configuration, "net10.0", "Vince.PaperBot.Sample.dll");
        Assert.True(File.Exists(path), $"Build the solution first: {path} is missing.");
        return path;
    }
}
