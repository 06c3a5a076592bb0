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
        Assert.All(gets, g => Assert.StartsWith("/rest/v1/vince_paper_bot_features?select=payload&order=created_at.asc,id.asc&limit=4&offset=", g.PathAndQuery));
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
