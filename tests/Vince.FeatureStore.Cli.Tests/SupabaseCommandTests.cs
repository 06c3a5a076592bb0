using System.Text.Json.Nodes;
using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>sync-supabase</c> and <c>models pull|push</c> against the PostgREST/Storage stand-in on a real PostgreSQL; the key
/// comes from the environment and is never printed.
/// </summary>
public sealed class SupabaseCommandTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private const string Key = "sb-cli-KEY-5e1d7b42-DO-NOT-LEAK";
    private const int Trades = 60;

    private async Task<(PostgrestStandIn Server, string ConnectionString)> StartAsync(bool createTable = true)
    {
        string connectionString = fixture.Cluster.ConnectionString(await fixture.Cluster.CreateDatabaseAsync("cli"));
        if (createTable)
        {
            await PostgrestStandIn.CreateTableAsync(connectionString);
        }

        return (await PostgrestStandIn.StartAsync(connectionString, Key), connectionString);
    }

    private static Dictionary<string, string> Environment(PostgrestStandIn server, bool withUrl = true)
    {
        var environment = new Dictionary<string, string> { ["SUPABASE_SERVICE_ROLE_KEY"] = Key };
        if (withUrl)
        {
            environment["SUPABASE_URL"] = server.Url.ToString();
        }

        return environment;
    }

    private static void AssertNoKey(params CliResult[] results)
    {
        foreach (CliResult result in results)
        {
            Assert.DoesNotContain(Key, result.Stdout);
            Assert.DoesNotContain(Key, result.Stderr);
        }
    }

    [PostgresFact]
    public async Task A_dry_run_sends_nothing_then_the_sync_stores_the_latest_version_of_every_record_once()
    {
        (PostgrestStandIn server, string connectionString) = await StartAsync();
        await using PostgrestStandIn running = server;
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, Trades);
        Dictionary<string, string> environment = Environment(server);

        CliResult dry = (await Tool.RunAsync(environment, "sync-supabase", "--data", dir.Path, "--dry-run", "--verbose")).Expect(0);
        Assert.Contains("dry run: nothing was sent", dry.Stdout);
        Assert.Contains("to send: 60 (48 complete) in 1 request(s)", dry.Stdout);
        Assert.Contains("sent: 0", dry.Stdout);
        Assert.Empty(server.Requests);
        Assert.Contains("key *** (from SUPABASE_SERVICE_ROLE_KEY)", dry.Stderr);

        CliResult sync = (await Tool.RunAsync(environment, "sync-supabase", "--data", dir.Path, "--verbose")).Expect(0);
        Assert.Contains("sent: 60", sync.Stdout);
        Assert.Contains("sync-supabase: 100% (60/60 records sent)", sync.Stderr);
        var rows = await Db.RowsAsync(connectionString, "public.vince_paper_bot_features");
        Assert.Equal(Trades, rows.Count);
        for (int i = 0; i < Trades; i++)
        {
            Db.AssertPayloadAsRecorded(TradeData.IsCompleted(i) ? TradeData.Complete(i) : TradeData.Decision(i), rows[$"t-{i:D4}"].Payload);
        }

        int posts = server.Requests.Count(r => r.Method == "POST");
        CliResult again = (await Tool.RunAsync(environment, "sync-supabase", "--data", dir.Path)).Expect(0);
        Assert.Contains("already sent: 60", again.Stdout);
        Assert.Contains("sent: 0", again.Stdout);
        Assert.Equal(posts, server.Requests.Count(r => r.Method == "POST"));
        AssertNoKey(dry, sync, again);
    }

    [PostgresFact]
    public async Task A_refused_key_or_a_missing_table_fails_with_exit_1_and_the_url_option_replaces_the_environment()
    {
        (PostgrestStandIn server, _) = await StartAsync(createTable: false);
        await using PostgrestStandIn running = server;
        using var dir = new TempDirectory();
        await TradeData.WriteAsync(dir.Path, 5);

        // No SUPABASE_URL: --url gives it.
        CliResult missingTable = (await Tool.RunAsync(Environment(server, withUrl: false), "sync-supabase", "--data", dir.Path, "--url", server.Url.ToString())).Expect(1);
        Assert.Contains("vince-features sync-supabase: error:", missingTable.Stderr);
        Assert.Contains("PGRST205", missingTable.Stderr);

        var wrongKey = new Dictionary<string, string> { ["SUPABASE_URL"] = server.Url.ToString(), ["SUPABASE_ANON_KEY"] = "wrong-" + Key };
        CliResult refused = (await Tool.RunAsync(wrongKey, "sync-supabase", "--data", dir.Path, "--verbose")).Expect(1);
        Assert.Contains("401", refused.Stderr);
        Assert.Contains("(from SUPABASE_ANON_KEY)", refused.Stderr);
        AssertNoKey(missingTable, refused);
        Assert.DoesNotContain("wrong-", refused.Stderr);
        Assert.False(File.Exists(Path.Combine(dir.Path, ".supabase-sync.json")));
    }

    [PostgresFact]
    public async Task Models_pushed_from_one_directory_are_pulled_into_another_and_score_there()
    {
        (PostgrestStandIn server, _) = await StartAsync(createTable: false);
        await using PostgrestStandIn running = server;
        server.CreateBucket();
        using var dir = new TempDirectory();
        string trained = dir.File("trained");
        Directory.CreateDirectory(trained);
        string modelPath = Path.Combine(trained, "signal_quality.onnx");
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), modelPath);
        MetadataJson.For(SignalQualityRecords.FeatureNames).WithHash(modelPath).Save(Path.Combine(trained, "training_metadata.json"));
        Dictionary<string, string> environment = Environment(server);

        CliResult push = (await Tool.RunAsync(environment, "models", "push", "--models", trained)).Expect(0);
        Assert.Contains($"uploaded 2 file(s) from {trained} to supabase:vince-ml-models:", push.Stdout);
        Assert.True(push.Stdout.IndexOf("signal_quality.onnx", StringComparison.Ordinal) < push.Stdout.IndexOf("training_metadata.json", StringComparison.Ordinal));

        string models = dir.File("models");
        var pullEnvironment = new Dictionary<string, string>(environment) { ["VINCE_ML_MODELS_DIR"] = models };
        CliResult pull = (await Tool.RunAsync(pullEnvironment, "models", "pull")).Expect(0);
        Assert.Contains($"installed 2 file(s) from supabase:vince-ml-models into {models}:", pull.Stdout);
        Assert.Equal(File.ReadAllBytes(modelPath), File.ReadAllBytes(Path.Combine(models, "signal_quality.onnx")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(trained, "training_metadata.json")), File.ReadAllBytes(Path.Combine(models, "training_metadata.json")));

        string record = dir.File("record.json");
        File.WriteAllText(record, FeatureJson.Serialize(SignalQualityRecords.Decision(1)));
        (await Tool.RunAsync(pullEnvironment, "score", "--record", record)).Expect(0);

        int requests = server.Requests.Count;
        CliResult again = (await Tool.RunAsync(pullEnvironment, "models", "pull")).Expect(0);
        Assert.Contains("already has .onnx files: nothing was downloaded", again.Stdout);
        Assert.Equal(requests, server.Requests.Count);
        AssertNoKey(push, pull, again);
    }

    [PostgresFact]
    public async Task Pulling_from_an_empty_bucket_and_pushing_an_incomplete_set_fail_with_exit_1()
    {
        (PostgrestStandIn server, _) = await StartAsync(createTable: false);
        await using PostgrestStandIn running = server;
        server.CreateBucket();
        using var dir = new TempDirectory();
        Dictionary<string, string> environment = Environment(server);

        CliResult pull = (await Tool.RunAsync(environment, "models", "pull", "--models", dir.File("models"))).Expect(1);
        Assert.Contains("supabase:vince-ml-models holds no model set", pull.Stdout + pull.Stderr);

        string trained = dir.File("trained");
        Directory.CreateDirectory(trained);
        JsonObject metadata = MetadataJson.For(SignalQualityRecords.FeatureNames);
        metadata.Save(Path.Combine(trained, "training_metadata.json")); // lists signal_quality, whose file is missing
        CliResult push = (await Tool.RunAsync(environment, "models", "push", "--models", trained)).Expect(1);
        Assert.Contains("training_metadata.json lists signal_quality.onnx, which is not in", push.Stderr);
        Assert.DoesNotContain(server.Requests, r => r.Method is "POST" or "PUT");
    }
}
