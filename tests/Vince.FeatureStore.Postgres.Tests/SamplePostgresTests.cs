using System.Diagnostics;
using System.Reflection;
using Vince.FeatureStore.Postgres.Tests.Support;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>The sample host with POSTGRES_URL set: on exit every record it wrote is in the table.</summary>
[Collection(ProcessEnvironment.Name)]
public sealed class SamplePostgresTests : IClassFixture<PostgresFixture>
{
    private readonly PostgresFixture _fixture;

    public SamplePostgresTests(PostgresFixture fixture) => _fixture = fixture;

    [PostgresFact]
    public async Task The_sample_ships_every_record_it_wrote_to_postgres()
    {
        string database = await _fixture.Cluster.CreateDatabaseAsync("sample");
        using var dir = new TempDirectory();
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.ArgumentList.Add(SampleDll());
        foreach (string arg in new[] { "--trades", "60", "--data-dir", dir.Path })
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["POSTGRES_URL"] = _fixture.Cluster.Url(database);
        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(process.ExitCode == 0, $"exit {process.ExitCode}: {await stderr}");
        Assert.DoesNotContain(PostgresCluster.Password, await stdout + await stderr, StringComparison.Ordinal);

        var expected = new Dictionary<string, FeatureRecord>(StringComparer.Ordinal);
        await foreach (FeatureRecord record in new FeatureLogReader(dir.Path).ReadRecordsAsync())
        {
            expected[record.Id] = record;
        }

        Dictionary<string, (DateTime CreatedAt, string Payload)> rows = await Db.RowsAsync(_fixture.Cluster.ConnectionString(database));
        Assert.True(expected.Count > 60, $"only {expected.Count} records");
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), rows.Keys.Order(StringComparer.Ordinal));
        foreach ((string id, FeatureRecord record) in expected)
        {
            Db.AssertPayload(record, rows[id].Payload);
            Assert.Equal(Db.Utc(record.Timestamp), rows[id].CreatedAt);
        }
    }

    private static string SampleDll()
    {
        string configuration = typeof(SamplePostgresTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()!.Configuration;
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
