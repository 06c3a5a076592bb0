using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;
using Vince.FeatureStore.Pipeline;
using Vince.FeatureStore.Postgres;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>deadletter list</c> and <c>deadletter retry</c> on a dead-letter file the store wrote for real: a CHECK constraint on
/// the real PostgreSQL refuses one record, the store parks it; the tool lists it, a retry while the constraint is still
/// there keeps it (exit 1), a retry after dropping it ships it (exit 0) and empties the file.
/// </summary>
public sealed class DeadLetterTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [PostgresFact]
    public async Task A_parked_record_is_listed_kept_while_still_refused_and_shipped_once_fixed()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("dlq");
        string cs = fixture.Cluster.ConnectionString(database);
        await Db.ExecuteAsync(cs, PostgresBootstrap.GetSql() + "ALTER TABLE plugin_vince.paper_bot_features ADD CONSTRAINT no_doge CHECK (payload ->> 'asset' <> 'DOGE');");
        using var dir = new TempDirectory();
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs }))
        {
            await using FeatureStore store = await TestStores.StartedAsync(dir.Path, [sink]);
            store.Record(TestRecords.Decision("good-1"));
            store.Record(TestRecords.Decision("refused-1", asset: "DOGE"));
            store.Record(TestRecords.Decision("good-2"));
            await store.WaitForSinksAsync();
            Assert.Equal(1, store.GetSinkStatuses()[0].DeadLetters);
        }

        var env = new Dictionary<string, string> { ["POSTGRES_URL"] = fixture.Cluster.Url(database) };
        CliResult list = (await Tool.RunAsync(env, "deadletter", "list", "--sink", "postgres", "--data", dir.Path)).Expect(0);
        Assert.Contains("parked: 1", list.Stdout);
        Assert.Contains("refused-1", list.Stdout);
        Assert.Contains("no_doge", list.Stdout);
        Assert.DoesNotContain("good-1", list.Stdout);

        CliResult json = (await Tool.RunAsync(env, "deadletter", "list", "--sink", "postgres", "--data", dir.Path, "--json")).Expect(0);
        using (JsonDocument document = JsonDocument.Parse(json.Stdout))
        {
            Assert.Equal(1, document.RootElement.GetProperty("parked").GetInt32());
            Assert.Equal("refused-1", document.RootElement.GetProperty("records")[0].GetProperty("id").GetString());
        }

        // Still refused: kept, with the new error, exit 1.
        CliResult again = (await Tool.RunAsync(env, "deadletter", "retry", "--sink", "postgres", "--data", dir.Path)).Expect(1);
        Assert.Contains("still parked: 1", again.Stdout);
        Assert.Contains("refused again and stay parked", again.Stderr);
        Assert.True(File.Exists(DeadLetterFile.PathOf(dir.Path, "postgres")));
        Assert.DoesNotContain(PostgresCluster.Password, again.Stdout + again.Stderr);

        await Db.ExecuteAsync(cs, "ALTER TABLE plugin_vince.paper_bot_features DROP CONSTRAINT no_doge");
        CliResult retried = (await Tool.RunAsync(env, "deadletter", "retry", "--sink", "postgres", "--data", dir.Path)).Expect(0);
        Assert.Contains("shipped: 1", retried.Stdout);
        Assert.Contains("still parked: 0", retried.Stdout);
        Assert.False(File.Exists(DeadLetterFile.PathOf(dir.Path, "postgres")));
        Assert.Equal(["good-1", "good-2", "refused-1"], (await Db.RowsAsync(cs)).Keys.Order());

        (await Tool.RunAsync(env, "deadletter", "list", "--sink", "postgres", "--data", dir.Path)).Expect(0);
        CliResult nothing = (await Tool.RunAsync(env, "deadletter", "retry", "--sink", "postgres", "--data", dir.Path)).Expect(0);
        Assert.Contains("nothing parked", nothing.Stdout);
    }

    [Fact]
    public async Task Wrong_command_lines_are_usage_errors()
    {
        using var dir = new TempDirectory();
        CliResult escape = (await Tool.RunAsync("deadletter", "list", "--sink", "../etc", "--data", dir.Path)).Expect(2);
        Assert.Contains("not a sink name", escape.Stderr);
        (await Tool.RunAsync("deadletter", "list", "--data", dir.Path)).Expect(2);

        File.WriteAllText(Path.Combine(Directory.CreateDirectory(Path.Combine(dir.Path, DeadLetterFile.DirectoryName)).FullName, "archive.jsonl"), "{}\n");
        CliResult target = (await Tool.RunAsync("deadletter", "retry", "--sink", "archive", "--data", dir.Path)).Expect(2);
        Assert.Contains("--target is needed", target.Stderr);
        File.WriteAllText(Path.Combine(dir.Path, DeadLetterFile.DirectoryName, "postgres.jsonl"), "{}\n");
        CliResult noUrl = (await Tool.RunAsync("deadletter", "retry", "--sink", "postgres", "--data", dir.Path)).Expect(2);
        Assert.Contains("POSTGRES_URL", noUrl.Stderr);
    }
}
