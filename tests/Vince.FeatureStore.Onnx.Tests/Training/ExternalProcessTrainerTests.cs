using Microsoft.Extensions.Logging.Testing;
using Vince.FeatureStore.Onnx.Tests.Training.Support;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Onnx.Tests.Training;

/// <summary>The external-process trainer against real child processes: fake trainer scripts written by the tests.</summary>
public sealed class ExternalProcessTrainerTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly FakeLogCollector _logs = new();

    public void Dispose() => _dir.Dispose();

    private string Output()
    {
        string output = Path.Combine(_dir.Path, "out-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(output);
        return output;
    }

    private ExternalProcessTrainer Trainer(ExternalProcessTrainerOptions options) => new(options, new FakeLogger<ExternalProcessTrainer>(_logs));

    private List<string> Logged(int eventId) => _logs.GetSnapshot().Where(r => r.Id.Id == eventId).Select(r => r.Message).ToList();

    [Fact]
    public async Task Runs_the_default_command_line_and_streams_every_line_to_the_log()
    {
        string set = Path.Combine(_dir.Path, "set");
        TrainedSets.WriteLinear(set);
        var script = new FakeTrainerScript(_dir.Path, FakeTrainerScript.CopySet(set));
        string output = Output();
        string features = Path.Combine(_dir.Path, "features");

        ModelTrainingResult result = await Trainer(script.Options()).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = features, OutputDirectory = output, MinSamples = 42 });

        // The template's placeholders became full paths and the number, each one argument.
        Assert.Equal([(Path.GetFullPath(features), Path.GetFullPath(output), "42")], script.Calls());
        Assert.Equal(File.ReadAllBytes(Path.Combine(set, "signal_quality.onnx")), File.ReadAllBytes(Path.Combine(output, "signal_quality.onnx")));
        Assert.Equal(output, result.OutputDirectory);
        Assert.Contains("stdout: Loading features from " + Path.GetFullPath(features), result.Output, StringComparison.Ordinal);
        Assert.Contains("stderr: xgboost: training with min samples 42", result.Output, StringComparison.Ordinal);

        IReadOnlyList<string> lines = Logged(3021);
        Assert.Contains($"[external:bash stdout] Loading features from {Path.GetFullPath(features)}", lines);
        Assert.Contains("[external:bash stderr] xgboost: training with min samples 42", lines);
        Assert.Single(Logged(3020));
        Assert.Contains("exited with code 0", Assert.Single(Logged(3022)), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_non_zero_exit_is_an_error_with_the_exit_code_and_the_output_tail()
    {
        var script = new FakeTrainerScript(_dir.Path, FakeTrainerScript.Fail(3));

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() =>
            Trainer(script.Options()).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = Output() }));

        Assert.Equal(3, error.ExitCode);
        Assert.Contains("exited with code 3", error.Message, StringComparison.Ordinal);
        Assert.Contains("ValueError: Input contains NaN", error.Message, StringComparison.Ordinal);
        Assert.Contains("stderr: Traceback (most recent call last):", error.TrainerOutput, StringComparison.Ordinal);
        Assert.Contains("stdout: Loading features from", error.TrainerOutput, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_output_tail_keeps_the_last_lines_only_and_says_how_many_were_dropped()
    {
        var script = new FakeTrainerScript(_dir.Path, "for i in $(seq 1 500); do echo \"line $i\"; done\nexit 1");
        ExternalProcessTrainerOptions options = script.Options();
        options.OutputTailLines = 10;

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() =>
            Trainer(options).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = Output() }));

        string[] tail = error.TrainerOutput.Split('\n');
        Assert.Equal(11, tail.Length);
        Assert.Equal("… (492 earlier line(s) not shown)", tail[0]); // 502 lines in all: 2 from the script's preamble

        // stdout and stderr are two pipes, so the preamble's stderr line may arrive anywhere; stdout keeps its order.
        string[] stdout = tail[1..].Where(l => l.StartsWith("stdout: line ", StringComparison.Ordinal)).ToArray();
        Assert.InRange(stdout.Length, 9, 10);
        Assert.Equal(Enumerable.Range(501 - stdout.Length, stdout.Length).Select(i => $"stdout: line {i}"), stdout);

        // Every line still reached the log.
        Assert.Equal(501, Logged(3021).Count(l => l.Contains("stdout]", StringComparison.Ordinal)));
    }

    [Fact]
    public async Task A_training_past_its_timeout_is_killed_with_its_children()
    {
        var script = new FakeTrainerScript(_dir.Path, FakeTrainerScript.Hang);

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() =>
            Trainer(script.Options(TimeSpan.FromSeconds(2))).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = Output() }));

        Assert.Contains("timed out after 00:00:02", error.Message, StringComparison.Ordinal);
        Assert.Contains("stdout: still training", error.TrainerOutput, StringComparison.Ordinal);
        Assert.Null(error.ExitCode);
        Assert.True(FakeTrainerScript.IsDead(script.PidFile), "the trainer process is still running");
        Assert.True(FakeTrainerScript.IsDead(script.ChildPidFile), "the trainer's child process is still running");
        Assert.Contains(Logged(3023), m => m.Contains("timeout", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Cancelling_kills_the_process_tree_and_throws_OperationCanceled()
    {
        var script = new FakeTrainerScript(_dir.Path, FakeTrainerScript.Hang);
        using var cancel = new CancellationTokenSource();
        Task<ModelTrainingResult> training = Trainer(script.Options()).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = Output() }, cancel.Token);
        await TestStores.EventuallyAsync(() => File.Exists(script.ChildPidFile) && File.ReadAllText(script.ChildPidFile).Trim().Length > 0, "the fake trainer started its child");

        await cancel.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => training);
        Assert.True(FakeTrainerScript.IsDead(script.PidFile), "the trainer process is still running");
        Assert.True(FakeTrainerScript.IsDead(script.ChildPidFile), "the trainer's child process is still running");
        Assert.Contains(Logged(3023), m => m.Contains("cancelled", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_executable_with_its_own_argument_template_environment_and_working_directory()
    {
        string work = Path.Combine(_dir.Path, "work");
        Directory.CreateDirectory(work);
        string executable = Path.Combine(_dir.Path, "trainer with spaces.sh");
        File.WriteAllText(executable, "#!/usr/bin/env bash\nprintf '%s\\n' \"$@\" > \"$VINCE_ARGS_FILE\"\npwd >> \"$VINCE_ARGS_FILE\"\necho \"unset:${VINCE_FS_TEST_REMOVED:-none} python:$PYTHONUNBUFFERED\" >> \"$VINCE_ARGS_FILE\"\n");
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(executable, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }

        string argsFile = Path.Combine(_dir.Path, "args.txt");
        var options = new ExternalProcessTrainerOptions { Command = executable, ScriptPath = null, WorkingDirectory = work };
        options.Arguments.Clear();
        options.Arguments.Add("train");
        options.Arguments.Add("--out={output}");
        options.Arguments.Add("--n={min_samples}");
        options.Arguments.Add("a 'quoted' $value; rm -rf /");
        options.Environment["VINCE_ARGS_FILE"] = argsFile;
        Environment.SetEnvironmentVariable("VINCE_FS_TEST_REMOVED", "inherited"); // only this test reads it
        options.Environment["VINCE_FS_TEST_REMOVED"] = null;
        string output = Output();

        await Trainer(options).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = output, MinSamples = 7 });

        // No shell: each entry is exactly one argument, metacharacters included.
        Assert.Equal(["train", "--out=" + output, "--n=7", "a 'quoted' $value; rm -rf /", work, "unset:none python:1"], File.ReadAllLines(argsFile));
    }

    [Fact]
    public async Task A_command_that_cannot_start_is_a_training_error_naming_it()
    {
        string notExecutable = Path.Combine(_dir.Path, "not-executable");
        File.WriteAllText(notExecutable, "#!/bin/sh\n");
        var options = new ExternalProcessTrainerOptions { Command = notExecutable, ScriptPath = null };
        options.Arguments.Clear();
        options.Arguments.Add("{output}");

        ModelTrainingException error = await Assert.ThrowsAsync<ModelTrainingException>(() =>
            Trainer(options).TrainAsync(new ModelTrainingRequest { FeaturesDirectory = _dir.Path, OutputDirectory = Output() }));

        Assert.Contains("could not start", error.Message, StringComparison.Ordinal);
        Assert.Contains(notExecutable, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_options_are_refused_with_every_problem_named()
    {
        var options = new ExternalProcessTrainerOptions
        {
            Command = "vince-no-such-python",
            ScriptPath = Path.Combine(_dir.Path, "missing.py"),
            Timeout = TimeSpan.Zero,
            WorkingDirectory = Path.Combine(_dir.Path, "nowhere"),
            OutputTailLines = 0,
        };
        options.Arguments.Remove("{output}");

        ArgumentException error = Assert.Throws<ArgumentException>(() => new ExternalProcessTrainer(options));

        IReadOnlyList<string> problems = options.Validate();
        Assert.Contains("Command 'vince-no-such-python' is not found on PATH.", problems);
        Assert.Contains(problems, p => p.StartsWith("WorkingDirectory", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Arguments must pass the output directory", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("ScriptPath", StringComparison.Ordinal) && p.Contains("missing.py", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("Timeout", StringComparison.Ordinal));
        Assert.Contains(problems, p => p.StartsWith("OutputTailLines", StringComparison.Ordinal));
        Assert.Equal(6, problems.Count);
        Assert.All(problems, p => Assert.Contains(p, error.Message, StringComparison.Ordinal));
    }

    [Fact]
    public void The_defaults_are_the_bots_python_command_line()
    {
        var options = new ExternalProcessTrainerOptions();

        Assert.Equal("python3", options.Command);
        Assert.Equal("src/plugins/plugin-vince/scripts/train_models.py", options.ScriptPath);
        Assert.Equal(["{script}", "--data", "{data}", "--output", "{output}", "--min-samples", "{min_samples}"], options.Arguments);
        Assert.Equal(TimeSpan.FromMinutes(30), options.Timeout);
    }
}
