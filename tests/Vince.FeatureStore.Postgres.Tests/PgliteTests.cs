using Npgsql;
using Vince.FeatureStore.Postgres.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Postgres.Tests;

/// <summary>Against a real PGlite server (pglite-server from @electric-sql/pglite-socket). Each test uses its own schema.</summary>
[Collection(SharedPglite.Name)]
public sealed class PgliteTests(PgliteFixture fixture)
{
    private static readonly System.Runtime.CompilerServices.StrongBox<int> SchemaCount = new();

    private static string NewSchema() => "pgl_" + Interlocked.Increment(ref SchemaCount.Value);

    private PostgresFeatureSink NewSink(string schema, PostgresWriteMode mode = PostgresWriteMode.Auto, NpgsqlDataSource? dataSource = null)
        => dataSource is null
            ? new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = fixture.Server.ConnectionString(), Schema = schema, WriteMode = mode })
            : new PostgresFeatureSink(dataSource, new PostgresSinkOptions { Schema = schema, WriteMode = mode });

    [PgliteFact]
    public async Task PGlite_is_detected_and_written_with_unnest()
    {
        await using PostgresFeatureSink sink = NewSink(NewSchema());
        await sink.InitializeAsync(CancellationToken.None);
        Assert.Equal(PostgresWriteMode.Unnest, sink.EffectiveWriteMode);
        string version = await Db.ScalarAsync<string>(fixture.Server.ConnectionString(), "SELECT version()");
        Assert.Contains("PGlite", version);
    }

    [PgliteFact]
    public async Task Forcing_copy_on_PGlite_fails_clearly_before_any_COPY()
    {
        await using PostgresFeatureSink sink = NewSink(NewSchema(), PostgresWriteMode.Copy);
        var error = await Assert.ThrowsAsync<FeatureSinkException>(() => sink.InitializeAsync(CancellationToken.None));
        Assert.Equal(FeatureSinkFailureKind.Permanent, error.Kind);
        Assert.Contains("PGlite", error.Message);
        Assert.Contains("Unnest", error.Advice);

        // The server is still usable.
        Assert.Equal(1, await Db.ScalarAsync<int>(fixture.Server.ConnectionString(), "SELECT 1"));
    }

    [PgliteFact]
    public async Task Migration_runs_twice_and_upserts_read_back_through_the_reader()
    {
        string schema = NewSchema();
        string cs = fixture.Server.ConnectionString();
        await using (PostgresFeatureSink first = NewSink(schema))
        {
            await first.InitializeAsync(CancellationToken.None);
            await first.WriteAsync([Decision("a", BaseTime + 30), Decision("b", BaseTime + 10, "ETH")], CancellationToken.None);
        }

        await using PostgresFeatureSink sink = NewSink(schema);
        await sink.InitializeAsync(CancellationToken.None);
        Assert.Equal(3L, await Db.ScalarAsync<long>(cs, $"SELECT count(*) FROM pg_indexes WHERE schemaname = '{schema}'"));

        // Existing id updated, duplicate versions in one batch, unicode and SQL metacharacters.
        FeatureRecord nasty = Complete("c'); DROP TABLE x;--", BaseTime + 20, "日本-🚀'\"") with { DecisionDrivers = ["$$ \\ ' \" ; --", "∑ émoji"] };
        await sink.WriteAsync([Complete("a", BaseTime + 30), Decision("c'); DROP TABLE x;--", BaseTime + 20), nasty, Decision("d", BaseTime + 40)], CancellationToken.None);

        var rows = await Db.RowsAsync(cs, $"{schema}.paper_bot_features");
        Assert.Equal(4, rows.Count);
        Db.AssertPayload(nasty, rows[nasty.Id].Payload);
        Db.AssertPayload(Complete("a", BaseTime + 30), rows["a"].Payload);

        await using PostgresFeatureReader reader = sink.CreateReader();
        Assert.Equal(4, await reader.CountAsync());
        Assert.Equal(2, await reader.CountCompleteAsync());
        Assert.Equal(["b", nasty.Id, "a", "d"], await reader.ReadRecordsAsync().Select(r => r.Id).ToListAsync());
        Assert.Equal([nasty.Id], await reader.ReadRecordsAsync(FeatureQuery.Complete with { Asset = "日本-🚀'\"" }).Select(r => r.Id).ToListAsync());
        Assert.Equal(["a"], await reader.ReadRecordsAsync(FeatureQuery.Complete with { From = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 21) }).Select(r => r.Id).ToListAsync());
    }

    [PgliteFact]
    public async Task A_large_payload_round_trips_through_unnest()
    {
        string schema = NewSchema();
        await using PostgresFeatureSink sink = NewSink(schema);
        await sink.InitializeAsync(CancellationToken.None);
        FeatureRecord big = Complete("big") with { DecisionDrivers = Enumerable.Range(0, 1_000).Select(i => i + new string('p', 1000)).ToArray() };
        await sink.WriteAsync([big], CancellationToken.None);

        await using PostgresFeatureReader reader = sink.CreateReader();
        FeatureRecord read = await reader.ReadRecordsAsync().SingleAsync();
        Assert.Equal(Line(big), Line(read));
    }

    [PgliteFact]
    public async Task The_feature_store_pipeline_ships_every_record_to_PGlite()
    {
        string schema = NewSchema();
        using var dir = new TempDirectory();
        await using NpgsqlDataSource dataSource = NpgsqlDataSource.Create(fixture.Server.ConnectionString(pooling: true));
        await using PostgresFeatureSink sink = NewSink(schema, dataSource: dataSource);
        var store = new FeatureStore(TestStores.Options(dir.Path, o => o.SinkBatchSize = 50), [sink]);
        await store.StartAsync();
        var ids = new List<string>();
        for (int i = 0; i < 200; i++)
        {
            string id = store.RecordDecision(i % 2 == 0 ? "BTC" : "ETH", timestamp: DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + i));
            ids.Add(id);
            if (i % 4 == 0)
            {
                store.RecordExecution(id, Execution());
                store.RecordOutcome(id, Win());
            }
        }

        using (var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
        {
            await store.WaitForSinksAsync(timeout.Token);
        }

        await store.DisposeAsync();
        await using PostgresFeatureReader reader = sink.CreateReader();
        Assert.Equal(200, await reader.CountAsync());
        Assert.Equal(50, await reader.CountCompleteAsync());
        Assert.Equal(ids, await reader.ReadRecordsAsync().Select(r => r.Id).ToListAsync());
    }
}
