using System.Diagnostics;
using Vince.FeatureStore.Supabase.Tests.Support;
using Xunit.Abstractions;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// The bootstrap SQL's trigger keeps a stored row when a PostgREST upsert (which cannot carry a condition) brings an
/// older version: racing sinks, a sync beside the sink. On the stand-in, which runs the bootstrap SQL on real PostgreSQL.
/// </summary>
public sealed class SupabaseOrderedUpsertTests(PostgresFixture fixture, ITestOutputHelper output) : IClassFixture<PostgresFixture>
{
    private const string Table = "public.vince_paper_bot_features";

    private static FeatureRecord Version(string id, int version)
        => Decision(id) with { UpdatedAt = BaseTime + version, DecisionDrivers = [$"version {version}"] };

    [PostgresFact]
    public async Task The_trigger_keeps_a_newer_stored_row_against_an_upsert_or_update_of_an_older_version()
    {
        string cs = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("trigger"));
        await Db.ExecuteAsync(cs, SupabaseBootstrap.GetSql("archive_features"));
        await Db.ExecuteAsync(cs, SupabaseBootstrap.GetSql("archive_features")); // idempotent, one trigger
        Assert.Equal(1L, await Db.ScalarAsync<long>(cs, "SELECT count(*) FROM pg_trigger WHERE tgrelid = 'public.archive_features'::regclass AND NOT tgisinternal"));

        const string Upsert = "INSERT INTO public.archive_features VALUES ('{0}', now(), '{1}') ON CONFLICT (id) DO UPDATE SET payload = EXCLUDED.payload";
        async Task<string> UpsertAsync(string id, string payload)
        {
            await Db.ExecuteAsync(cs, string.Format(System.Globalization.CultureInfo.InvariantCulture, Upsert, id, payload));
            return await Db.ScalarAsync<string>(cs, $"SELECT payload->>'v' FROM public.archive_features WHERE id = '{id}'");
        }

        Assert.Equal("2", await UpsertAsync("a", """{"v":"2","updatedAt":2}"""));
        Assert.Equal("2", await UpsertAsync("a", """{"v":"1","updatedAt":1}""")); // older: kept out
        Assert.Equal("2b", await UpsertAsync("a", """{"v":"2b","updatedAt":2}""")); // a tie: the incoming one
        Assert.Equal("2b", await UpsertAsync("a", """{"v":"none"}""")); // unversioned never beats versioned
        Assert.Equal("3", await UpsertAsync("a", """{"v":"3","updatedAt":3}"""));

        Assert.Equal("old", await UpsertAsync("legacy", """{"v":"old"}"""));
        Assert.Equal("older", await UpsertAsync("legacy", """{"v":"older"}""")); // unversioned rows: last writer wins
        Assert.Equal("1", await UpsertAsync("legacy", """{"v":"1","updatedAt":1}"""));

        // A plain UPDATE (another program, a PATCH) is held to the same order.
        await Db.ExecuteAsync(cs, """UPDATE public.archive_features SET payload = '{"v":"0","updatedAt":0}' WHERE id = 'a'""");
        Assert.Equal("3", await Db.ScalarAsync<string>(cs, "SELECT payload->>'v' FROM public.archive_features WHERE id = 'a'"));
    }

    [PostgresFact]
    public async Task Two_sinks_racing_with_the_versions_in_opposite_orders_leave_every_row_at_its_latest_version()
    {
        const int Ids = 1_000, Versions = 5;
        await using var h = await SupabaseHarness.StartAsync(fixture);
        SupabaseFeatureSink forward = h.Sink(o => { o.Name = "forward"; o.MaxBatchRows = 200; });
        SupabaseFeatureSink backward = h.Sink(o => { o.Name = "backward"; o.MaxBatchRows = 200; });
        string[] ids = [.. Enumerable.Range(0, Ids).Select(i => $"race-{i:D5}")];

        // Both send the ids in the same order (their row locks never deadlock); one oldest version first, one newest first.
        async Task SendAsync(SupabaseFeatureSink sink, IEnumerable<int> versions)
        {
            await Task.Yield();
            foreach (int version in versions)
            {
                foreach (string[] chunk in ids.Chunk(200))
                {
                    await sink.WriteAsync([.. chunk.Select(id => Version(id, version))], CancellationToken.None);
                }
            }
        }

        long started = Stopwatch.GetTimestamp();
        await Task.WhenAll(
            Task.Run(() => SendAsync(forward, Enumerable.Range(1, Versions))),
            Task.Run(() => SendAsync(backward, Enumerable.Range(1, Versions).Reverse())));
        TimeSpan elapsed = Stopwatch.GetElapsedTime(started);

        long stale = await Db.ScalarAsync<long>(h.ConnectionString, $"SELECT count(*) FROM {Table} WHERE (payload ->> 'updatedAt')::bigint <> {BaseTime + Versions}");
        output.WriteLine($"Supabase: {Ids} ids x {Versions} versions x 2 sinks, {stale} stale row(s), {elapsed.TotalMilliseconds:F0} ms");
        Assert.Equal(Ids, await Db.ScalarAsync<long>(h.ConnectionString, $"SELECT count(*) FROM {Table}"));
        Assert.True(stale == 0, $"{stale} of {Ids} rows hold an older version than their latest");
    }

    [PostgresFact]
    public async Task A_sync_of_an_old_copy_of_the_log_beside_the_sink_leaves_no_row_older()
    {
        const int Trades = 120;
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        using var oldCopy = new TempDirectory();

        // The sink ships decisions and outcomes as the store writes them; a copy of the log is taken in between.
        await using (FeatureStore store = await TestStores.StartedAsync(dir.Path, [h.Sink()]))
        {
            string[] ids = [.. Enumerable.Range(0, Trades).Select(i => store.Record(Decision($"sync-{i:D3}", BaseTime + i)))];
            await store.FlushAsync();
            foreach (string file in dir.FeatureFiles())
            {
                File.Copy(dir.File(file), oldCopy.File(file));
            }

            foreach (string id in ids)
            {
                store.RecordExecution(id, Execution());
                store.RecordOutcome(id, Win());
            }

            await store.FlushAsync();
            await store.WaitForSinksAsync();
        }

        Dictionary<string, (DateTime CreatedAt, string Payload)> latest = await h.RowsAsync();
        Assert.Equal(Trades, latest.Count);
        Assert.All(latest.Values, row => Assert.Contains("\"outcome\"", row.Payload));

        // sync-supabase's path (JsonlToSupabaseSync through the sink) with the old copy: every row is sent, none goes back.
        JsonlSyncReport report = await new JsonlToSupabaseSync(h.Sink(), oldCopy.Path).RunAsync();
        Assert.Equal(Trades, report.Sent);
        Dictionary<string, (DateTime CreatedAt, string Payload)> after = await h.RowsAsync();
        int older = latest.Count(kv => after[kv.Key].Payload != kv.Value.Payload);
        output.WriteLine($"sync of an old copy: {report.Sent} older versions sent, {older} row(s) changed");
        Assert.Equal(0, older);
    }
}
