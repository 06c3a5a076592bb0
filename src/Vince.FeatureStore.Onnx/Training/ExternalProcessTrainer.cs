using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Vince.FeatureStore.Onnx.Diagnostics;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Trains by running an external program, by default the bot's Python script
/// (<c>python3 train_models.py --data &lt;features&gt; --output &lt;dir&gt; --min-samples &lt;N&gt;</c>).
/// </summary>
/// <remarks>
/// <para>The process is started directly with an argument list (no shell, so paths need no quoting). Its stdout and
/// stderr are logged line by line as they arrive and the last <see cref="ExternalProcessTrainerOptions.OutputTailLines"/>
/// lines are kept for the result and for errors. Standard input is closed at once, so a script waiting for input ends.</para>
/// <para>When the timeout passes or the caller cancels, the process and every child it started are killed. A non-zero
/// exit code is a <see cref="ModelTrainingException"/> carrying the exit code and the output tail.</para>
/// </remarks>
public sealed class ExternalProcessTrainer : IModelTrainer
{
    /// <summary>How long to wait for the output pipes to close after the process ended (a grandchild may hold them open).</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    private readonly string _command;
    private readonly string? _script;
    private readonly string[] _arguments;
    private readonly string? _workingDirectory;
    private readonly KeyValuePair<string, string?>[] _environment;
    private readonly TimeSpan _timeout;
    private readonly int _tailLines;
    private readonly ILogger _logger;
    private readonly TimeProvider _timeProvider;

    /// <summary>Creates the trainer. The options are copied: later changes to them have no effect.</summary>
    /// <param name="options">What to run.</param>
    /// <param name="logger">Receives the process's output, line by line, and its start and end.</param>
    /// <param name="timeProvider">Clock for the timeout and durations.</param>
    /// <exception cref="ArgumentException">The options are invalid (e.g. the command is not on <c>PATH</c>, the script does not exist).</exception>
    public ExternalProcessTrainer(ExternalProcessTrainerOptions options, ILogger<ExternalProcessTrainer>? logger = null, TimeProvider? timeProvider = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        IReadOnlyList<string> errors = options.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException("Invalid external trainer options: " + string.Join(" ", errors), nameof(options));
        }

        _command = ExternalProcessTrainerOptions.FindCommand(options.Command, options.WorkingDirectory)!;
        _script = options.UsesScript ? options.ResolveScriptPath() : null;
        _arguments = [.. options.Arguments];
        _workingDirectory = options.WorkingDirectory is null ? null : Path.GetFullPath(options.WorkingDirectory);
        _environment = [.. options.Environment];
        _timeout = options.Timeout;
        _tailLines = options.OutputTailLines;
        _logger = logger ?? (ILogger)NullLogger.Instance;
        _timeProvider = timeProvider ?? TimeProvider.System;
        Name = "external:" + Path.GetFileName(options.Command);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <summary>Runs the process once.</summary>
    /// <param name="request">The feature directory, the empty output directory and the minimum number of complete trades.</param>
    /// <param name="cancellationToken">Kills the process tree and throws <see cref="OperationCanceledException"/>.</param>
    /// <returns>The output directory, the output tail and the duration.</returns>
    /// <exception cref="ModelTrainingException">The process could not be started, timed out (and was killed) or exited with a non-zero code.</exception>
    /// <exception cref="ArgumentException">The output directory does not exist.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled; the process tree was killed.</exception>
    public async Task<ModelTrainingResult> TrainAsync(ModelTrainingRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.FeaturesDirectory);
        ArgumentException.ThrowIfNullOrWhiteSpace(request.OutputDirectory);
        if (!Directory.Exists(request.OutputDirectory))
        {
            throw new ArgumentException($"The output directory {request.OutputDirectory} does not exist.", nameof(request));
        }

        cancellationToken.ThrowIfCancellationRequested();
        ProcessStartInfo startInfo = StartInfo(request);
        var tail = new OutputTail(_tailLines);
        using var process = new Process { StartInfo = startInfo };
        long started = _timeProvider.GetTimestamp();
        try
        {
            process.Start();
        }
        catch (Win32Exception ex)
        {
            throw new ModelTrainingException($"The trainer {Name} could not start '{_command}': {ex.Message}", string.Empty, ex);
        }

        string arguments = string.Join(' ', startInfo.ArgumentList);
        TrainingLog.TrainerStarted(_logger, Name, process.Id, _command, arguments, _timeout);

        // Nothing is ever typed into a training: a script asking for input gets end-of-file instead of hanging.
        try
        {
            process.StandardInput.Close();
        }
        catch (IOException)
        {
            // The process already ended and closed its end of the pipe.
        }

        using var stopReading = new CancellationTokenSource();
        Task stdout = PumpAsync(process.StandardOutput, "stdout", tail, stopReading.Token);
        Task stderr = PumpAsync(process.StandardError, "stderr", tail, stopReading.Token);

        using var timeout = new CancellationTokenSource(_timeout, _timeProvider);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await process.WaitForExitAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            bool cancelled = cancellationToken.IsCancellationRequested;
            string reason = cancelled ? "the training was cancelled" : $"it ran longer than the timeout of {_timeout}";
            KillTree(process, reason);
            await DrainAsync(stdout, stderr, stopReading).ConfigureAwait(false);
            if (cancelled)
            {
                throw new OperationCanceledException($"The trainer {Name} was cancelled; its process tree was killed.", null, cancellationToken);
            }

            string output = tail.ToString();
            throw new ModelTrainingException(
                $"The trainer {Name} timed out after {_timeout} and was killed with its child processes. Last output:{Environment.NewLine}{LastLines(tail)}", output);
        }

        await DrainAsync(stdout, stderr, stopReading).ConfigureAwait(false);
        TimeSpan duration = _timeProvider.GetElapsedTime(started);
        int exitCode = process.ExitCode;
        TrainingLog.TrainerExited(_logger, Name, exitCode, duration);
        if (exitCode != 0)
        {
            throw new ModelTrainingException(
                $"The trainer {Name} exited with code {exitCode} after {duration:g}. Last output:{Environment.NewLine}{LastLines(tail)}", tail.ToString())
            {
                ExitCode = exitCode,
            };
        }

        return new ModelTrainingResult { OutputDirectory = request.OutputDirectory, Output = tail.ToString(), Duration = duration };
    }

    private ProcessStartInfo StartInfo(ModelTrainingRequest request)
    {
        var startInfo = new ProcessStartInfo(_command)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            CreateNoWindow = true,
        };
        if (_workingDirectory is not null)
        {
            startInfo.WorkingDirectory = _workingDirectory;
        }

        string data = Path.GetFullPath(request.FeaturesDirectory);
        string output = Path.GetFullPath(request.OutputDirectory);
        string minSamples = request.MinSamples.ToString(CultureInfo.InvariantCulture);
        foreach (string argument in _arguments)
        {
            startInfo.ArgumentList.Add(argument
                .Replace(ExternalProcessTrainerOptions.ScriptPlaceholder, _script ?? string.Empty, StringComparison.Ordinal)
                .Replace(ExternalProcessTrainerOptions.DataPlaceholder, data, StringComparison.Ordinal)
                .Replace(ExternalProcessTrainerOptions.OutputPlaceholder, output, StringComparison.Ordinal)
                .Replace(ExternalProcessTrainerOptions.MinSamplesPlaceholder, minSamples, StringComparison.Ordinal));
        }

        startInfo.Environment["PYTHONUNBUFFERED"] = "1";
        foreach ((string name, string? value) in _environment)
        {
            if (value is null)
            {
                startInfo.Environment.Remove(name);
            }
            else
            {
                startInfo.Environment[name] = value;
            }
        }

        return startInfo;
    }

    private async Task PumpAsync(StreamReader reader, string stream, OutputTail tail, CancellationToken cancellationToken)
    {
        try
        {
            while (await reader.ReadLineAsync(cancellationToken).ConfigureAwait(false) is { } line)
            {
                tail.Add(stream, line);
                string shown = OutputTail.Cut(line);
                TrainingLog.TrainerOutput(_logger, Name, stream, shown);
            }
        }
        catch (OperationCanceledException)
        {
            // Stopped waiting: a child process outlived the trainer and still holds the pipe.
        }
        catch (ObjectDisposedException)
        {
        }
        catch (IOException)
        {
        }
    }

    private async Task DrainAsync(Task stdout, Task stderr, CancellationTokenSource stopReading)
    {
        Task both = Task.WhenAll(stdout, stderr);
        // Real time on purpose: this bounds waiting on real pipes, whatever clock the training runs on.
        if (await Task.WhenAny(both, Task.Delay(DrainTimeout, TimeProvider.System)).ConfigureAwait(false) != both)
        {
            TrainingLog.OutputStillOpen(_logger, Name, DrainTimeout);
            await stopReading.CancelAsync().ConfigureAwait(false);
        }
    }

    private void KillTree(Process process, string reason)
    {
        try
        {
            TrainingLog.TrainerKilled(_logger, Name, process.Id, reason);
            process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited in the meantime.
        }
        catch (Win32Exception ex)
        {
            TrainingLog.KillFailed(_logger, ex, Name, process.Id);
        }

        // Bounded: a process that survives SIGKILL (uninterruptible I/O) must not hang the caller forever.
        if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
        {
            TrainingLog.KillFailed(_logger, null, Name, process.Id);
        }
    }

    private static string LastLines(OutputTail tail) => tail.TotalLines == 0 ? "(no output)" : tail.Text(20);
}
