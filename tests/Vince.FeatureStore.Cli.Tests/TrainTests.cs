using Vince.FeatureStore.Cli.Tests.Support;

namespace Vince.FeatureStore.Cli.Tests;

/// <summary>
/// <c>train</c> with real trainer processes: small shell scripts written for the test that behave like the Python script
/// (write a model set into --output, write metadata without models, or fail), run by the library's external-process
/// trainer, validated and installed by its runner.
/// </summary>
public sealed class TrainTests : IDisposable
{
    private readonly TempDirectory _dir = new();

    public TrainTests()
    {
        // The set a successful training writes: a real ONNX model and its metadata (with its hash).
        Directory.CreateDirectory(Template);
        string model = Path.Combine(Template, "signal_quality.onnx");
        OnnxModels.Save(OnnxModels.XgboostClassifier(SignalQualityRecords.Trees, SignalQualityRecords.FeatureNames.Length), model);
        MetadataJson.For(SignalQualityRecords.FeatureNames).WithHash(model).Save(Path.Combine(Template, "training_metadata.json"));
    }

    private string Template => _dir.File("template");

    private string Data => _dir.File("features");

    private string Models => _dir.File("models");

    private string ArgsFile => _dir.File("trainer-args.txt");

    /// <summary>A trainer script: parses the arguments as train_models.py does, records them, then runs <paramref name="body"/>.</summary>
    private string Script(string name, string body)
    {
        string path = _dir.File(name);
        File.WriteAllText(path, $$"""
            set -eu
            data=""; output=""; min=""
            while [ $# -gt 0 ]; do
              case "$1" in
                --data) data="$2"; shift 2 ;;
                --output) output="$2"; shift 2 ;;
                --min-samples) min="$2"; shift 2 ;;
                *) echo "unknown argument $1" >&2; exit 64 ;;
              esac
            done
            echo "$data $min $(cat "$data"/*.jsonl | wc -l)" > '{{ArgsFile}}'
            echo "loading $(ls "$data" | wc -l) file(s) from $data"
            {{body}}
            """);
        return path;
    }

    private string Succeeding => Script("train_ok.sh", $"""
        cp '{Template}'/* "$output"/
        echo "exported signal_quality to $output"
        """);

    private async Task WriteDataAsync() => await TradeData.WriteAsync(Data, 30);

    private Task<CliResult> TrainAsync(string script, params string[] extra)
        => Tool.RunAsync(["train", "--data", Data, "--output", Models, "--command", "sh", "--script", script, .. extra]);

    /// <summary>The trainer was handed the run's snapshot (next to the models directory, gone afterwards): one line per record of the log.</summary>
    private async Task AssertTrainerReadTheSnapshotAsync(string minSamples)
    {
        string[] args = File.ReadAllText(ArgsFile).Trim().Split(' ');
        Assert.StartsWith(Path.Combine(Path.GetDirectoryName(Models)!, "." + Path.GetFileName(Models) + ".snapshot-"), args[0], StringComparison.Ordinal);
        Assert.False(Directory.Exists(args[0]));
        Assert.Equal(minSamples, args[1]);
        Assert.Equal((await new FeatureLogReader(Data).ReadRecordsAsync().ToListAsync()).Count.ToString(System.Globalization.CultureInfo.InvariantCulture), args[2]);
    }

    [Fact]
    public async Task A_training_installs_the_validated_set_and_streams_the_trainers_output_to_stderr()
    {
        await WriteDataAsync();
        CliResult result = (await TrainAsync(Succeeding, "--min-samples", "20")).Expect(0);

        await AssertTrainerReadTheSnapshotAsync("20");
        Assert.Equal(File.ReadAllBytes(Path.Combine(Template, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));
        var metadata = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Path.Combine(Models, "training_metadata.json")))!.AsObject();
        Assert.Equal("jsonl", (string?)metadata["data_source"]!["kind"]);
        metadata.Remove("data_source");
        Assert.True(System.Text.Json.Nodes.JsonNode.DeepEquals(System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllBytes(Path.Combine(Template, "training_metadata.json"))), metadata));
        Assert.Matches(@"data source: jsonl, \d+ records \(latest version of each id\) as of \S+, sha256 [0-9a-f]{12}", result.Stdout);
        Assert.True(File.Exists(Path.Combine(Models, "last_train_at.txt")));
        Assert.Contains("outcome: installed", result.Stdout);
        Assert.Contains($"signal_quality.onnx: {SignalQualityRecords.FeatureNames.Length} inputs", result.Stdout);
        Assert.Contains("trainer: external:sh", result.Stdout);
        Assert.Contains("exported signal_quality to", result.Stderr);
        Assert.Contains("train: 24 complete trade(s)", result.Stderr);
        Assert.Empty(Directory.EnumerateDirectories(_dir.Path, ".*")); // no staging directory left

        string record = _dir.File("record.json");
        File.WriteAllText(record, FeatureJson.Serialize(SignalQualityRecords.Decision(1)));
        (await Tool.RunAsync("score", "--models", Models, "--record", record)).Expect(0);
    }

    [Fact]
    public async Task A_failing_trainer_exits_1_with_its_output_and_leaves_the_installed_models_alone()
    {
        await WriteDataAsync();
        Directory.CreateDirectory(Models);
        OnnxModels.Save(OnnxModels.LogisticRegression([0.1f, 0.2f], 0.3f), Path.Combine(Models, "signal_quality.onnx"));
        File.WriteAllText(Path.Combine(Models, "training_metadata.json"), "{\"models_trained\": [\"signal_quality\"], \"signal_quality_feature_names\": [\"signal_strength\", \"signal_confidence\"]}");
        byte[] before = File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx"));
        string failing = Script("train_fail.sh", """
            echo "Traceback (most recent call last): xgboost exploded" >&2
            exit 3
            """);

        CliResult result = (await TrainAsync(failing)).Expect(1);
        Assert.Contains("outcome: failed", result.Stdout);
        Assert.Contains("vince-features train: error: training failed at training:", result.Stderr);
        Assert.Contains("xgboost exploded", result.Stderr);
        Assert.Equal(before, File.ReadAllBytes(Path.Combine(Models, "signal_quality.onnx")));

        CliResult quiet = (await TrainAsync(failing, "--quiet")).Expect(1);
        Assert.Contains("trainer output (last lines):", quiet.Stderr);
        Assert.Contains("xgboost exploded", quiet.Stderr);
    }

    [Fact]
    public async Task A_set_that_does_not_validate_is_not_installed()
    {
        await WriteDataAsync();
        string broken = Script("train_broken.sh", $"""
            cp '{Template}/training_metadata.json' "$output"/
            echo "not an onnx model" > "$output/signal_quality.onnx"
            """);
        CliResult result = (await TrainAsync(broken)).Expect(1);
        Assert.Contains("training failed at validation:", result.Stderr);
        Assert.False(File.Exists(Path.Combine(Models, "signal_quality.onnx")));
    }

    [Fact]
    public async Task Too_few_trades_install_nothing_and_say_so()
    {
        await WriteDataAsync();
        string notEnough = Script("train_few.sh", """
            echo '{"trained_at": "2026-01-22T12:00:00", "total_records": 30, "trades_with_outcomes": 24, "models_trained": [], "models_fit": []}' > "$output/training_metadata.json"
            """);
        CliResult result = (await TrainAsync(notEnough)).Expect(0);
        Assert.Contains("outcome: not enough data: the trainer wrote no model (24 complete trade(s), 90 needed); nothing was installed", result.Stdout);
        await AssertTrainerReadTheSnapshotAsync("90");
        Assert.False(File.Exists(Path.Combine(Models, "training_metadata.json")));
    }

    [Fact]
    public async Task Unavailable_trainers_and_bad_trainer_settings_are_usage_errors()
    {
        CliResult dotnet = (await Tool.RunAsync("train", "--trainer", "dotnet", "--script", Succeeding)).Expect(2);
        Assert.Contains("--script applies to --trainer python only", dotnet.Stderr);

        CliResult command = (await Tool.RunAsync("train", "--command", "no-such-python-xyz", "--script", Succeeding)).Expect(2);
        Assert.Contains("--command 'no-such-python-xyz' is not found on PATH", command.Stderr);

        CliResult script = (await Tool.RunAsync("train", "--command", "sh", "--script", _dir.File("missing.py"))).Expect(2);
        Assert.Contains("--script", script.Stderr);
        Assert.Contains("does not exist", script.Stderr);

        CliResult samples = (await Tool.RunAsync("train", "--min-samples", "0")).Expect(2);
        Assert.Contains("--min-samples must be a whole number at least 1 (was '0')", samples.Stderr);

        CliResult timeout = (await Tool.RunAsync("train", "--timeout", "-5")).Expect(2);
        Assert.Contains("--timeout must be a positive number of seconds", timeout.Stderr);

        CliResult url = (await Tool.RunAsync("train", "--url", "https://abcdefghijklmnop.supabase.co")).Expect(2);
        Assert.Contains("--url applies with --push only", url.Stderr);
    }

    [Fact]
    public async Task The_dotnet_trainer_trains_a_set_that_installs_scores_and_passes_parity_on_its_data()
    {
        await TradeData.WriteAsync(Data, 150);
        CliResult result = (await Tool.RunAsync("train", "--trainer", "dotnet", "--data", Data, "--output", Models, "--min-samples", "60")).Expect(0);

        Assert.Contains("trainer: dotnet", result.Stdout);
        Assert.Contains("outcome: installed", result.Stdout);
        Assert.Contains($"signal_quality.onnx: {TradeData.SignalQualityColumns.Length} inputs", result.Stdout);
        Assert.Contains("train: 120 complete trade(s)", result.Stderr);
        Assert.True(File.Exists(Path.Combine(Models, "last_train_at.txt")));

        // The set it installed is served exactly the values it was trained on.
        CliResult parity = (await Tool.RunAsync("parity", "--data", Data, "--models", Models)).Expect(0);
        Assert.Contains("records:    150 read, 120 training rows compared", parity.Stdout);
        Assert.Contains("result:     PASS", parity.Stdout);

        string record = _dir.File("record.json");
        File.WriteAllText(record, FeatureJson.Serialize(TradeData.Decision(150)));
        (await Tool.RunAsync("score", "--models", Models, "--record", record, "--history", Data)).Expect(0);
    }

    public void Dispose() => _dir.Dispose();
}
