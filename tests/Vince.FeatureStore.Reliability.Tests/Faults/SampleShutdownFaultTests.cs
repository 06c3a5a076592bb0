using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Vince.FeatureStore.Reliability.Tests.Faults;

/// <summary>
/// The sample bot, run as a user runs it, with a PostgreSQL sink that can never succeed (its URL names a closed port):
/// SIGTERM and Ctrl+C (SIGINT) stop it promptly at any moment, while it trades and while it waits for the sink, and it
/// still prints its summary and exits with the documented code. Nothing recorded is lost: it stays in the log.
/// </summary>
public sealed class SampleShutdownFaultTests
{
    private static readonly TimeSpan ExitBound = TimeSpan.FromSeconds(15);

    [Theory]
    [InlineData("TERM", 40, 0)]     // the trades are done: the signal ends the wait for the sink
    [InlineData("INT", 40, 0)]
    [InlineData("TERM", 1_000_000, 130)] // still trading: interrupted
    [InlineData("INT", 1_000_000, 130)]
    public async Task A_signal_stops_the_sample_promptly_while_a_sink_cannot_succeed_and_it_prints_its_summary(string signal, int trades, int expectedExit)
    {
        using var dir = new TempDirectory();
        var environment = new Dictionary<string, string?>
        {
            ["POSTGRES_URL"] = $"postgres://bot:secret@127.0.0.1:{ClosedPort()}/bot",
            ["SUPABASE_URL"] = null,
            ["SUPABASE_SERVICE_ROLE_KEY"] = null,
            ["SUPABASE_ANON_KEY"] = null,
        };
        using RunningSample sample = RunningSample.Start(["--trades", trades.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-dir", dir.Path], environment);
        await sample.WaitForStderrAsync("Sink postgres failed to write", TimeSpan.FromSeconds(60));
        if (expectedExit == 0)
        {
            await Task.Delay(TimeSpan.FromSeconds(1)); // the trades finish in well under a second: it is waiting for the sink now
        }

        var stopping = Stopwatch.StartNew();
        sample.Signal(signal);
        int exitCode = await sample.WaitForExitAsync(ExitBound);

        Assert.True(exitCode == expectedExit, $"exit code {exitCode}:\n{sample.Stdout}\n{sample.Stderr}");
        Assert.True(stopping.Elapsed < ExitBound);
        Assert.Contains("Feature log (every file in the directory", sample.Stdout, StringComparison.Ordinal);
        Assert.Contains("Sink postgres is ", sample.Stdout, StringComparison.Ordinal);
        Assert.Contains("it ships them from its cursor on the next start", sample.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", sample.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", sample.Stdout + sample.Stderr, StringComparison.Ordinal);
        Assert.NotEmpty(await new FeatureLogReader(dir.Path).ReadRecordsAsync().ToListAsync());
    }

    /// <summary>A port on 127.0.0.1 that nothing listens on (bound, then released).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }
}
