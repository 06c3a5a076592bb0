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
        string run = Assert.Single(Directory.GetDirectories(Path.Combine(server.StorageRoot, "vince-ml-models", "runs")).Select(Path.GetFileName))!;
        Assert.Contains($"published {trained} to supabase:vince-ml-models as run {run}; latest.json points to it.", push.Stdout);

        string models = dir.File("models");
        var pullEnvironment = new Dictionary<string, string>(environment) { ["VINCE_ML_MODELS_DIR"] = models };
        CliResult pull = (await Tool.RunAsync(pullEnvironment, "models", "pull")).Expect(0);
        Assert.Contains($"installed run {run} (", pull.Stdout);
        Assert.Contains($"from supabase:vince-ml-models into {models}:", pull.Stdout);
        Assert.Equal(File.ReadAllBytes(modelPath), File.ReadAllBytes(Path.Combine(models, "signal_quality.onnx")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(trained, "training_metadata.json")), File.ReadAllBytes(Path.Combine(models, "training_metadata.json")));

        string record = dir.File("record.json");
        File.WriteAllText(record, FeatureJson.Serialize(SignalQualityRecords.Decision(1)));
        (await Tool.RunAsync(pullEnvironment, "score", "--record", record)).Expect(0);

        int requests = server.Requests.Count;
        CliResult again = (await Tool.RunAsync(pullEnvironment, "models", "pull")).Expect(0);
        Assert.Contains($"{models} already holds run {run}, the latest of supabase:vince-ml-models: nothing was downloaded.", again.Stdout);
        Assert.Equal(requests + 1, server.Requests.Count); // latest.json only
        AssertNoKey(push, pull, again);
    }

    [PostgresFact]
    public async Task Models_list_shows_the_runs_and_pull_version_rolls_back_one_directory_or_with_set_latest_every_instance()
    {
        (PostgrestStandIn server, _) = await StartAsync(createTable: false);
        await using PostgrestStandIn running = server;
        server.CreateBucket();
        using var dir = new TempDirectory();
        Dictionary<string, string> environment = Environment(server);
        string first = dir.File("first");
        string second = dir.File("second");
        foreach ((string set, string trainedAt, string lastTrainAt) in new[] { (first, "2026-01-22T10:00:00", "1769076000000"), (second, "2026-01-23T10:00:00", "1769162400000") })
        {
            Directory.CreateDirectory(set);
            string model = Path.Combine(set, "signal_quality.onnx");
            OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), model);
            JsonObject metadata = MetadataJson.For(SignalQualityRecords.FeatureNames).WithHash(model);
            metadata["trained_at"] = trainedAt;
            metadata.Save(Path.Combine(set, "training_metadata.json"));
            File.WriteAllText(Path.Combine(set, "last_train_at.txt"), lastTrainAt);
            (await Tool.RunAsync(environment, "models", "push", "--models", set)).Expect(0);
        }

        string[] runs = [.. Directory.GetDirectories(Path.Combine(server.StorageRoot, "vince-ml-models", "runs")).Select(d => Path.GetFileName(d)!).Order(StringComparer.Ordinal)];
        Assert.Equal(2, runs.Length);
        Assert.StartsWith("20260122T100000000Z-", runs[0], StringComparison.Ordinal);
        CliResult list = (await Tool.RunAsync(environment, "models", "list")).Expect(0);
        string[] lines = list.Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Matches($"^{runs[1]} +2026-01-23T10:00:00Z +latest", lines[0]);
        Assert.Matches($"^{runs[0]} +2026-01-22T10:00:00Z +published", lines[1]);

        string models = dir.File("models");
        (await Tool.RunAsync(environment, "models", "pull", "--models", models)).Expect(0);
        Assert.Equal(File.ReadAllBytes(Path.Combine(second, "training_metadata.json")), File.ReadAllBytes(Path.Combine(models, "training_metadata.json")));

        // Rollback of this directory: the older run, while latest.json stays.
        CliResult rollback = (await Tool.RunAsync(environment, "models", "pull", "--models", models, "--run", runs[0])).Expect(0);
        Assert.Contains($"installed run {runs[0]}", rollback.Stdout);
        Assert.Equal(File.ReadAllBytes(Path.Combine(first, "training_metadata.json")), File.ReadAllBytes(Path.Combine(models, "training_metadata.json")));
        Assert.Matches($"^{runs[1]} .* latest", (await Tool.RunAsync(environment, "models", "list")).Expect(0).Stdout.Split('\n')[0]);

        // With --set-latest every instance follows: latest.json points to the older run, no new run is made.
        CliResult fleet = (await Tool.RunAsync(environment, "models", "pull", "--models", models, "--run", runs[0], "--set-latest")).Expect(0);
        Assert.Contains($"latest.json of supabase:vince-ml-models now points to run {runs[0]}.", fleet.Stdout);
        Assert.Equal(2, Directory.GetDirectories(Path.Combine(server.StorageRoot, "vince-ml-models", "runs")).Length);
        string after = (await Tool.RunAsync(environment, "models", "list")).Expect(0).Stdout;
        Assert.Matches($"(?m)^{runs[0]} .* latest", after);
        Assert.Matches($"(?m)^{runs[1]} .* published", after);

        (await Tool.RunAsync(environment, "models", "pull", "--models", models, "--run", "20200101T000000000Z-000000000000")).Expect(1);
        (await Tool.RunAsync(environment, "models", "pull", "--models", models, "--set-latest")).Expect(2);
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
