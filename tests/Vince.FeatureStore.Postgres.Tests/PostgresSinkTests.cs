using System.Text.Json;
using Npgsql;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

[Collection(SharedPostgres.Name)]
public sealed class PostgresSinkTests(PostgresFixture fixture)
{
    private async Task<(PostgresFeatureSink Sink, string ConnectionString)> NewSinkAsync(PostgresWriteMode mode)
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("sink");
        string cs = fixture.Cluster.ConnectionString(database);
        var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = cs, WriteMode = mode });
        await sink.InitializeAsync(CancellationToken.None);
        return (sink, cs);
    }

    [PostgresFact]
    public async Task Auto_mode_uses_copy_on_PostgreSQL()
    {
        var (sink, _) = await NewSinkAsync(PostgresWriteMode.Auto);
        await using (sink)
        {
            Assert.Equal(PostgresWriteMode.Copy, sink.EffectiveWriteMode);
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task Upserts_new_ids_and_updates_existing_ones(PostgresWriteMode mode)
    {
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            FeatureRecord a = Decision("a", BaseTime + 1), b = Decision("b", BaseTime + 2, "ETH");
            await sink.WriteAsync([a, b], CancellationToken.None);

            FeatureRecord aDone = Complete("a", BaseTime + 1), c = Decision("c", BaseTime + 3, "SOL");
            await sink.WriteAsync([aDone, c], CancellationToken.None);

            var rows = await Db.RowsAsync(cs);
            Assert.Equal(["a", "b", "c"], rows.Keys.Order(StringComparer.Ordinal));
            Db.AssertPayload(aDone, rows["a"].Payload);
            Db.AssertPayload(b, rows["b"].Payload);
            Db.AssertPayload(c, rows["c"].Payload);
            Assert.Equal(Db.Utc(BaseTime + 1), rows["a"].CreatedAt.ToUniversalTime());
            Assert.Equal(Db.Utc(BaseTime + 3), rows["c"].CreatedAt.ToUniversalTime());
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task A_batch_with_several_versions_of_an_id_keeps_the_last(PostgresWriteMode mode)
    {
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            FeatureRecord decision = Decision("x");
            FeatureRecord executed = decision with { Execution = Execution() };
            FeatureRecord complete = Complete("x");
            await sink.WriteAsync([decision, Decision("y"), executed, complete], CancellationToken.None);

            var rows = await Db.RowsAsync(cs);
            Assert.Equal(2, rows.Count);
            Db.AssertPayload(complete, rows["x"].Payload);

            // The same batch again (a retry after a lost acknowledgement) changes nothing.
            await sink.WriteAsync([decision, Decision("y"), executed, complete], CancellationToken.None);
            rows = await Db.RowsAsync(cs);
            Assert.Equal(2, rows.Count);
            Db.AssertPayload(complete, rows["x"].Payload);
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task Unicode_and_sql_metacharacters_are_stored_verbatim(PostgresWriteMode mode)
    {
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            const string nasty = "x'); DROP TABLE plugin_vince.paper_bot_features; -- \"q\" \\ $1 $$ %s ? :p @a ;";
            FeatureRecord record = Decision("id-'\";--ü", BaseTime, "BTC'; DROP TABLE t;--") with
            {
                DecisionDrivers = [nasty, "日本語 🚀 émoji ∑ \u200b zero-width", "tab\tnew\nline\r", "\u00a0nbsp"],
                Signal = new SignalFeatures { Direction = "long", StrategyName = "Ω-strategy «quotes» 'single'", Sources = ["CoinGlass\"OI", "Ж"] },
            };
            await sink.WriteAsync([record], CancellationToken.None);

            var rows = await Db.RowsAsync(cs);
            Assert.Single(rows);
            Db.AssertPayload(record, rows["id-'\";--ü"].Payload);
            Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM plugin_vince.paper_bot_features"));

            await using var reader = sink.CreateReader();
            Assert.Equal(1, await reader.CountAsync(FeatureQuery.All with { Asset = "BTC'; DROP TABLE t;--" }));
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task A_NUL_character_is_stored_as_the_replacement_character(PostgresWriteMode mode)
    {
        // PostgreSQL text and jsonb cannot hold U+0000; refusing the record would block the sink forever.
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            FeatureRecord record = Decision("nul") with { DecisionDrivers = ["before\0after", "\\u0000 literal"] };
            await sink.WriteAsync([record], CancellationToken.None);
            var rows = await Db.RowsAsync(cs);
            Db.AssertPayload(record with { DecisionDrivers = ["before\uFFFDafter", "\\u0000 literal"] }, rows["nul"].Payload);
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task A_large_payload_round_trips(PostgresWriteMode mode)
    {
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            string chunk = new('z', 1000);
            FeatureRecord big = Complete("big") with { DecisionDrivers = Enumerable.Range(0, 8_000).Select(i => i + chunk).ToArray() };
            await sink.WriteAsync([Decision("small"), big], CancellationToken.None);

            var rows = await Db.RowsAsync(cs);
            Assert.True(rows["big"].Payload.Length > 8_000_000);
            Db.AssertPayload(big, rows["big"].Payload);

            await using var reader = sink.CreateReader();
            FeatureRecord read = await reader.ReadRecordsAsync(FeatureQuery.Complete).SingleAsync();
            Assert.Equal(Line(big), Line(read));
        }
    }

    [PostgresTheory]
    [InlineData(PostgresWriteMode.Copy)]
    [InlineData(PostgresWriteMode.Unnest)]
    public async Task A_row_count_mismatch_fails_the_batch_and_rolls_it_back(PostgresWriteMode mode)
    {
        var (sink, cs) = await NewSinkAsync(mode);
        await using (sink)
        {
            // A trigger that silently drops some rows: the affected count no longer matches the batch.
            await Db.ExecuteAsync(cs, """
                CREATE FUNCTION drop_skips() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN IF NEW.id LIKE 'skip%' THEN RETURN NULL; END IF; RETURN NEW; END $$;
                CREATE TRIGGER drop_skips BEFORE INSERT ON plugin_vince.paper_bot_features FOR EACH ROW EXECUTE FUNCTION drop_skips();
                """);

            var error = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.WriteAsync([Decision("keep"), Decision("skip-me")], CancellationToken.None));
            Assert.Equal(FeatureSinkFailureKind.RecordRejected, error.Kind); // the shipper bisects and parks the dropped row
            Assert.Contains("affected 1 row(s)", error.Message);
            Assert.Contains("rolled back", error.Message);
            Assert.Empty(await Db.RowsAsync(cs));
        }
    }

    [PostgresFact]
    public async Task Wrong_credentials_give_a_clear_error_without_the_password()
    {
        const string wrong = "Wr0ng-Secret!42";
        string database = await fixture.Cluster.CreateDatabaseAsync("auth");
        await using var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = fixture.Cluster.Url(database, password: wrong) });

        var error = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, error.Kind);
        Assert.Contains("Check the user name and password", error.Advice);
        Assert.Contains("could not log in to PostgreSQL at postgres@127.0.0.1:", error.Message);
        Assert.Contains("password authentication failed", error.Message);
        Assert.Contains("28P01", error.Message);
        string everything = error.ToString();
        Assert.DoesNotContain(wrong, everything);
        Assert.DoesNotContain(PostgresCluster.Password, everything);
        Assert.IsType<PostgresException>(error.InnerException);

        // Writes fail the same way (the pipeline blocks the sink and re-probes it).
        var writeError = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.WriteAsync([Decision("a")], CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, writeError.Kind);
        Assert.DoesNotContain(wrong, writeError.ToString());
    }

    [PostgresFact]
    public async Task An_unknown_database_and_an_unreachable_server_are_named()
    {
        await using var missingDb = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = fixture.Cluster.ConnectionString("no_such_db") });
        var error = await Assert.ThrowsAsync<FeatureSinkException>(() => missingDb.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, error.Kind);
        Assert.Contains("does not exist", error.Message);
        Assert.DoesNotContain(PostgresCluster.Password, error.ToString());

        int closedPort = ServerProcess.FreeLoopbackPort();
        await using var unreachable = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = $"Host=127.0.0.1;Port={closedPort};Username=u;Password={PostgresCluster.Password.Replace(";", "", StringComparison.Ordinal)};Timeout=3" });
        error = await Assert.ThrowsAsync<FeatureSinkException>(() => unreachable.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Transient, error.Kind);
        Assert.Contains($"could not reach PostgreSQL at u@127.0.0.1:{closedPort}", error.Message);
    }

    [PostgresFact]
    public async Task A_data_source_passed_in_is_not_disposed_by_the_sink()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("ds");
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(fixture.Cluster.ConnectionString(database));
        await using (var sink = new PostgresFeatureSink(dataSource))
        {
            await sink.InitializeAsync(CancellationToken.None);
            await sink.WriteAsync([Decision("a")], CancellationToken.None);
        }

        await using NpgsqlConnection connection = await dataSource.OpenConnectionAsync();
        Assert.Equal(1L, await new NpgsqlCommand("SELECT count(*) FROM plugin_vince.paper_bot_features", connection).ExecuteScalarAsync());
    }
}
