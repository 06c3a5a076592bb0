using Npgsql;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

[Collection(SharedPostgres.Name)]
public sealed class PostgresMigrationTests(PostgresFixture fixture)
{
    private const string IndexesSql = "SELECT string_agg(indexname, ',' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'plugin_vince' AND tablename = 'paper_bot_features'";

    [PostgresFact]
    public async Task Migration_creates_schema_table_and_indexes_and_running_it_again_changes_nothing()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("mig"));
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs }))
        {
            await sink.InitializeAsync(CancellationToken.None);
            await sink.InitializeAsync(CancellationToken.None);
            await sink.WriteAsync([Complete("a")], CancellationToken.None);
        }

        Assert.Equal("paper_bot_features_complete_asset_idx,paper_bot_features_created_at_idx,paper_bot_features_pkey", await Db.ScalarAsync<string>(cs, IndexesSql));
        Assert.Equal("id text NOT NULL,created_at timestamp with time zone NOT NULL,payload jsonb NOT NULL", await Db.ScalarAsync<string>(cs, """
            SELECT string_agg(column_name || ' ' || data_type || CASE WHEN is_nullable = 'NO' THEN ' NOT NULL' ELSE '' END, ',' ORDER BY ordinal_position)
            FROM information_schema.columns WHERE table_schema = 'plugin_vince' AND table_name = 'paper_bot_features'
            """));

        // A new process starting later: the table and its row are kept.
        await using (var again = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs }))
        {
            await again.InitializeAsync(CancellationToken.None);
        }

        Assert.Single(await Db.RowsAsync(cs));
        Assert.Equal(3L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_indexes WHERE schemaname = 'plugin_vince'"));
    }

    [PostgresFact]
    public async Task The_bootstrap_script_creates_exactly_what_the_migration_creates_and_can_run_again()
    {
        const string Shape = """
            SELECT string_agg(d, E'\n' ORDER BY d) FROM (
              SELECT column_name || ' ' || data_type || ' ' || is_nullable AS d FROM information_schema.columns
               WHERE table_schema = 'bot' AND table_name = 'trades'
              UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = 'bot' AND tablename = 'trades') shape
            """;
        string migrated = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("mig"));
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = migrated, Schema = "bot", Table = "trades" }))
        {
            await sink.InitializeAsync(CancellationToken.None);
        }

        string scripted = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("mig"));
        string sql = PostgresBootstrap.GetSql("bot", "trades");
        await Db.ExecuteAsync(scripted, sql);
        await Db.ExecuteAsync(scripted, sql);

        string expected = await Db.ScalarAsync<string>(migrated, Shape);
        Assert.Contains("CREATE INDEX trades_complete_asset_idx ON bot.trades USING btree (((payload ->> 'asset'::text)), created_at) WHERE", expected);
        Assert.Equal(expected, await Db.ScalarAsync<string>(scripted, Shape));
    }

    [Fact]
    public void The_bootstrap_script_refuses_names_that_are_not_lower_case_identifiers()
    {
        Assert.Contains("CREATE SCHEMA IF NOT EXISTS \"plugin_vince\";", PostgresBootstrap.GetSql());
        Assert.Throws<ArgumentException>(() => PostgresBootstrap.GetSql("Bot", "trades"));
        Assert.Throws<ArgumentException>(() => PostgresBootstrap.GetSql("bot", "trades; drop table x"));
    }

    [PostgresFact]
    public async Task Concurrent_start_ups_create_the_table_once_without_errors()
    {
        // Without the advisory lock, CREATE SCHEMA/TABLE IF NOT EXISTS race (23505 on pg_namespace): a few rounds catch it.
        for (int round = 0; round < 3; round++)
        {
            string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("conc"));
            var sinks = Enumerable.Range(0, 8).Select(_ => new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs })).ToList();
            try
            {
                var start = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                Task[] startUps = sinks.Select(async s =>
                {
                    await start.Task;
                    await s.InitializeAsync(CancellationToken.None);
                }).ToArray();
                start.SetResult();
                await Task.WhenAll(startUps);
                await Task.WhenAll(sinks.Select((s, i) => s.WriteAsync([Decision("id-" + i)], CancellationToken.None)));
            }
            finally
            {
                foreach (PostgresFeatureSink sink in sinks)
                {
                    await sink.DisposeAsync();
                }
            }

            Assert.Equal(8, (await Db.RowsAsync(cs)).Count);
            Assert.Equal("paper_bot_features_complete_asset_idx,paper_bot_features_created_at_idx,paper_bot_features_pkey", await Db.ScalarAsync<string>(cs, IndexesSql));
        }
    }

    [PostgresFact]
    public async Task A_table_created_by_the_bot_is_used_as_it_is()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("bot"));
        await Db.ExecuteAsync(cs, """
            CREATE SCHEMA plugin_vince;
            CREATE TABLE plugin_vince.paper_bot_features (id text PRIMARY KEY, created_at timestamptz NOT NULL, payload jsonb NOT NULL, source text DEFAULT 'bot');
            INSERT INTO plugin_vince.paper_bot_features (id, created_at, payload) VALUES ('old', now(), '{"id":"old","timestamp":1,"asset":"BTC"}');
            """);

        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs });
        await sink.InitializeAsync(CancellationToken.None);
        await sink.WriteAsync([Complete("old"), Decision("new")], CancellationToken.None);

        // No index added, no column touched, the bot's extra column kept on update.
        Assert.Equal("paper_bot_features_pkey", await Db.ScalarAsync<string>(cs, IndexesSql));
        Assert.Equal("bot", await Db.ScalarAsync<string>(cs, "SELECT source FROM plugin_vince.paper_bot_features WHERE id = 'old'"));
        Db.AssertPayload(Complete("old"), (await Db.RowsAsync(cs))["old"].Payload);
    }

    [PostgresFact]
    public async Task An_existing_table_of_another_shape_is_reported_and_left_alone()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("shape"));
        await Db.ExecuteAsync(cs, "CREATE SCHEMA plugin_vince; CREATE TABLE plugin_vince.paper_bot_features (id text PRIMARY KEY, data json)");

        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs });
        var error = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, error.Kind);
        Assert.Contains("column created_at is missing", error.Message);
        Assert.Contains("column payload is missing", error.Message);
        Assert.Contains("data json", error.Message);
        Assert.Equal(2L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM information_schema.columns WHERE table_name = 'paper_bot_features'"));
    }

    [PostgresFact]
    public async Task Without_MigrateOnStart_a_missing_table_is_an_error_and_nothing_is_created()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("nomig"));
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs, MigrateOnStart = false });
        var error = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, error.Kind);
        Assert.Contains("does not exist and MigrateOnStart is off", error.Message);
        Assert.Equal(0L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_namespace WHERE nspname = 'plugin_vince'"));
    }

    [PostgresFact]
    public async Task A_custom_schema_and_table_are_used_and_an_existing_schema_needs_no_create_privilege()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("custom");
        string admin = fixture.Cluster.ConnectionString(database);
        // A user that may create tables in an existing schema but not schemas in the database.
        await Db.ExecuteAsync(admin, $"""
            CREATE ROLE app LOGIN PASSWORD 'app-pw';
            REVOKE CREATE ON DATABASE "{database}" FROM PUBLIC;
            CREATE SCHEMA features AUTHORIZATION app;
            """);
        string app = new NpgsqlConnectionStringBuilder(admin) { Username = "app", Password = "app-pw" }.ConnectionString;

        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = app, Schema = "features", Table = "trades_v2" });
        await sink.InitializeAsync(CancellationToken.None);
        await sink.WriteAsync([Decision("a")], CancellationToken.None);
        Assert.Single(await Db.RowsAsync(admin, "features.trades_v2"));
        Assert.Equal("features.trades_v2", sink.TableName);
    }
}
