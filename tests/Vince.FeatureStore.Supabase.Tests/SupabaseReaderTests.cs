using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>Reading back for training: paging through <c>select=payload</c>, filters, counts, retries.</summary>
public sealed class SupabaseReaderTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static async Task<(SupabaseFeatureSink Sink, List<FeatureRecord> Written)> SeedAsync(SupabaseHarness h, int pageSize)
    {
        SupabaseFeatureSink sink = h.Sink(o => o.ReadPageSize = pageSize);
        var written = new List<FeatureRecord>();
        for (int i = 0; i < 25; i++)
        {
            // Pairs share a timestamp, so the order needs the id tie-break.
            string asset = i % 3 == 0 ? "ETH" : "BTC";
            written.Add(i % 2 == 0 ? Complete($"r-{i:D2}", BaseTime + (i / 2), asset, pnl: i) : Decision($"r-{i:D2}", BaseTime + (i / 2), asset));
        }

        await sink.WriteAsync([.. written.AsEnumerable().Reverse()], CancellationToken.None);
        return (sink, written);
    }

    [PostgresFact]
    public async Task Pages_through_every_record_in_decision_time_order()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        (SupabaseFeatureSink sink, List<FeatureRecord> written) = await SeedAsync(h, pageSize: 4);
        SupabaseFeatureReader reader = sink.CreateReader();

        List<FeatureRecord> read = await reader.ReadRecordsAsync().ToListAsync();
        Assert.Equal(written.Select(r => r.Id), read.Select(r => r.Id));
        Assert.Equal(written.Select(Line), read.Select(Line));
        List<SeenRequest> gets = h.Server.Requests.Where(r => r.Method == "GET").ToList();
        Assert.Equal(8, gets.Count); // 7 pages of at most 4, then an empty one
        Assert.Equal("/rest/v1/vince_paper_bot_features?select=id,created_at,payload&order=created_at.asc,id.asc&limit=4", gets[0].PathAndQuery);
        Assert.All(gets.Skip(1), g => Assert.Contains("&or=(created_at.gt.%22", g.PathAndQuery, StringComparison.Ordinal));
        Assert.All(gets, g => Assert.DoesNotContain("offset=", g.PathAndQuery, StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task Equal_created_at_across_a_page_boundary_is_neither_lost_nor_repeated()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        SupabaseFeatureSink sink = h.Sink(o => o.ReadPageSize = 3);
        // Ten records at one instant, and ids that sort differently as text than as numbers, with PostgREST's reserved characters.
        List<FeatureRecord> written = [.. Enumerable.Range(0, 10).Select(i => Decision($"t,{i}.(x):\"q\"\\{10 - i}", BaseTime))];
        await sink.WriteAsync(written, CancellationToken.None);

        List<string> read = await sink.CreateReader().ReadRecordsAsync().Select(r => r.Id).ToListAsync();
        Assert.Equal(written.Select(r => r.Id).Order(StringComparer.Ordinal), read.Order(StringComparer.Ordinal));
        Assert.Equal(read.Count, read.Distinct(StringComparer.Ordinal).Count());
        Assert.Equal(5, h.Server.Requests.Count(r => r.Method == "GET")); // 3 + 3 + 3 + 1, then an empty page
    }

    [PostgresFact]
    public async Task Rows_written_between_pages_neither_shift_nor_repeat_a_page()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        (SupabaseFeatureSink sink, List<FeatureRecord> written) = await SeedAsync(h, pageSize: 4);
        var read = new List<string>();
        await using (IAsyncEnumerator<FeatureRecord> records = sink.CreateReader().ReadRecordsAsync().GetAsyncEnumerator())
        {
            for (int i = 0; i < 4 && await records.MoveNextAsync(); i++)
            {
                read.Add(records.Current.Id);
            }

            // Before the next page: three rows earlier than everything read (they would push offset pages back by three) and one later.
            await sink.WriteAsync([Decision("early-1", BaseTime - 3), Decision("early-2", BaseTime - 2), Decision("early-3", BaseTime - 1), Decision("late", BaseTime + 100)], CancellationToken.None);
            while (await records.MoveNextAsync())
            {
                read.Add(records.Current.Id);
            }
        }

        Assert.Equal([.. written.Select(r => r.Id), "late"], read);
    }

    [PostgresFact]
    public async Task A_server_max_rows_below_the_page_size_loses_nothing()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        (SupabaseFeatureSink sink, List<FeatureRecord> written) = await SeedAsync(h, pageSize: 10);
        h.Server.MaxRows = 3;
        Assert.Equal(written.Select(r => r.Id), await sink.CreateReader().ReadRecordsAsync().Select(r => r.Id).ToListAsync());
        Assert.Equal(10, h.Server.Requests.Count(r => r.Method == "GET")); // 9 pages of 3 or fewer, then an empty one
    }

    [PostgresFact]
    public async Task The_stand_in_refuses_a_logic_tree_it_does_not_understand()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        await SeedAsync(h, pageSize: 10);
        using var http = new HttpClient();
        foreach (string tree in new[] { "(payload.gt.1)", "(id.like.x)", "(id.gt.\"x\"", "(created_at.gt.2026-01-01T00:00:00.000Z)", "not.and(id.gt.x)" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(h.Server.Url, "rest/v1/vince_paper_bot_features?select=id&or=" + Uri.EscapeDataString(tree)));
            request.Headers.Add("apikey", SupabaseHarness.ServiceKey);
            request.Headers.Add("Authorization", "Bearer " + SupabaseHarness.ServiceKey);
            using HttpResponseMessage response = await http.SendAsync(request);
            Assert.Equal(System.Net.HttpStatusCode.BadRequest, response.StatusCode);
        }
    }

    [PostgresFact]
    public async Task Filters_by_completeness_asset_and_time_and_counts_the_same()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        (SupabaseFeatureSink sink, List<FeatureRecord> written) = await SeedAsync(h, pageSize: 5);
        SupabaseFeatureReader reader = sink.CreateReader();
        var queries = new[]
        {
            FeatureQuery.All,
            FeatureQuery.Complete,
            new FeatureQuery { Asset = "ETH" },
            new FeatureQuery { CompleteOnly = true, Asset = "BTC" },
            new FeatureQuery { From = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 3), To = DateTimeOffset.FromUnixTimeMilliseconds(BaseTime + 7) },
            new FeatureQuery { Asset = "DOGE" },
        };
        foreach (FeatureQuery query in queries)
        {
            List<string> expected = written.Where(r => (!query.CompleteOnly || r.IsComplete) && (query.Asset is null || r.Asset == query.Asset)
                && (query.From is null || r.Timestamp >= query.From.Value.ToUnixTimeMilliseconds()) && (query.To is null || r.Timestamp < query.To.Value.ToUnixTimeMilliseconds()))
                .Select(r => r.Id).ToList();
            Assert.Equal(expected, await reader.ReadRecordsAsync(query).Select(r => r.Id).ToListAsync());
            Assert.Equal(expected.Count, await reader.CountAsync(query));
        }

        Assert.Equal(13, await reader.CountCompleteAsync());
        Assert.Equal(
            "&payload->outcome=not.is.null&payload->labels=not.is.null&payload->>asset=eq.%22BTC%22",
            SupabaseFeatureReader.Filters(new FeatureQuery { CompleteOnly = true, Asset = "BTC" }));
    }

    [PostgresFact]
    public async Task A_failing_page_is_retried_and_the_enumeration_continues()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        (SupabaseFeatureSink sink, List<FeatureRecord> written) = await SeedAsync(h, pageSize: 10);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "0"));
        h.Server.Faults.Enqueue(Fault.Drop());
        Assert.Equal(written.Count, await sink.CreateReader().ReadRecordsAsync().CountAsync());
    }
}
