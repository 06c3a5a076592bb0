using Microsoft.Extensions.Logging.Testing;
using Microsoft.Extensions.Time.Testing;
using Vince.FeatureStore.Onnx.Tests.Support;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;
using static Vince.FeatureStore.Onnx.Tests.Support.SignalQualityRecords;

namespace Vince.FeatureStore.Onnx.Tests.Training;

/// <summary>
/// One training from start to finish with real processes (fake trainer scripts), real model files, ONNX Runtime and a
/// real scorer: success installs the new set and the scorer scores with it; every failure leaves the old set
/// byte-identical, deletes the staging directory and logs the trainer's output.
/// </summary>
public sealed class ModelTrainingRunnerTests : IDisposable
{
    private const double Tolerance = 1e-6;
    private static readonly DateTimeOffset Now = new(2026, 1, 23, 9, 30, 0, TimeSpan.Zero);

    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();
    private readonly FakeTimeProvider _time = new(Now);
    private readonly TrainingMeter _meter = new();
    private readonly List<IDisposable> _disposables = [];

    public ModelTrainingRunnerTests()
    {
        TrainedSets.WriteTrees(TreesSet);
        TrainedSets.WriteLinear(LinearSet);
        TrainedSets.WriteLinear(Models);
        File.WriteAllText(Path.Combine(Models, LastTrainAt.FileName), "1700000000000");
        File.WriteAllText(Path.Combine(Models, "notes.txt"), "kept across trainings");
        Directory.CreateDirectory(Features);
    }

    private string Models => Path.Combine(_dir.Path, "models");

    private string Features => Path.Combine(_dir.Path, "features");

    private string TreesSet => Path.Combine(_dir.Path, "fixtures", "trees");

    private string LinearSet => Path.Combine(_dir.Path, "fixtures", "linear");

    private DirectoryBucket Bucket { get; } = new(Path.Combine(Path.GetTempPath(), "vince-fs-tests", "bucket-" + Guid.NewGuid().ToString("N")));

    public void Dispose()
    {
        foreach (IDisposable disposable in _disposables)
        {
            disposable.Dispose();
        }

        _meter.Dispose();
        _dir.Dispose();
        if (Directory.Exists(Bucket.Root))
        {
            Directory.Delete(Bucket.Root, recursive: true);
        }
    }

    private FakeTrainerScript Script(string behaviour) => new(Path.Combine(_dir.Path, "scripts"), behaviour);

    private OnnxSignalQualityScorer Scorer(bool watch = false)
    {
        var scorer = new OnnxSignalQualityScorer(
            new OnnxScoringOptions { ModelsDirectory = Models, WatchForChanges = watch, ReloadDebounce = TimeSpan.FromMilliseconds(50) },
            new SingleLoggerFactory(new FakeLogger(_logs)));
        _disposables.Add(scorer);
        return scorer;
    }

    private ModelTrainingRunner Runner(FakeTrainerScript script, OnnxSignalQualityScorer? scorer = null, IModelBucket? bucket = null, TimeSpan? timeout = null, int minSamples = 90)
    {
        // The trainer's timeout runs on the real clock (a real process); the runner's clock is the fake one.
        var trainer = new ExternalProcessTrainer(script.Options(timeout), new FakeLogger<ExternalProcessTrainer>(_logs), TimeProvider.System);
        var runner = new ModelTrainingRunner(trainer, Features, Models, minSamples, bucket, scorer, new FakeLogger<ModelTrainingRunner>(_logs), _time, _meter.Factory);
        _disposables.Add(runner);
        return runner;
    }

    private List<FakeLogRecord> Events(int id) => _logs.GetSnapshot().Where(r => r.Id.Id == id).ToList();

    [Fact]
    public async Task A_successful_training_installs_the_set_uploads_it_and_the_scorer_scores_with_the_new_model()
    {
        OnnxSignalQualityScorer scorer = Scorer();
        FeatureRecord record = Decision(1);
        Assert.Equal(TrainedSets.ExpectedLinear(record), scorer.Score(record).Probability, Tolerance);
        FakeTrainerScript script = Script(FakeTrainerScript.CopySet(TreesSet));

        ModelTrainingRunResult result = await Runner(script, scorer, Bucket, minSamples: 120).RunOnceAsync();

        Assert.Equal(ModelTrainingRunOutcome.Installed, result.Outcome);
        Assert.Null(result.Error);
        Assert.Equal(ModelSetSwap.Exchanged, result.Swap);
        Assert.Equal(Now, result.TrainedAt);
        Assert.Equal("120", Assert.Single(script.Calls()).MinSamples);
        // The trainer read the run's snapshot of the log, one line per record, with its manifest.
        Assert.NotEqual(Path.GetFullPath(Features), script.Calls()[0].Data);
        Assert.Equal(
            (await new FeatureLogReader(Features, new FeatureLogReaderOptions { RealOnly = true }).ReadRecordsAsync().ToListAsync()).Select(r => r.Id),
            script.DataLines(1).Select(l => FeatureJson.Deserialize(l).Id));
        Assert.Equal(result.Snapshot!.Records, script.DataLines(1).Count);
        Assert.Contains($"\"sha256\": \"{result.Snapshot.Sha256}\"", script.SnapshotManifest(1), StringComparison.Ordinal);
        Assert.Equal(Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(script.ScriptPath + ".data-1"))), result.Snapshot.Sha256);

        // The models directory is exactly the trained set, plus the training time and the host's own file.
        var expected = DirectorySnapshot.Take(TreesSet).Files;
        expected[LastTrainAt.FileName] = System.Text.Encoding.UTF8.GetBytes(Now.ToUnixTimeMilliseconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
        expected["notes.txt"] = System.Text.Encoding.UTF8.GetBytes("kept across trainings");
        // The metadata is the trainer's, plus the snapshot it was trained on.
        var installedMetadata = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Path.Combine(Models, "training_metadata.json")))!.AsObject();
        System.Text.Json.Nodes.JsonNode dataSource = installedMetadata["data_source"]!;
        Assert.Equal(("jsonl", result.Snapshot.Records, result.Snapshot.Sha256), ((string?)dataSource["kind"], (int)dataSource["records"]!, (string?)dataSource["sha256"]));
        installedMetadata.Remove("data_source");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(expected["training_metadata.json"]), installedMetadata));
        expected["training_metadata.json"] = File.ReadAllBytes(Path.Combine(Models, "training_metadata.json"));
        Assert.Equal(expected, DirectorySnapshot.Take(Models).Files);
        Assert.Equal(Now, LastTrainAt.Read(Models));
        DirectorySnapshot.AssertNoStagingLeft(Models);

        // Published after the install.
        Assert.Equal("run-1", result.Run!.Id);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TreesSet, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Bucket.Root, "signal_quality.onnx")));

        // The scorer reloaded: the new model (repaired at load) gives the hand-walked trees' probability.
        Assert.Equal(2, scorer.Model!.Version);
        Assert.Same(scorer.Model, result.ScorerModel);
        Assert.Equal(TrainedSets.ExpectedTrees(record), scorer.Score(record).Probability, Tolerance);
        Assert.NotEqual(TrainedSets.ExpectedLinear(record), TrainedSets.ExpectedTrees(record), 3);

        Assert.Contains(_logs.GetSnapshot(), r => r.Id.Id == 3021 && r.Message.Contains("Exported: ", StringComparison.Ordinal));
        Assert.Single(Events(3031));
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.runs", "outcome", "installed"));
        Assert.Equal(1, _meter.Count("vince.featurestore.training.duration"));
    }

    [Fact]
    public async Task The_first_training_creates_the_models_directory()
    {
        Directory.Delete(Models, recursive: true);

        ModelTrainingRunResult result = await Runner(Script(FakeTrainerScript.CopySet(LinearSet))).RunOnceAsync();

        Assert.Equal(ModelSetSwap.Created, result.Swap);
        Assert.Equal(File.ReadAllBytes(Path.Combine(LinearSet, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Equal(Now, LastTrainAt.Read(Models));
    }

    /// <summary>The scorer's watcher follows the models directory across installs (each swaps the directory).</summary>
    [Fact]
    public async Task A_watching_scorer_picks_up_each_installed_set_without_being_told()
    {
        OnnxSignalQualityScorer scorer = Scorer(watch: true);
        FeatureRecord record = Decision(2);
        Assert.Equal(1, scorer.Model!.Version);

        await Runner(Script(FakeTrainerScript.CopySet(TreesSet))).RunOnceAsync();
        await TestStores.EventuallyAsync(() => scorer.Model?.Version == 2, "the scorer reloaded the first installed set");
        Assert.Equal(TrainedSets.ExpectedTrees(record), scorer.Score(record).Probability, Tolerance);

        // The directory the watcher was armed on is gone now: only a re-armed watcher sees the next install.
        await Runner(Script(FakeTrainerScript.CopySet(LinearSet))).RunOnceAsync();
        await TestStores.EventuallyAsync(() => scorer.Model?.Version == 3, "the scorer reloaded the second installed set");
        Assert.Equal(TrainedSets.ExpectedLinear(record), scorer.Score(record).Probability, Tolerance);
        Assert.NotEmpty(Events(3012));
    }

    public static TheoryData<string, ModelTrainingStage, string> Failures => new()
    {
        { "exit 3", ModelTrainingStage.Training, "exited with code 3" },
        { "timeout", ModelTrainingStage.Training, "timed out" },
        { "width mismatch", ModelTrainingStage.Validation, "takes 13 input features" },
        { "corrupt onnx", ModelTrainingStage.Validation, "is not an ONNX model" },
        { "no metadata", ModelTrainingStage.Validation, "does not exist: the trainer wrote no training metadata" },
    };

    [Theory]
    [MemberData(nameof(Failures))]
    public async Task A_failed_training_leaves_the_old_set_byte_identical_and_logs_the_trainers_output(string failure, ModelTrainingStage stage, string reason)
    {
        OnnxSignalQualityScorer scorer = Scorer();
        DirectorySnapshot before = DirectorySnapshot.Take(Models);
        string broken = Path.Combine(_dir.Path, "fixtures", "broken");
        string behaviour = failure switch
        {
            "exit 3" => FakeTrainerScript.CopySet(TreesSet) + "\n" + FakeTrainerScript.Fail(3), // a partial set, then a crash
            "timeout" => FakeTrainerScript.Hang,
            "width mismatch" => Write(TrainedSets.WriteWidthMismatch),
            "corrupt onnx" => Write(TrainedSets.WriteCorrupt),
            _ => "echo 'wrote nothing'",
        };
        FakeTrainerScript script = Script(behaviour);

        ModelTrainingRunResult result = await Runner(script, scorer, Bucket, timeout: TimeSpan.FromSeconds(2)).RunOnceAsync();

        Assert.Equal(ModelTrainingRunOutcome.Failed, result.Outcome);
        Assert.Equal(stage, result.FailedStage);
        Assert.Contains(reason, result.Error!.Message, StringComparison.Ordinal);
        before.AssertUnchanged();
        DirectorySnapshot.AssertNoStagingLeft(Models);
        Assert.Equal(0, Bucket.Uploads);
        Assert.Equal(1, scorer.Model!.Version);
        Assert.Equal(TrainedSets.ExpectedLinear(Decision(1)), scorer.Score(Decision(1)).Probability, Tolerance);

        // The failure event carries what the trainer printed.
        FakeLogRecord failed = Assert.Single(Events(3033));
        Assert.Equal(Microsoft.Extensions.Logging.LogLevel.Error, failed.Level);
        Assert.Contains("stderr: xgboost: training with min samples 90", failed.Message, StringComparison.Ordinal);
        Assert.Contains("unchanged", failed.Message, StringComparison.Ordinal);
        Assert.Contains("stderr: xgboost: training with min samples 90", result.TrainerOutput, StringComparison.Ordinal);
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.failures", "stage", stage.ToString().ToLowerInvariant()));
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.runs", "outcome", "failed"));
        if (failure == "timeout")
        {
            Assert.True(FakeTrainerScript.IsDead(script.PidFile));
            Assert.True(FakeTrainerScript.IsDead(script.ChildPidFile));
        }

        ModelTrainingException thrown = Assert.Throws<ModelTrainingException>(result.ThrowIfFailed);
        Assert.Same(result.Error, thrown.InnerException);
        Assert.Equal(failure == "exit 3" ? 3 : null, thrown.ExitCode);

        string Write(Action<string> write)
        {
            write(broken);
            return FakeTrainerScript.CopySet(broken);
        }
    }

    [Fact]
    public async Task Metadata_without_models_installs_nothing_and_says_there_was_not_enough_data()
    {
        DirectorySnapshot before = DirectorySnapshot.Take(Models);
        string empty = Path.Combine(_dir.Path, "fixtures", "empty");
        TrainedSets.WriteEmpty(empty);

        ModelTrainingRunResult result = await Runner(Script(FakeTrainerScript.CopySet(empty)), bucket: Bucket).RunOnceAsync();

        Assert.Equal(ModelTrainingRunOutcome.NotEnoughData, result.Outcome);
        Assert.True(result.ModelSet!.IsEmpty);
        Assert.Null(result.TrainedAt);
        before.AssertUnchanged(); // last_train_at.txt included: this was no training
        DirectorySnapshot.AssertNoStagingLeft(Models);
        Assert.Equal(0, Bucket.Uploads);
        Assert.Contains("12 complete trade(s)", Assert.Single(Events(3032)).Message, StringComparison.Ordinal);
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.runs", "outcome", "not_enough_data"));
    }

    [Fact]
    public async Task Cancelling_a_run_kills_the_trainer_and_leaves_the_old_set()
    {
        DirectorySnapshot before = DirectorySnapshot.Take(Models);
        FakeTrainerScript script = Script(FakeTrainerScript.Hang);
        using var cancel = new CancellationTokenSource();
        Task<ModelTrainingRunResult> run = Runner(script).RunOnceAsync(cancel.Token);
        await TestStores.EventuallyAsync(() => File.Exists(script.ChildPidFile) && File.ReadAllText(script.ChildPidFile).Trim().Length > 0, "the trainer started");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => run);
        before.AssertUnchanged();
        DirectorySnapshot.AssertNoStagingLeft(Models);
        Assert.True(FakeTrainerScript.IsDead(script.PidFile));
        Assert.True(FakeTrainerScript.IsDead(script.ChildPidFile));
        Assert.Single(Events(3034));
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.runs", "outcome", "cancelled"));
    }

    [Fact]
    public async Task A_failed_upload_is_reported_and_the_new_set_stays_installed()
    {
        Bucket.Failure = new HttpRequestException("bucket unreachable");

        ModelTrainingRunResult result = await Runner(Script(FakeTrainerScript.CopySet(TreesSet)), bucket: Bucket).RunOnceAsync();

        Assert.Equal(ModelTrainingRunOutcome.Installed, result.Outcome);
        Assert.Same(Bucket.Failure, result.UploadError);
        Assert.Null(result.Run);
        Assert.Equal(File.ReadAllBytes(Path.Combine(TreesSet, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        Assert.Same(Bucket.Failure, Assert.Single(Events(3036)).Exception);
        Assert.Equal(1, _meter.Sum("vince.featurestore.training.failures", "stage", "upload"));
        result.ThrowIfFailed(); // the training itself succeeded
    }

    [Fact]
    public async Task Runs_of_one_runner_are_serialized()
    {
        string marker = Path.Combine(_dir.Path, "running");
        // Fails when another run of the same runner is in progress.
        FakeTrainerScript script = Script($"if [ -e '{marker}' ]; then echo overlap >&2; exit 9; fi\ntouch '{marker}'\nsleep 0.3\nrm '{marker}'\n" + FakeTrainerScript.CopySet(LinearSet));
        ModelTrainingRunner runner = Runner(script);

        ModelTrainingRunResult[] results = await Task.WhenAll(runner.RunOnceAsync(), runner.RunOnceAsync(), runner.RunOnceAsync());

        Assert.All(results, r => Assert.Equal(ModelTrainingRunOutcome.Installed, r.Outcome));
        Assert.Equal(3, script.Calls().Count);
        Assert.Equal(3, script.Calls().Select(c => c.Output).Distinct().Count()); // a fresh staging directory each time
    }
}
