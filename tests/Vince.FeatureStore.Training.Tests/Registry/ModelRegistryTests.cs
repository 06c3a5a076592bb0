using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Onnx.Training;
using Vince.FeatureStore.Supabase;
using Vince.FeatureStore.Supabase.Tests.Support;
using Vince.FeatureStore.Training.Tests.Support;
using Xunit.Abstractions;

namespace Vince.FeatureStore.Training.Tests.Registry;

/// <summary>
/// The model registry and the quality gate end to end: real models from the .NET trainer, real files, the Supabase
/// Storage stand-in over HTTP (file-backed), real hosts. One host trains and publishes; a second one, polling
/// <c>latest.json</c>, installs the run and scores with it. A challenger trained on a history whose older outcomes carry
/// no signal is refused by the gate on the same (real) holdout rows, and <c>force</c> publishes it anyway.
/// </summary>
public sealed class ModelRegistryTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string Key = "sb-service-registry-test-key";
    private const int Trades = 600;

    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();
    private readonly HttpClient _http = new() { Timeout = Timeout.InfiniteTimeSpan };
    private PostgrestStandIn _server = null!;

    private string Bucket => Path.Combine(_server.StorageRoot, SupabaseModelStore.DefaultBucket);

    public async Task InitializeAsync()
    {
        // Storage is file-backed in the stand-in; the PostgREST part (never called here) would need a database.
        _server = await PostgrestStandIn.StartAsync("Host=127.0.0.1;Port=1;Database=unused", Key);
        _server.CreateBucket();
    }

    public async Task DisposeAsync()
    {
        _http.Dispose();
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private SupabaseModelStore Store() => new(new SupabaseOptions { Url = _server.Url, ApiKey = Key, InitialRetryDelay = TimeSpan.FromMilliseconds(5) }, _http);

    private static DotnetModelTrainer Trainer() => new(new DotnetTrainerOptions { NumberOfTrees = 20 });

    private ModelTrainingRunner Runner(string features, string models)
        => new(Trainer(), features, models, minSamples: 90, bucket: Store(), logger: new FakeLoggerProvider(_logs).CreateLogger("runner"));

    private string Path_(string name) => Path.Combine(_dir.Path, name);

    private IHost Host(string features, string models, Action<FeatureStoreBuilder> add)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        builder.Services.AddSingleton<IModelBucket>(Store());
        FeatureStoreBuilder store = builder.Services.AddVinceFeatureStore(o =>
        {
            o.DataDirectory = features;
            o.FsyncOnWrite = false;
        });
        add(store.AddOnnxScoring(o => o.ModelsDirectory = models));
        return builder.Build();
    }

    private static double MetadataHoldoutAuc(string directory)
    {
        using JsonDocument metadata = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(directory, "training_metadata.json")));
        return metadata.RootElement.GetProperty("improvement_report").GetProperty("holdout_metrics").GetProperty("signal_quality").GetProperty("holdout_auc").GetDouble();
    }

    private string LatestRun()
    {
        using JsonDocument latest = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(Bucket, "latest.json")));
        return latest.RootElement.GetProperty("run").GetString()!;
    }

    [Fact]
    public async Task Training_publishes_a_run_and_moves_latest_and_a_second_instance_picks_it_up_within_its_poll_interval()
    {
        string features = Path_("features");
        await TradeDataSet.WriteAsync(features, Trades);
        string trainerModels = Path_("trainer-models");
        string otherModels = Path_("other-models");
        TimeSpan poll = TimeSpan.FromSeconds(1);

        // The second instance starts first, with nothing to download, and polls every second.
        using IHost other = Host(Path_("other-features"), otherModels, s => s.Services.Configure<OnnxScoringOptions>(o => o.ModelPollInterval = poll));
        await other.StartAsync();
        OnnxSignalQualityScorer otherScorer = other.Services.GetRequiredService<OnnxSignalQualityScorer>();
        Assert.Null(otherScorer.Model);

        using IHost trainer = Host(features, trainerModels, s => s.AddTrainingWhenReady(t => t.UseDotnetTrainer(o => o.NumberOfTrees = 20)));
        await trainer.StartAsync();
        await TestStores.EventuallyAsync(() => _logs.GetSnapshot().Any(r => r.Id.Id is 3035 or 3033 or 3061), "the training and its publication", 180_000);
        FakeLogRecord published = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 3035);
        // The poll logs after its reload, and the directory watcher may reload first: wait for the poll's own record.
        await TestStores.EventuallyAsync(() => _logs.GetSnapshot().Any(r => r.Id.Id == 3066), "the polling instance installs the run", 30_000);
        FakeLogRecord installed = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 3066);
        Assert.NotNull(otherScorer.Model);

        // Picked up by the first poll after the publication: within one interval (plus the download and load).
        TimeSpan delay = installed.Timestamp - published.Timestamp;
        Assert.True(delay < poll + TimeSpan.FromSeconds(10), $"installed {delay} after the publication");

        // The registry: one run folder with every file of the set, then latest.json pointing to it.
        string run = LatestRun();
        Assert.Contains(run, published.Message, StringComparison.Ordinal);
        string folder = Path.Combine(Bucket, "runs", run);
        string[] files = [.. Directory.EnumerateFiles(folder).Select(f => Path.GetFileName(f)!).Order(StringComparer.Ordinal)];
        foreach (string expected in new[] { "signal_quality.onnx", "position_sizing.onnx", "tp_optimizer.onnx", "sl_optimizer.onnx", "training_metadata.json",
                     "signal_quality_features.json", "improvement_report.md", "last_train_at.txt", "run.json" })
        {
            Assert.Contains(expected, files);
        }

        // Both instances score with the same new set.
        OnnxSignalQualityScorer trainerScorer = trainer.Services.GetRequiredService<OnnxSignalQualityScorer>();
        await TestStores.EventuallyAsync(() => trainerScorer.Model is not null, "the training instance reloads", 30_000);
        Assert.Equal(File.ReadAllBytes(Path.Combine(folder, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(otherModels, "signal_quality.onnx")));
        Assert.Equal(trainerScorer.Model!.ModelSha256, otherScorer.Model!.ModelSha256);
        FeatureRecord decision = TestRecords.Decision("new");
        Assert.Equal(trainerScorer.Score(decision).Probability, otherScorer.Score(decision).Probability, 1e-9);
        await trainer.StopAsync();
        await other.StopAsync();
    }

    [Fact]
    public async Task A_weaker_challenger_is_rejected_on_the_same_holdout_and_the_champion_stays_until_force_publishes_it()
    {
        // The champion: trained on a history with a real signal, published.
        string championData = Path_("champion-features");
        await TradeDataSet.WriteAsync(championData, Trades);
        using ModelTrainingRunner first = Runner(championData, Path_("models"));
        ModelTrainingRunResult champion = await first.RunOnceAsync();
        Assert.Equal(ModelTrainingRunOutcome.Installed, champion.Outcome);
        string championRun = champion.Run!.Id;
        Assert.Equal(championRun, LatestRun());

        // The challenger: a redeployed instance with an empty models directory and another history, whose older 80 %
        // of outcomes are coin flips. Its holdout (the newest 20 %) has real outcomes, so both models are judged on them.
        string challengerData = Path_("challenger-features");
        await TradeDataSet.WriteAsync(challengerData, Trades, seed: 12, noEdgeBefore: Trades * 4 / 5);
        string redeployed = Path_("redeployed-models");
        using ModelTrainingRunner second = Runner(challengerData, redeployed);
        ModelTrainingRunResult rejected = await second.RunOnceAsync();

        Assert.Equal(ModelTrainingRunOutcome.Rejected, rejected.Outcome);
        ModelGateResult gate = rejected.Gate!;
        output.WriteLine(gate.Reason);
        Assert.False(gate.Passed);
        Assert.Equal(Trades / 5, gate.HoldoutRows);
        Assert.Contains(championRun, gate.Champion, StringComparison.Ordinal);
        Assert.True(gate.ChampionAuc > 0.7, $"champion AUC {gate.ChampionAuc}");
        Assert.True(gate.ChallengerAuc < gate.ChampionAuc - 0.1, $"challenger AUC {gate.ChallengerAuc}, champion {gate.ChampionAuc}");
        // The gate's challenger figure is the trainer's own holdout AUC: the same rows.
        Assert.Equal(MetadataHoldoutAuc(rejected.Run is null ? throw new InvalidOperationException("no rejected run") : Path.Combine(Bucket, "runs", rejected.Run.Id)), gate.ChallengerAuc!.Value, 0.005);

        // Nothing moved: latest.json, the champion's local set; the refused run is kept with its reason.
        Assert.Equal(championRun, LatestRun());
        Assert.False(File.Exists(Path.Combine(redeployed, "signal_quality.onnx")));
        string rejectedFolder = Path.Combine(Bucket, "runs", rejected.Run.Id);
        using (JsonDocument reason = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(rejectedFolder, "rejected.json"))))
        {
            Assert.StartsWith("rejected: the new set's signal-quality AUC", reason.RootElement.GetProperty("reason").GetString(), StringComparison.Ordinal);
            Assert.Equal(gate.ChallengerAuc!.Value, reason.RootElement.GetProperty("challenger_auc").GetDouble(), 1e-9);
        }

        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3061 && r.Message.Contains(rejected.Run.Id, StringComparison.Ordinal));
        IReadOnlyList<ModelRun> runs = await Store().ListRunsAsync();
        Assert.Equal([ModelRunStatus.Rejected, ModelRunStatus.Latest], runs.Select(r => r.Status));

        // --force: the same refused set is installed and published, with the verdict recorded.
        ModelTrainingRunResult forced = await second.RunOnceAsync(force: true, CancellationToken.None);
        Assert.Equal(ModelTrainingRunOutcome.Installed, forced.Outcome);
        Assert.True(forced.Gate!.Forced);
        Assert.False(forced.Gate.ChallengerAuc >= forced.Gate.ChampionAuc - 0.01);
        Assert.Equal(forced.Run!.Id, LatestRun());
        Assert.NotEqual(championRun, LatestRun());
        Assert.True(File.Exists(Path.Combine(redeployed, "signal_quality.onnx")));
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3062);
    }

    [Fact]
    public async Task A_stronger_challenger_passes_the_gate_and_replaces_the_champion()
    {
        // The control of the test above: a challenger with a real signal throughout is not refused.
        string championData = Path_("champion-features");
        await TradeDataSet.WriteAsync(championData, 200, seed: 3);
        using ModelTrainingRunner first = Runner(championData, Path_("models"));
        Assert.Equal(ModelTrainingRunOutcome.Installed, (await first.RunOnceAsync()).Outcome);

        string challengerData = Path_("challenger-features");
        await TradeDataSet.WriteAsync(challengerData, Trades, seed: 12);
        using ModelTrainingRunner second = Runner(challengerData, Path_("models"));
        ModelTrainingRunResult result = await second.RunOnceAsync();

        output.WriteLine(result.Gate!.Reason);
        Assert.Equal(ModelTrainingRunOutcome.Installed, result.Outcome);
        Assert.True(result.Gate!.Passed);
        Assert.True(result.Gate.ChallengerAuc >= result.Gate.ChampionAuc - 0.01, result.Gate.Reason);
        Assert.Equal(result.Run!.Id, LatestRun());
    }
}
