using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Training;

/// <summary>
/// <c>.AddTrainingWhenReady(...)</c> in a real host on a fake clock: the interval, the minimum number of complete trades
/// (counted from the real JSONL log), the 24-hour rule across a restart (state on disk), validation at start-up, and a
/// pluggable trainer. Trainings are real processes (fake trainer scripts) producing real ONNX models.
/// </summary>
public sealed class TrainingWhenReadyServiceTests : IDisposable
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 23, 8, 0, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();
    private readonly List<IHost> _hosts = [];
    private int _files;

    public TrainingWhenReadyServiceTests()
    {
        TrainedSets.WriteTrees(TreesSet);
        Directory.CreateDirectory(Features);
    }

    private string Models => Path.Combine(_dir.Path, "models");

    private string Features => Path.Combine(_dir.Path, "features");

    private string TreesSet => Path.Combine(_dir.Path, "fixtures", "trees");

    public void Dispose()
    {
        foreach (IHost host in _hosts)
        {
            host.Dispose();
        }

        _dir.Dispose();
    }

    /// <summary>Appends <paramref name="count"/> complete trades to the JSONL log (a new file each time, as a restarted store writes).</summary>
    private void WriteCompleteTrades(int count)
    {
        _files++;
        string file = Path.Combine(Features, $"features_2026-01-22_{1_769_000_000_000L + _files}.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, count).Select(i => TestRecords.Line(TestRecords.Complete($"trade-{_files}-{i}", TestRecords.BaseTime + (_files * 1000) + i))));
    }

    private IHost Host(FakeTimeProvider time, Action<TrainingWhenReadyOptions> configure, Action<IServiceCollection>? services = null)
    {
        HostApplicationBuilder builder = Microsoft.Extensions.Hosting.Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(new FakeLoggerProvider(_logs));
        builder.Services.AddSingleton<TimeProvider>(time);
        services?.Invoke(builder.Services);
        builder.Services
            .AddVinceFeatureStore(o =>
            {
                o.DataDirectory = Features;
                o.FsyncOnWrite = false;
            })
            .AddOnnxScoring(o =>
            {
                o.ModelsDirectory = Models;
                o.WatchForChanges = false;
            })
            .AddTrainingWhenReady(configure);
        IHost host = builder.Build();
        _hosts.Add(host);
        return host;
    }

    private FakeTrainerScript Script() => new(Path.Combine(_dir.Path, "scripts"), FakeTrainerScript.CopySet(TreesSet));

    private static Action<TrainingWhenReadyOptions> With(FakeTrainerScript script, int minSamples) => t =>
    {
        t.MinSamples = minSamples;
        t.ExternalProcess.Command = "bash";
        t.ExternalProcess.ScriptPath = script.ScriptPath;
    };

    private static TrainingWhenReadyService Service(IHost host) => host.Services.GetServices<IHostedService>().OfType<TrainingWhenReadyService>().Single();

    private static Task ChecksAsync(TrainingWhenReadyService service, int count)
        => TestStores.EventuallyAsync(() => service.ChecksCompleted >= count, $"{count} training check(s)");

    private static List<DateTimeOffset> CheckTimes(TrainingWhenReadyService service)
    {
        lock (service.CheckTimes)
        {
            return [.. service.CheckTimes];
        }
    }

    [Fact]
    public async Task Checks_hourly_and_trains_once_the_log_holds_MinSamples_complete_trades()
    {
        var time = new FakeTimeProvider(T0);
        FakeTrainerScript script = Script();
        var bucket = new DirectoryBucket(Path.Combine(_dir.Path, "bucket"));
        WriteCompleteTrades(4);
        using IHost host = Host(time, With(script, minSamples: 5), s => s.AddSingleton<IModelBucket>(bucket));
        await host.StartAsync();
        TrainingWhenReadyService service = Service(host);
        OnnxSignalQualityScorer scorer = host.Services.GetRequiredService<OnnxSignalQualityScorer>();

        await ChecksAsync(service, 1);
        Assert.Empty(script.Calls()); // 4 < 5
        Assert.Null(scorer.Model);
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3041 && r.Message == "Not training: 4 complete trade(s), 5 needed");

        WriteCompleteTrades(1);
        time.Advance(TimeSpan.FromMinutes(59));
        time.Advance(TimeSpan.FromMinutes(1));
        await ChecksAsync(service, 2);

        Assert.Equal([T0, T0.AddHours(1)], CheckTimes(service));
        (string data, _, string minSamples) = Assert.Single(script.Calls());
        // The trainer read the run's snapshot of the log (beside the models directory, gone after the run): one line per record.
        Assert.Equal("5", minSamples);
        Assert.StartsWith(Path.Combine(Path.GetDirectoryName(Path.GetFullPath(Models))!, ".models.snapshot-"), data, StringComparison.Ordinal);
        Assert.False(Directory.Exists(data));
        Assert.Equal(5, script.DataLines(1).Count);
        Assert.Equal(
            (await new FeatureLogReader(Features).ReadRecordsAsync().ToListAsync()).Select(r => r.Id),
            script.DataLines(1).Select(l => FeatureJson.Deserialize(l).Id));
        Assert.Equal(T0.AddHours(1), LastTrainAt.Read(Models));
        Assert.Equal(File.ReadAllBytes(Path.Combine(TreesSet, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Equal(File.ReadAllBytes(Path.Combine(Models, "training_metadata.json")), File.ReadAllBytes(Path.Combine(bucket.Root, "training_metadata.json")));
        Assert.Contains("\"data_source\": {\"kind\":\"jsonl\"", File.ReadAllText(Path.Combine(Models, "training_metadata.json")), StringComparison.Ordinal);
        Assert.Equal(TrainedSets.ExpectedTrees(Decision(3)), scorer.Score(Decision(3)).Probability, 1e-6);

        // The next check is due an hour after the last one started; the 24-hour rule keeps it from training.
        time.Advance(TimeSpan.FromHours(1));
        await ChecksAsync(service, 3);
        Assert.Equal(T0.AddHours(2), CheckTimes(service)[2]);
        Assert.Single(script.Calls());
        await host.StopAsync();
    }

    [Fact]
    public async Task A_restarted_host_does_not_train_again_within_24_hours_of_the_last_training()
    {
        FakeTrainerScript script = Script();
        WriteCompleteTrades(3);
        using (IHost first = Host(new FakeTimeProvider(T0), With(script, minSamples: 3)))
        {
            await first.StartAsync();
            await ChecksAsync(Service(first), 1);
            await first.StopAsync();
        }

        Assert.Single(script.Calls());
        Assert.Equal(T0, LastTrainAt.Read(Models));

        // Restarted two hours later: the state on disk says the last training was at T0.
        var time = new FakeTimeProvider(T0.AddHours(2));
        using IHost second = Host(time, With(script, minSamples: 3));
        await second.StartAsync();
        TrainingWhenReadyService service = Service(second);
        await ChecksAsync(service, 1);
        Assert.Single(script.Calls());
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3042 && r.Message.Contains(T0.AddHours(24).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        for (int hour = 3; hour <= 23; hour++)
        {
            time.Advance(TimeSpan.FromHours(1));
            await ChecksAsync(service, hour - 1);
            Assert.Single(script.Calls());
        }

        time.Advance(TimeSpan.FromHours(1));
        await ChecksAsync(service, 23);

        Assert.Equal(T0.AddHours(24), CheckTimes(service)[^1]);
        Assert.Equal(2, script.Calls().Count);
        Assert.Equal(T0.AddHours(24), LastTrainAt.Read(Models));
        Assert.Equal(1, service.TrainingsStarted);
        await second.StopAsync();
    }

    /// <summary>Writes complete trades at <paramref name="start"/> + one minute each: <paramref name="wins"/> wins, then <paramref name="losses"/> losses.</summary>
    private void WriteTrades(DateTimeOffset start, int wins, int losses)
    {
        _files++;
        string file = Path.Combine(Features, $"features_2026-01-22_{1_769_000_000_000L + _files}.jsonl");
        File.WriteAllLines(file, Enumerable.Range(0, wins + losses).Select(i => TestRecords.Line(
            TestRecords.Complete($"trade-{_files}-{i}", start.AddMinutes(i).ToUnixTimeMilliseconds(), pnl: i < wins ? 150 : -80))));
    }

    [Theory]
    [InlineData(30, 20, 30, true)]  // the last 50: 20 wins = 40 % (all 80 recent ones: 62 %)
    [InlineData(0, 18, 22, false)]  // 18 of 40 = 45 %: not below
    [InlineData(0, 0, 19, false)]   // 19 recent trades: fewer than 20, however bad
    public async Task Inside_24_hours_an_early_retrain_runs_only_when_the_recent_win_rate_is_below_45_percent(int earlierWins, int wins, int losses, bool retrains)
    {
        Directory.CreateDirectory(Models);
        LastTrainAt.Write(Models, T0.AddHours(-1));
        WriteTrades(T0.AddDays(-40), wins: 60, losses: 0); // outside the 30 days
        WriteTrades(T0.AddDays(-3), wins: earlierWins, losses: 0);
        WriteTrades(T0.AddDays(-2), wins, losses);
        FakeTrainerScript script = Script();
        using IHost host = Host(new FakeTimeProvider(T0), With(script, minSamples: 5));

        await host.StartAsync();
        await ChecksAsync(Service(host), 1);

        Assert.Equal(retrains ? 1 : 0, script.Calls().Count);
        Assert.Equal(retrains, _logs.GetSnapshot().Any(r => r.Id.Id == 3065));
        Assert.Equal(!retrains, _logs.GetSnapshot().Any(r => r.Id.Id == 3042));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_restart_with_an_empty_models_directory_reads_the_last_training_time_from_the_registry()
    {
        // Another instance (or this one before a redeploy) trained two hours ago and published the run.
        var bucket = new DirectoryBucket(Path.Combine(_dir.Path, "bucket"));
        string published = Path.Combine(_dir.Path, "published");
        TrainedSets.WriteTrees(published);
        LastTrainAt.Write(published, T0.AddHours(-2));
        await bucket.PublishAsync(published);
        FakeTrainerScript script = Script();
        WriteCompleteTrades(3);

        var time = new FakeTimeProvider(T0);
        // No start-up download: the models directory stays empty, so only the registry knows the time.
        using IHost host = Host(time, With(script, minSamples: 3), s => s.AddSingleton<IModelBucket>(bucket).Configure<OnnxScoringOptions>(o => o.DownloadLatestModels = false));
        await host.StartAsync();
        TrainingWhenReadyService service = Service(host);
        await ChecksAsync(service, 1);

        Assert.Empty(script.Calls());
        Assert.False(File.Exists(Path.Combine(Models, LastTrainAt.FileName)));
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3042 && r.Message.Contains(T0.AddHours(22).ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal));

        // 22 hours later the registry's time is 24 hours old: the next check trains.
        time.Advance(TimeSpan.FromHours(22));
        await ChecksAsync(service, 2);
        Assert.Single(script.Calls());
        await host.StopAsync();
    }

    [Theory]
    [InlineData("not a number")]
    [InlineData("99999999999999")] // year 5138: a clock set wrong once must not block training for millennia
    public async Task An_unreadable_or_future_last_training_time_is_ignored_with_a_warning(string content)
    {
        Directory.CreateDirectory(Models);
        File.WriteAllText(Path.Combine(Models, LastTrainAt.FileName), content);
        FakeTrainerScript script = Script();
        WriteCompleteTrades(2);
        using IHost host = Host(new FakeTimeProvider(T0), With(script, minSamples: 2));

        await host.StartAsync();
        await ChecksAsync(Service(host), 1);

        Assert.Single(script.Calls());
        FakeLogRecord warning = Assert.Single(_logs.GetSnapshot(), r => r.Id.Id == 3044);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Equal(T0, LastTrainAt.Read(Models));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_registered_source_is_counted_and_trained_from_when_the_local_log_is_empty()
    {
        // The local log is empty (a fresh deploy); the shared store holds the corpus: it is counted and is what the trainer reads.
        string shared = Path.Combine(_dir.Path, "shared-store");
        Directory.CreateDirectory(shared);
        File.WriteAllLines(Path.Combine(shared, "features_2026-01-01_1767225600000.jsonl"),
            Enumerable.Range(1, 3).Select(i => FeatureJson.Serialize(TestRecords.Complete($"shared-{i}", TestRecords.BaseTime + i))));
        var source = new FeatureSource(FeatureSourceKind.Postgres, new FeatureLogReader(shared), "the shared test store");
        FakeTrainerScript script = Script();
        using IHost host = Host(new FakeTimeProvider(T0), With(script, minSamples: 3), s => s.AddSingleton(source));

        await host.StartAsync();
        await ChecksAsync(Service(host), 1);

        Assert.Single(script.Calls());
        Assert.Equal(["shared-1", "shared-2", "shared-3"], script.DataLines(1).Select(l => FeatureJson.Deserialize(l).Id));
        using JsonDocument manifest = JsonDocument.Parse(script.SnapshotManifest(1)!);
        Assert.Equal("postgres", manifest.RootElement.GetProperty("kind").GetString());
        Assert.Equal(3, manifest.RootElement.GetProperty("records").GetInt32());
        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3040 && r.Message.Contains("(counted from the shared test store)", StringComparison.Ordinal));
        await host.StopAsync();
    }

    [Fact]
    public async Task A_named_source_that_is_not_configured_fails_the_start()
    {
        FakeTrainerScript script = Script();
        using IHost host = Host(new FakeTimeProvider(T0), t =>
        {
            With(script, minSamples: 3)(t);
            t.Source = FeatureSourceKind.Supabase;
        });

        InvalidOperationException error = await Assert.ThrowsAsync<InvalidOperationException>(() => host.StartAsync());
        Assert.Contains("no Supabase store is registered", error.Message, StringComparison.Ordinal);
        Assert.Empty(script.Calls());
    }

    [Fact]
    public async Task Another_trainer_plugs_in_through_UseTrainer_and_the_python_settings_are_not_required()
    {
        WriteCompleteTrades(2);
        var trainer = new CopyingTrainer(TreesSet);
        using IHost host = Host(new FakeTimeProvider(T0), t =>
        {
            t.MinSamples = 2;
            t.ExternalProcess.ScriptPath = Path.Combine(_dir.Path, "no-such-script.py"); // ignored: not the trainer in use
            t.UseTrainer(sp => trainer);
        });

        await host.StartAsync();
        await ChecksAsync(Service(host), 1);

        Assert.Equal(1, trainer.Calls);
        Assert.Equal(2, trainer.LastRequest!.MinSamples);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TreesSet, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Same(trainer, host.Services.GetRequiredService<ModelTrainingRunner>().Trainer);
        await host.StopAsync();
    }

    [Fact]
    public async Task Invalid_options_stop_the_start_with_every_problem_named()
    {
        using IHost host = Host(new FakeTimeProvider(T0), t =>
        {
            t.MinSamples = 0;
            t.CheckInterval = TimeSpan.Zero;
            t.ExternalProcess.Command = "vince-no-such-python";
            t.ExternalProcess.ScriptPath = Path.Combine(_dir.Path, "missing.py");
        });

        OptionsValidationException error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("VinceTrainingWhenReady: MinSamples must be at least 1 (was 0).", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("VinceTrainingWhenReady: CheckInterval", StringComparison.Ordinal));
        Assert.Contains("VinceTrainingWhenReady: ExternalProcess.Command 'vince-no-such-python' is not found on PATH.", error.Failures);
        Assert.Contains(error.Failures, f => f.StartsWith("VinceTrainingWhenReady: ExternalProcess.ScriptPath", StringComparison.Ordinal) && f.Contains("missing.py", StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_match_the_bots_task()
    {
        var options = new TrainingWhenReadyOptions();

        Assert.Equal(90, options.MinSamples);
        Assert.Equal(TimeSpan.FromHours(1), options.CheckInterval);
        Assert.Equal(TimeSpan.FromHours(24), options.MinTimeBetweenTrainings);
        Assert.Null(options.TrainerFactory);
        Assert.Equal("python3", options.ExternalProcess.Command);
    }

    /// <summary>An in-process trainer (as the .NET trainer of issue 8 will be) that writes a prepared set.</summary>
    private sealed class CopyingTrainer(string set) : IModelTrainer
    {
        public int Calls { get; private set; }

        public ModelTrainingRequest? LastRequest { get; private set; }

        public string Name => "copying";

        public Task<ModelTrainingResult> TrainAsync(ModelTrainingRequest request, CancellationToken cancellationToken = default)
        {
            Calls++;
            LastRequest = request;
            foreach (string file in Directory.EnumerateFiles(set))
            {
                File.Copy(file, Path.Combine(request.OutputDirectory, Path.GetFileName(file)));
            }

            return Task.FromResult(new ModelTrainingResult { OutputDirectory = request.OutputDirectory, Output = "copied" });
        }
    }
}
