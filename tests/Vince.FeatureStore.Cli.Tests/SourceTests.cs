using System.Text.Json;
using Vince.FeatureStore.Cli.Tests.Support;
using Vince.FeatureStore.Postgres;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary><c>--source jsonl|postgres|supabase</c>: the same records give the same output from the log and from either table.</summary>
public sealed class SourceTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Key = "sb-source-KEY-9c2e4f10-DO-NOT-LEAK";

    /// <summary>
    /// Records through a store with both sinks: decisions later executed and closed (three versions in the log),
    /// decisions left open, avoided signals; two assets; prices, strengths and results that vary so the lag columns do.
    /// </summary>
    private static async Task RecordAsync(string directory, IEnumerable<IFeatureSink> sinks)
    {
        await using FeatureStore store = await TestStores.StartedAsync(directory, sinks);
        for (int i = 0; i < 48; i++)
        {
            string asset = i % 3 == 0 ? "ETH" : "BTC";
            var time = DateTimeOffset.FromUnixTimeMilliseconds(TestRecords.BaseTime + (i * 60_000L));
            var market = new MarketFeatures { Price = 97_000 + (i * 37.5), PriceChange24h = -1.2 + (i * 0.05), FundingPercentile = 40 + i, AtrPct = 1 + (i % 5 * 0.1) };
            var signal = new SignalFeatures { Direction = i % 2 == 0 ? "long" : "short", Strength = 50 + i, Confidence = 55 + (i % 7), Sources = ["A", "B"], SourceCount = 2 };
            if (i % 6 == 5)
            {
                store.RecordAvoided(asset, "low_confidence", market, signal: signal, timestamp: time);
                continue;
            }

            string id = store.RecordDecision(asset, market, signal: signal, timestamp: time);
            if (i % 4 != 3)
            {
                store.RecordExecution(id, TestRecords.Execution());
                store.RecordOutcome(id, TestRecords.Win(pnl: i % 5 == 0 ? -40 - i : 20 + (i * 3)));
            }
        }

        await store.WaitForSinksAsync();
    }

    /// <summary>The records of <see cref="RecordAsync"/> in a log, a Postgres table and a Supabase table (the stand-in), and the tool's environment for the two tables.</summary>
    private async Task<Stores> StoresAsync(string name)
    {
        string postgresDatabase = await fixture.Cluster.CreateDatabaseAsync(name + "_pg");
        string postgres = fixture.Cluster.ConnectionString(postgresDatabase);
        string supabase = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync(name + "_sb"));
        await PostgrestStandIn.CreateTableAsync(supabase);
        PostgrestStandIn server = await PostgrestStandIn.StartAsync(supabase, Key);
        var dir = new TempDirectory();
        using (var http = new HttpClient())
        await using (var postgresSink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = postgres }))
        {
            // Small pages: many requests for 48 records.
            var supabaseSink = new SupabaseFeatureSink(new SupabaseOptions { Url = server.Url, ApiKey = Key, ReadPageSize = 7 }, http);
            await RecordAsync(dir.Path, [postgresSink, supabaseSink]);
        }

        // The tool's environment: the Postgres URL, and the Supabase settings (the pages are the server's default size).
        var env = new Dictionary<string, string>
        {
            ["POSTGRES_URL"] = fixture.Cluster.Url(postgresDatabase),
            ["SUPABASE_URL"] = server.Url.ToString(),
            ["SUPABASE_SERVICE_ROLE_KEY"] = Key,
        };
        return new Stores(dir, server, env);
    }

    private sealed record Stores(TempDirectory Dir, PostgrestStandIn Server, Dictionary<string, string> Env) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await Server.DisposeAsync();
            Dir.Dispose();
        }
    }

    [PostgresFact]
    public async Task Export_and_stats_give_the_same_result_from_jsonl_postgres_and_supabase()
    {
        await using Stores stores = await StoresAsync("src");
        (TempDirectory dir, PostgrestStandIn server, Dictionary<string, string> env) = (stores.Dir, stores.Server, stores.Env);
        server.MaxRows = 5; // many pages, and fewer rows than asked for
        foreach (string model in new[] { "signal_quality", "all" })
        {
            var csvs = new List<byte[]>();
            foreach (string[] source in new[] { new[] { "--data", dir.Path }, ["--source", "postgres"], ["--source", "supabase"] })
            {
                string csv = Path.Combine(dir.Path, "out", source[^1].Replace('/', '_') + "-" + model, "train.csv");
                CliResult result = (await Tool.RunAsync(env, ["export", .. source, "--model", model, "--out", csv])).Expect(0);
                Assert.Contains("records read: 48", result.Stdout);
                csvs.Add(await File.ReadAllBytesAsync(csv));
            }

            Assert.True(csvs[0].Length > 1000, $"the {model} export is nearly empty");
            Assert.Equal(csvs[0], csvs[1]);
            Assert.Equal(csvs[0], csvs[2]);
        }

        Assert.Contains(server.Requests, r => r.PathAndQuery.Contains("&or=(created_at.gt.", StringComparison.Ordinal));

        var summaries = new List<string>();
        foreach (string[] source in new[] { new[] { "--data", dir.Path }, ["--source", "postgres"], ["--source", "supabase"] })
        {
            CliResult stats = (await Tool.RunAsync(env, ["stats", .. source, "--json"])).Expect(0);
            using var json = System.Text.Json.JsonDocument.Parse(stats.Stdout);
            System.Text.Json.JsonElement root = json.RootElement;
            summaries.Add($"{root.GetProperty("records")} {root.GetProperty("completeRecords")} {root.GetProperty("firstTimestamp")} {root.GetProperty("lastTimestamp")} {root.GetProperty("assets")}");
        }

        Assert.StartsWith("48 ", summaries[0], StringComparison.Ordinal);
        Assert.Equal(summaries[0], summaries[1]);
        Assert.Equal(summaries[0], summaries[2]);
    }

    [PostgresFact]
    public async Task Train_reads_the_same_snapshot_from_jsonl_postgres_and_supabase()
    {
        await using Stores stores = await StoresAsync("train");
        (TempDirectory dir, Dictionary<string, string> env) = (stores.Dir, stores.Env);
        var hashes = new List<string>();
        foreach (string[] source in new[] { new[] { "--data", dir.Path }, ["--source", "postgres"], ["--source", "supabase"] })
        {
            string kind = source[0] == "--data" ? "jsonl" : source[1];
            string models = Path.Combine(dir.Path, "models-" + kind);
            CliResult result = (await Tool.RunAsync(env, ["train", .. source, "--trainer", "dotnet", "--min-samples", "20", "--output", models])).Expect(0);
            Assert.Contains($"data source: {kind}, 48 records (latest version of each id)", result.Stdout);
            using JsonDocument metadata = JsonDocument.Parse(await File.ReadAllBytesAsync(Path.Combine(models, "training_metadata.json")));
            JsonElement dataSource = metadata.RootElement.GetProperty("data_source");
            Assert.Equal(kind, dataSource.GetProperty("kind").GetString());
            Assert.Equal(48, dataSource.GetProperty("records").GetInt32());
            hashes.Add(dataSource.GetProperty("sha256").GetString()!);
        }

        // One line per record, the same bytes whichever store held them.
        Assert.Single(hashes.Distinct());
    }

    [PostgresFact]
    public async Task Score_reads_its_history_from_a_table()
    {
        string database = await fixture.Cluster.CreateDatabaseAsync("src_score");
        using var dir = new TempDirectory();
        await using (var sink = new PostgresFeatureSink(new PostgresSinkOptions { ConnectionString = fixture.Cluster.ConnectionString(database) }))
        {
            await RecordAsync(dir.Path, [sink]);
        }

        string models = Path.Combine(dir.Path, "models");
        Directory.CreateDirectory(models);
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), Path.Combine(models, "signal_quality.onnx"));
        MetadataJson.For(SignalQualityRecords.FeatureNames, threshold: 0.55).Save(Path.Combine(models, "training_metadata.json"));
        string recordFile = Path.Combine(dir.Path, "record.json");
        await File.WriteAllTextAsync(recordFile, File.ReadLines(Directory.GetFiles(dir.Path, "features_*.jsonl")[0]).Last());

        CliResult fromLog = (await Tool.RunAsync("score", "--models", models, "--record", recordFile, "--history", dir.Path, "--json")).Expect(0);
        var env = new Dictionary<string, string> { ["POSTGRES_URL"] = fixture.Cluster.Url(database) };
        CliResult fromTable = (await Tool.RunAsync(env, "score", "--models", models, "--record", recordFile, "--source", "postgres", "--json")).Expect(0);
        using var log = System.Text.Json.JsonDocument.Parse(fromLog.Stdout);
        using var table = System.Text.Json.JsonDocument.Parse(fromTable.Stdout);
        Assert.Equal(3, table.RootElement.GetProperty("history").GetProperty("assetRecordsUsed").GetInt32());
        Assert.Equal(log.RootElement.GetProperty("features").ToString(), table.RootElement.GetProperty("features").ToString());
        Assert.Equal(log.RootElement.GetProperty("probability").ToString(), table.RootElement.GetProperty("probability").ToString());
    }

    [Fact]
    public async Task A_source_without_its_connection_or_with_another_sources_options_is_a_usage_error()
    {
        using var dir = new TempDirectory();
        CliResult noUrl = (await Tool.RunAsync("export", "--source", "postgres", "--model", "all", "--out", Path.Combine(dir.Path, "a.csv"))).Expect(2);
        Assert.Contains("POSTGRES_URL", noUrl.Stderr);
        Assert.Contains("--postgres-url", noUrl.Stderr);

        CliResult data = (await Tool.RunAsync("stats", "--source", "postgres", "--postgres-url", "postgresql://x@127.0.0.1:1/db", "--data", dir.Path)).Expect(2);
        Assert.Contains("--data applies to --source jsonl only", data.Stderr);

        CliResult url = (await Tool.RunAsync("stats", "--data", dir.Path, "--postgres-url", "postgresql://x@127.0.0.1:1/db")).Expect(2);
        Assert.Contains("--postgres-url applies to --source postgres only", url.Stderr);

        CliResult history = (await Tool.RunAsync("score", "--record", "r.json", "--source", "postgres", "--postgres-url", "postgresql://x@127.0.0.1:1/db", "--history", dir.Path)).Expect(2);
        Assert.Contains("leave --history out", history.Stderr);

        CliResult noKey = (await Tool.RunAsync("export", "--source", "supabase", "--url", "http://127.0.0.1:1", "--model", "all", "--out", Path.Combine(dir.Path, "a.csv"))).Expect(2);
        Assert.Contains("SUPABASE_SERVICE_ROLE_KEY", noKey.Stderr);
    }
}
