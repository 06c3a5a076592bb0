using System.Diagnostics;
using System.Globalization;

namespace Vince.FeatureStore.Testing;

/// <summary>
/// The crash writer (tests/Vince.FeatureStore.CrashWriter) as a child process: it records and prints "ACK n" once the
/// first n versions are durable. Shared by the crash tests of the core and the reliability test projects.
/// </summary>
public sealed class CrashWriterProcess : IDisposable
{
    private readonly Process _process;
    private long _lastAck;

    private CrashWriterProcess(Process process) => _process = process;

    /// <summary>The highest ACK read so far: every version up to it was durable when it was printed.</summary>
    public long LastAck => _lastAck;

    /// <summary>
    /// Starts the writer on <paramref name="directory"/> with the extra <paramref name="arguments"/> and environment;
    /// as <paramref name="user"/> (through runuser, so file permissions apply as they do to a bot's user) when given.
    /// </summary>
    public static CrashWriterProcess Start(string directory, IEnumerable<string>? arguments = null, IReadOnlyDictionary<string, string>? environment = null, string? user = null)
    {
        var start = new ProcessStartInfo(user is null ? "dotnet" : "runuser")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        if (user is not null)
        {
            foreach (string argument in new[] { "-u", user, "--", "env", "HOME=" + Path.GetTempPath(), "DOTNET_CLI_TELEMETRY_OPTOUT=1", "dotnet" })
            {
                start.ArgumentList.Add(argument);
            }
        }

        start.ArgumentList.Add(RepositoryPaths.BuiltDll("tests/Vince.FeatureStore.CrashWriter", "Vince.FeatureStore.CrashWriter"));
        start.ArgumentList.Add(directory);
        foreach (string argument in arguments ?? [])
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        return new CrashWriterProcess(Process.Start(start)!);
    }

    /// <summary>Reads ACKs until <paramref name="acks"/> were seen, then SIGKILLs the writer; returns the last ACK (those printed before the kill count too).</summary>
    public async Task<long> KillAfterAcksAsync(int acks, TimeSpan? timeout = null)
    {
        int seen = 0;
        try
        {
            using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(60));
            while (seen < acks)
            {
                string? line = await _process.StandardOutput.ReadLineAsync(cts.Token);
                if (line is null)
                {
                    Assert.Fail("The crash writer exited early: " + await _process.StandardError.ReadToEndAsync());
                }

                if (TryAck(line!))
                {
                    seen++;
                }
            }
        }
        finally
        {
            // Process.Kill is SIGKILL on Unix: no finalizers, no flush, no disposal.
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        foreach (string line in (await _process.StandardOutput.ReadToEndAsync()).Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            TryAck(line);
        }

        Assert.Equal(137, _process.ExitCode); // 128 + SIGKILL
        return _lastAck;
    }

    /// <summary>Waits for a writer started with --exit-after to finish; returns its standard output.</summary>
    public async Task<string> WaitForCleanExitAsync(TimeSpan timeout)
    {
        Task<string> stdout = _process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = _process.StandardError.ReadToEndAsync();
        await _process.WaitForExitAsync().WaitAsync(timeout);
        string output = await stdout;
        Assert.True(_process.ExitCode == 0, $"The crash writer exited with {_process.ExitCode}: {await stderr}");
        Assert.EndsWith("DONE", output.TrimEnd(), StringComparison.Ordinal);
        return output;
    }

    /// <summary>The writer's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Reads standard output until a line equal to <paramref name="expected"/> appears.</summary>
    public async Task WaitForLineAsync(string expected, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        while (true)
        {
            string? line = await _process.StandardOutput.ReadLineAsync(cts.Token);
            if (line is null)
            {
                Assert.Fail($"The crash writer exited before printing {expected}: " + await _process.StandardError.ReadToEndAsync());
            }

            if (line == expected)
            {
                return;
            }
        }
    }

    /// <summary>Reads standard output until a line equal to <paramref name="expected"/>; returns the lines before it.</summary>
    public async Task<List<string>> ReadLinesUntilAsync(string expected, TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var lines = new List<string>();
        while (await _process.StandardOutput.ReadLineAsync(cts.Token) is { } line)
        {
            if (line == expected)
            {
                return lines;
            }

            lines.Add(line);
        }

        Assert.Fail($"The crash writer exited before printing {expected}: " + await _process.StandardError.ReadToEndAsync());
        return lines;
    }

    /// <summary>SIGKILLs the writer and checks that the signal ended it.</summary>
    public async Task KillAsync()
    {
        _process.Kill(); // SIGKILL on Unix: no finalizers, no flush, no disposal
        await _process.WaitForExitAsync();
        Assert.Equal(137, _process.ExitCode); // 128 + SIGKILL
    }

    /// <summary>Sends one line to a writer started with --commands and returns its answer.</summary>
    public async Task<string> SendAsync(string command, TimeSpan timeout)
    {
        await _process.StandardInput.WriteLineAsync(command);
        await _process.StandardInput.FlushAsync();
        using var cts = new CancellationTokenSource(timeout);
        string? answer = await _process.StandardOutput.ReadLineAsync(cts.Token);
        return answer ?? "EXITED " + await _process.StandardError.ReadToEndAsync();
    }

    /// <summary>Sends a real signal (e.g. TERM, INT) with kill(1).</summary>
    public void Signal(string name)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + name, _process.Id.ToString(CultureInfo.InvariantCulture)]) { UseShellExecute = false })!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }

    /// <summary>Waits for the writer to exit on its own; returns its exit code and the rest of its output.</summary>
    public async Task<(int ExitCode, string Output)> WaitForExitAsync(TimeSpan timeout)
    {
        Task<string> stdout = _process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = _process.StandardError.ReadToEndAsync();
        await _process.WaitForExitAsync().WaitAsync(timeout);
        return (_process.ExitCode, await stdout + await stderr);
    }

    private bool TryAck(string line)
    {
        if (line.StartsWith("ACK ", StringComparison.Ordinal) && long.TryParse(line.AsSpan(4), NumberStyles.None, CultureInfo.InvariantCulture, out long n))
        {
            _lastAck = Math.Max(_lastAck, n);
            return true;
        }

        return false;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill();
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
    }
}
