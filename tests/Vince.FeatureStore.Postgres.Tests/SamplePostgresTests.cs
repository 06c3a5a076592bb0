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
        (int exitCode, string stdout, string stderr) = await SampleProcess.RunAsync(
            ["--trades", "60", "--data-dir", dir.Path],
            new Dictionary<string, string?> { ["POSTGRES_URL"] = _fixture.Cluster.Url(database) });
        Assert.True(exitCode == 0, $"exit {exitCode}: {stderr}");
        Assert.DoesNotContain(PostgresCluster.Password, stdout + stderr, StringComparison.Ordinal);

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
}
