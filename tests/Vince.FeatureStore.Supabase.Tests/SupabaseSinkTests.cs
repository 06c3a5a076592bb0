using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Supabase.Tests.Support;
using static Vince.FeatureStore.Testing.TestRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>The sink against the PostgREST stand-in and a real PostgreSQL table: upserts, batching, faults, errors.</summary>
public sealed class SupabaseSinkTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static List<FeatureRecord> Decisions(int count, string prefix = "t") =>
        Enumerable.Range(0, count).Select(i => Decision($"{prefix}-{i:D4}", BaseTime + i, i % 2 == 0 ? "BTC" : "ETH")).ToList();

    [PostgresFact]
    public async Task New_ids_are_inserted_with_the_postgrest_upsert_headers_and_body()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        var sink = h.Sink();
        List<FeatureRecord> records = Decisions(3);
        await sink.InitializeAsync(CancellationToken.None);
        await sink.WriteAsync(records, CancellationToken.None);

        var rows = await h.RowsAsync();
        Assert.Equal(3, rows.Count);
        foreach (FeatureRecord record in records)
        {
            Db.AssertPayload(record, rows[record.Id].Payload);
            Assert.Equal(Db.Utc(record.Timestamp), rows[record.Id].CreatedAt.ToUniversalTime());
        }

        SeenRequest post = Assert.Single(h.Posts());
        Assert.Equal("/rest/v1/vince_paper_bot_features?on_conflict=id", post.PathAndQuery);
        Assert.Equal("resolution=merge-duplicates,return=minimal", post.Prefer);
        Assert.Equal("application/json", post.ContentType);
        Assert.Equal(201, post.Status);
        Assert.Contains(h.Server.Requests, r => r.Method == "GET" && r.PathAndQuery == "/rest/v1/vince_paper_bot_features?select=id&limit=0" && r.Status == 200);
    }

    [Fact]
    public void The_body_is_a_json_array_of_id_created_at_and_the_whole_record_as_payload()
    {
        using var http = new HttpClient();
        var sink = new SupabaseFeatureSink(new SupabaseOptions { Url = new Uri("https://x.supabase.co"), ApiKey = "k" }, () => http, null, null, _ => null);
        FeatureRecord record = Complete("trade-1", timestamp: 1_769_100_000_123);
        FeatureRecord withNul = Decision("trade-2") with { Asset = "B\0TC" };
        byte[] body = SupabaseFeatureSink.Body([sink.EncodeRow(record), sink.EncodeRow(withNul)]);

        using JsonDocument document = JsonDocument.Parse(body);
        JsonElement[] rows = [.. document.RootElement.EnumerateArray()];
        Assert.Equal(2, rows.Length);
        Assert.Equal(["id", "created_at", "payload"], rows[0].EnumerateObject().Select(p => p.Name));
        Assert.Equal("trade-1", rows[0].GetProperty("id").GetString());
        Assert.Equal(DateTimeOffset.FromUnixTimeMilliseconds(1_769_100_000_123), rows[0].GetProperty("created_at").GetDateTimeOffset());
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(FeatureJson.Serialize(record)), JsonNode.Parse(rows[0].GetProperty("payload").GetRawText())));
        Assert.Equal("B\uFFFDTC", rows[1].GetProperty("payload").GetProperty("asset").GetString());
    }

    [Fact]
    public void A_batch_keeps_the_last_version_of_each_id_in_first_appearance_order()
    {
        FeatureRecord completeA = Complete("a");
        List<FeatureRecord> rows = FeatureBatches.LastVersionPerId([Decision("a"), Decision("b"), completeA]);
        Assert.Equal(["a", "b"], rows.Select(r => r.Id));
        Assert.Same(completeA, rows[0]);
    }

    [PostgresFact]
    public async Task Existing_ids_are_updated_and_duplicates_in_a_batch_keep_the_last_version()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        var sink = h.Sink();
        await sink.WriteAsync([Decision("a"), Decision("b")], CancellationToken.None);

        FeatureRecord completeA = Complete("a", pnl: 42);
        FeatureRecord withExecution = Decision("c") with { Execution = Execution() };
        FeatureRecord completeC = Complete("c", pnl: -7);
        await sink.WriteAsync([completeA, Decision("c"), withExecution, completeC], CancellationToken.None);

        var rows = await h.RowsAsync();
        Assert.Equal(["a", "b", "c"], rows.Keys.Order(StringComparer.Ordinal));
        Db.AssertPayload(completeA, rows["a"].Payload);
        Db.AssertPayload(Decision("b"), rows["b"].Payload);
        Db.AssertPayload(completeC, rows["c"].Payload);
        Assert.All(h.Posts(), p => Assert.Equal(0, p.DuplicateIds));
        Assert.Equal([2, 2], h.Posts().Select(p => p.Rows));
    }

    [PostgresFact]
    public async Task Batches_are_bounded_by_rows_and_by_bytes()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        await h.Sink().WriteAsync(Decisions(1200, "rows"), CancellationToken.None);
        Assert.Equal([500, 500, 200], h.Posts().Select(p => p.Rows));

        const int maxBytes = 8 * 1024;
        await h.Sink(o => o.MaxBatchBytes = maxBytes).WriteAsync(Decisions(100, "bytes"), CancellationToken.None);
        List<SeenRequest> byBytes = h.Posts().Skip(3).ToList();
        Assert.True(byBytes.Count > 5, $"{byBytes.Count} requests");
        Assert.All(byBytes, p => Assert.InRange(p.Bytes, 1, maxBytes));
        Assert.Equal(100, byBytes.Sum(p => p.Rows));
        Assert.Equal(1300, (await h.RowsAsync()).Count);
    }

    [PostgresFact]
    public async Task A_413_splits_the_request_until_it_fits()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        var logs = new FakeLogCollector();
        h.Server.MaxRequestBytes = 6 * 1024;
        await h.Sink(logger: new FakeLogger(logs)).WriteAsync(Decisions(40), CancellationToken.None);

        Assert.Equal(40, (await h.RowsAsync()).Count);
        List<SeenRequest> posts = h.Posts();
        Assert.Equal(413, posts[0].Status);
        Assert.Equal(40, posts.Where(p => p.Status == 201).Sum(p => p.Rows));
        Assert.All(posts.Where(p => p.Status == 201), p => Assert.True(p.Bytes <= 6 * 1024));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 4004 && r.Message.Contains("40 row(s)", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_single_record_larger_than_the_limit_is_a_permanent_error_naming_it()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.MaxRequestBytes = 100;
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink().WriteAsync([Decision("huge-one")], CancellationToken.None));
        Assert.False(error.IsTransient);
        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, error.StatusCode);
        Assert.Contains("record huge-one alone is", error.Message);
        Assert.Single(h.Posts());
    }

    [PostgresFact]
    public async Task A_missing_table_is_a_404_PGRST205_telling_to_run_the_bootstrap_sql()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        var sink = h.Sink();
        var init = await Assert.ThrowsAsync<SupabaseRequestException>(() => sink.InitializeAsync(CancellationToken.None));
        var write = await Assert.ThrowsAsync<SupabaseRequestException>(() => sink.WriteAsync([Decision("x")], CancellationToken.None));
        foreach (SupabaseRequestException error in new[] { init, write })
        {
            Assert.Equal(HttpStatusCode.NotFound, error.StatusCode);
            Assert.Equal("PGRST205", error.Code);
            Assert.Equal("Could not find the table 'public.vince_paper_bot_features' in the schema cache", error.ErrorMessage);
            Assert.False(error.IsTransient);
            Assert.Contains("run the bootstrap SQL (supabase-feature-store-bootstrap.sql)", error.Message);
        }

        Assert.Equal(2, h.Server.Requests.Count); // permanent: no retry
    }

    [PostgresFact]
    public async Task A_wrong_key_is_a_401_PGRST301_telling_to_check_the_key_and_never_showing_it()
    {
        const string wrong = "sb-WRONG-key-0000-secret";
        await using var h = await SupabaseHarness.StartAsync(fixture);
        var logs = new FakeLogCollector();
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink(logger: new FakeLogger(logs), key: wrong).WriteAsync([Decision("x")], CancellationToken.None));
        Assert.Equal(HttpStatusCode.Unauthorized, error.StatusCode);
        Assert.Equal("PGRST301", error.Code);
        Assert.Contains("check that SUPABASE_SERVICE_ROLE_KEY", error.Message);
        Assert.DoesNotContain(wrong, error.ToString());
        Assert.All(logs.GetSnapshot(), r => Assert.DoesNotContain(wrong, r.Message));
        Assert.Single(h.Server.Requests);
    }

    [PostgresTheory]
    [InlineData(400, "PGRST102", "columns (id text primary key, created_at timestamptz, payload jsonb)")]
    [InlineData(403, "42501", "use the service-role key (SUPABASE_SERVICE_ROLE_KEY)")]
    [InlineData(404, "PGRST205", "run the bootstrap SQL")]
    [InlineData(409, "23505", "bootstrap SQL")]
    public async Task Permanent_errors_are_not_retried_and_carry_the_postgrest_fields(int status, string code, string advice)
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(status, code: code));
        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink().WriteAsync([Decision("x")], CancellationToken.None));
        Assert.Equal((HttpStatusCode)status, error.StatusCode);
        Assert.Equal(code, error.Code);
        Assert.Equal($"Injected fault {status}", error.ErrorMessage);
        Assert.False(error.IsTransient);
        Assert.Contains(advice, error.Message);
        Assert.Single(h.Server.Requests);
        Assert.Empty(await h.RowsAsync());
    }

    [PostgresFact]
    public async Task Transient_failures_are_retried_within_one_write()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Http(503));
        h.Server.Faults.Enqueue(Fault.Http(429));
        h.Server.Faults.Enqueue(Fault.Drop());
        h.Server.Faults.Enqueue(Fault.Http(500));
        h.Server.Faults.Enqueue(Fault.Http(408));
        var logs = new FakeLogCollector();
        await h.Sink(o => o.MaxAttempts = 6, new FakeLogger(logs)).WriteAsync(Decisions(5), CancellationToken.None);

        Assert.Equal(5, (await h.RowsAsync()).Count);
        Assert.Equal([503, 429, 0, 500, 408, 201], h.Server.Requests.Select(r => r.Status));
        Assert.Equal(5, logs.GetSnapshot().Count(r => r.Id.Id == 4003));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 4003 && r.Message.Contains("network error", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task A_slow_answer_times_out_and_is_retried()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.Faults.Enqueue(Fault.Slow(TimeSpan.FromSeconds(5)));
        var logs = new FakeLogCollector();
        await h.Sink(o => o.RequestTimeout = TimeSpan.FromMilliseconds(300), new FakeLogger(logs)).WriteAsync(Decisions(2), CancellationToken.None);
        Assert.Equal(2, (await h.RowsAsync()).Count);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 4003 && r.Message.Contains("no answer within 0.3 s", StringComparison.Ordinal));
    }

    [PostgresFact]
    public async Task Persistent_transient_failures_end_the_write_with_a_transient_error()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        for (int i = 0; i < 3; i++)
        {
            h.Server.Faults.Enqueue(Fault.Http(503, code: "PGRST000"));
        }

        var error = await Assert.ThrowsAsync<SupabaseRequestException>(() => h.Sink(o => o.MaxAttempts = 3).WriteAsync([Decision("x")], CancellationToken.None));
        Assert.True(error.IsTransient);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, error.StatusCode);
        Assert.Contains("failed 3 time(s)", error.Message);
        Assert.Equal(3, h.Server.Requests.Count);
    }

    [PostgresFact]
    public async Task The_key_never_appears_in_any_log_or_exception()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture, createTable: false);
        var logs = new FakeLogCollector();
        var logger = new FakeLogger(logs);
        h.Server.Faults.Enqueue(Fault.Http(429, retryAfter: "0"));
        h.Server.Faults.Enqueue(Fault.Drop());
        var sink = h.Sink(o => o.RequestTimeout = TimeSpan.FromSeconds(2), logger);
        var errors = new List<Exception>
        {
            await Assert.ThrowsAsync<SupabaseRequestException>(() => sink.WriteAsync([Decision("x")], CancellationToken.None)),
            await Assert.ThrowsAsync<SupabaseRequestException>(() => sink.InitializeAsync(CancellationToken.None)),
        };

        Assert.NotEmpty(logs.GetSnapshot());
        Assert.All(logs.GetSnapshot(), r =>
        {
            Assert.DoesNotContain(SupabaseHarness.ServiceKey, r.Message);
            Assert.DoesNotContain(SupabaseHarness.ServiceKey, r.Exception?.ToString() ?? "");
            Assert.All(r.StructuredState ?? [], kv => Assert.DoesNotContain(SupabaseHarness.ServiceKey, kv.Value ?? ""));
        });
        Assert.All(errors, e => Assert.DoesNotContain(SupabaseHarness.ServiceKey, e.ToString()));
        Assert.DoesNotContain(SupabaseHarness.ServiceKey, sink.ToString());
    }
}
