using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.Supabase.Tests.Support;
using Vince.FeatureStore.ModelSets;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Supabase.Tests;

/// <summary>
/// The model bucket wired by <c>.AddSupabase()</c> against the Storage stand-in: a host with scoring downloads the set
/// before the scorer loads, and a host with train-when-ready uploads each new set after installing it. Real ONNX files,
/// a real trainer process (a fake trainer script) and real HTTP.
/// </summary>
public sealed class SupabaseModelBucketHostingTests(PostgresFixture fixture) : IClassFixture<PostgresFixture>
{
    private static Func<string, string?> Env(SupabaseHarness h) => name => name switch
    {
        "SUPABASE_URL" => h.Server.Url.ToString(),
        "SUPABASE_SERVICE_ROLE_KEY" => SupabaseHarness.ServiceKey,
        _ => null,
    };

    private static IHost BuildHost(TempDirectory dir, Func<string, string?> environment, FakeLogCollector logs, Action<FeatureStoreBuilder> add)
    {
        HostApplicationBuilder builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new FakeLoggerProvider(logs));
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = Path.Combine(dir.Path, "features");
            o.FsyncOnWrite = false;
            o.ShutdownTimeout = TimeSpan.FromSeconds(5);
        });
        SupabaseFeatureStoreBuilderExtensions.Add(store, o => o.InitialRetryDelay = TimeSpan.FromMilliseconds(5), environment);
        add(store);
        return builder.Build();
    }

    [PostgresFact]
    public async Task AddSupabase_registers_the_bucket_only_when_enabled()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();
        var logs = new FakeLogCollector();

        using IHost enabled = BuildHost(dir, Env(h), logs, _ => { });
        using IHost disabled = BuildHost(dir, _ => null, logs, _ => { });

        Assert.Equal("supabase:vince-ml-models", Assert.IsType<SupabaseModelStore>(enabled.Services.GetService<IModelBucket>()).Name);
        Assert.Null(disabled.Services.GetService<IModelBucket>());
    }

    [PostgresFact]
    public async Task A_scoring_host_with_an_empty_models_directory_downloads_the_set_before_scoring()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        string trained = Path.Combine(dir.Path, "trained");
        TrainedSets.WriteTrees(trained);
        await h.Sink().CreateModelStore().PublishAsync(trained);
        string models = Path.Combine(dir.Path, "models");
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir, Env(h), logs, store => store.AddOnnxScoring(o => o.ModelsDirectory = models));

        await host.StartAsync();

        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Equal(1, scorer.Model!.Version);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(5)), scorer.Score(Decision(5)).Probability, 1e-6);
        foreach (string file in new[] { "signal_quality.onnx", "position_sizing.onnx", "training_metadata.json" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(trained, file)), File.ReadAllBytes(Path.Combine(models, file)));
        }

        Assert.Contains(h.Server.Requests, r => r.Method == "GET" && r.PathAndQuery.EndsWith("/signal_quality.onnx", StringComparison.Ordinal));
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 3050);
        Assert.DoesNotContain(SupabaseHarness.ServiceKey, string.Join("\n", logs.GetSnapshot().Select(r => r.Message + r.Exception)), StringComparison.Ordinal);
        await host.StopAsync();
    }

    [PostgresFact]
    public async Task A_failed_download_at_start_up_leaves_the_scorer_without_a_model_and_the_host_running()
    {
        // The bucket was never created (the bootstrap SQL was not run): Storage answers 404 "Bucket not found".
        await using var h = await SupabaseHarness.StartAsync(fixture);
        using var dir = new TempDirectory();

        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir, Env(h), logs, store => store.AddOnnxScoring(o => o.ModelsDirectory = Path.Combine(dir.Path, "models")));

        await host.StartAsync();

        Assert.Null(host.Services.GetRequiredService<OnnxSignalQualityScorer>().Model);
        FakeLogRecord failed = Assert.Single(logs.GetSnapshot(), r => r.Id.Id == 3052);
        Assert.Contains("vince-ml-models", Assert.IsType<SupabaseRequestException>(failed.Exception).Message, StringComparison.Ordinal);
        await host.StopAsync();
    }

    [PostgresFact]
    public async Task A_training_host_uploads_the_new_set_to_the_bucket_after_installing_it()
    {
        await using var h = await SupabaseHarness.StartAsync(fixture);
        h.Server.CreateBucket();
        using var dir = new TempDirectory();
        string trained = Path.Combine(dir.Path, "trained");
        TrainedSets.WriteTrees(trained);
        var script = new FakeTrainerScript(Path.Combine(dir.Path, "scripts"), FakeTrainerScript.CopySet(trained));
        string features = Path.Combine(dir.Path, "features");
        Directory.CreateDirectory(features);
        File.WriteAllLines(Path.Combine(features, "features_2026-01-22_1769000000001.jsonl"),
            Enumerable.Range(0, 3).Select(i => TestRecords.Line(TestRecords.Complete($"trade-{i}", TestRecords.BaseTime + i))));
        string models = Path.Combine(dir.Path, "models");
        var logs = new FakeLogCollector();
        using IHost host = BuildHost(dir, Env(h), logs, store => store
            .AddOnnxScoring(o => o.ModelsDirectory = models)
            .AddTrainingWhenReady(t =>
            {
                // The three trades are in the local log; with Supabase configured, Auto would count the table, which the
                // sink may not have filled yet when the first check runs.
                t.Source = FeatureSourceKind.Jsonl;
                t.MinSamples = 3;
                t.ExternalProcess.Command = "bash";
                t.ExternalProcess.ScriptPath = script.ScriptPath;
            }));

        await host.StartAsync();
        // The runner uploads, then reloads the scorer: wait for the reload's outcome (3037 done, 3038 failed) too.
        await TestStores.EventuallyAsync(() => logs.GetSnapshot().Any(r => r.Id.Id is 3036 or 3033)
            || logs.GetSnapshot().Any(r => r.Id.Id is 3037 or 3038), "the training, its upload and the scorer reload");

        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 3035);
        Assert.Contains(logs.GetSnapshot(), r => r.Id.Id == 3037);
        string bucket = Path.Combine(h.Server.StorageRoot, "vince-ml-models");
        foreach (string file in new[] { "signal_quality.onnx", "position_sizing.onnx" })
        {
            Assert.Equal(File.ReadAllBytes(Path.Combine(trained, file)), File.ReadAllBytes(Path.Combine(bucket, file)));
            Assert.Equal(File.ReadAllBytes(Path.Combine(trained, file)), File.ReadAllBytes(Path.Combine(models, file)));
        }

        // The metadata is the trainer's plus the snapshot it trained on (data_source), the same in the bucket as installed.
        Assert.Equal(File.ReadAllBytes(Path.Combine(models, "training_metadata.json")), File.ReadAllBytes(Path.Combine(bucket, "training_metadata.json")));
        var installed = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Path.Combine(models, "training_metadata.json")))!.AsObject();
        Assert.NotNull(installed["data_source"]);
        installed.Remove("data_source");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Path.Combine(trained, "training_metadata.json"))), installed));

        // The run's files went up before latest.json pointing to them; the flat copies for the original bot end with the metadata.
        List<string> uploads = h.Server.Requests.Where(r => r.Method == "POST" && r.PathAndQuery.Contains("/storage/v1/object/vince-ml-models/", StringComparison.Ordinal)).Select(r => r.PathAndQuery).ToList();
        int pointer = uploads.FindIndex(u => u.EndsWith("/latest.json", StringComparison.Ordinal));
        Assert.True(pointer > 0 && uploads.Take(pointer).All(u => u.Contains("/runs/", StringComparison.Ordinal)), string.Join("\n", uploads));
        Assert.EndsWith("/training_metadata.json", uploads[^1], StringComparison.Ordinal);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(6)), host.Services.GetRequiredService<OnnxSignalQualityScorer>().Score(Decision(6)).Probability, 1e-6);
        await host.StopAsync();
    }
}
