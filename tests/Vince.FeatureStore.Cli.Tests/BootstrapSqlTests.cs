using Vince.FeatureStore.Cli.Tests.Support;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary><c>bootstrap-sql</c> prints scripts that a real PostgreSQL runs, twice, into tables the sinks then use.</summary>
public sealed class BootstrapSqlTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    [Fact]
    public async Task The_default_target_prints_the_supabase_bootstrap_script()
    {
        CliResult result = (await Tool.RunAsync("bootstrap-sql")).Expect(0);
        Assert.Equal(SupabaseBootstrap.GetSql().TrimEnd(), result.Stdout.TrimEnd());
        Assert.Contains("vince_paper_bot_features", result.Stdout);
        Assert.Equal("", result.Stderr);
    }

    [PostgresFact]
    public async Task The_supabase_script_for_another_table_runs_twice_on_postgres_and_creates_that_table()
    {
        CliResult result = (await Tool.RunAsync("bootstrap-sql", "--target", "supabase", "--table", "cli_features")).Expect(0);
        Assert.DoesNotContain("vince_paper_bot_features", result.Stdout);
        string connectionString = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("boot"));
        await Db.ExecuteAsync(connectionString, result.Stdout);
        await Db.ExecuteAsync(connectionString, result.Stdout);
        Assert.Equal(0L, await Db.ScalarAsync<long>(connectionString, "SELECT count(*) FROM public.cli_features"));
    }

    [PostgresFact]
    public async Task The_postgres_script_creates_the_table_the_sink_writes_to_without_migrating()
    {
        CliResult result = (await Tool.RunAsync("bootstrap-sql", "--target", "postgres", "--schema", "bot", "--table", "features")).Expect(0);
        string connectionString = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("boot"));
        await Db.ExecuteAsync(connectionString, result.Stdout);
        await Db.ExecuteAsync(connectionString, result.Stdout); // idempotent

        string columns = await Db.ScalarAsync<string>(connectionString,
            "SELECT string_agg(column_name || ' ' || data_type || ' ' || is_nullable, ', ' ORDER BY ordinal_position) FROM information_schema.columns WHERE table_schema = 'bot' AND table_name = 'features'");
        Assert.Equal("id text NO, created_at timestamp with time zone NO, payload jsonb NO", columns);
        string indexes = await Db.ScalarAsync<string>(connectionString,
            "SELECT string_agg(indexname, ', ' ORDER BY indexname) FROM pg_indexes WHERE schemaname = 'bot' AND tablename = 'features'");
        Assert.Equal("features_complete_asset_idx, features_created_at_idx, features_pkey", indexes);

        // The sink, not allowed to create anything, accepts the table and writes to it.
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = connectionString, Schema = "bot", Table = "features", MigrateOnStart = false });
        await sink.InitializeAsync(CancellationToken.None);
        FeatureRecord record = TradeData.Complete(3);
        await sink.WriteAsync([record], CancellationToken.None);
        var rows = await Db.RowsAsync(connectionString, "bot.features");
        Db.AssertPayload(record, Assert.Single(rows).Value.Payload);
    }
}
