using System.Diagnostics;
using System.Globalization;
using System.Text;
using Npgsql;

namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>
/// A real PGlite server: <c>pglite-server --host=127.0.0.1 --port=P -m 8</c> from <c>@electric-sql/pglite-socket</c>,
/// installed by <c>npm ci</c> in tests/pglite, with an in-memory database. Stopped (process tree killed) on disposal.
/// </summary>
internal sealed class PgliteServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private PgliteServer(Process process, int port)
    {
        _process = process;
        Port = port;
    }

    public int Port { get; }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    /// <summary>tests/pglite, found from the test binaries upwards (or <c>VINCE_PGLITE_DIR</c>).</summary>
    public static string? FindPackageDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("VINCE_PGLITE_DIR");
        if (!string.IsNullOrEmpty(configured))
        {
            return configured;
        }

        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "tests", "pglite");
            if (File.Exists(Path.Combine(candidate, "package.json")))
            {
                return candidate;
            }
        }

        return null;
    }

    /// <summary>The server script, or <see langword="null"/> when <c>npm ci</c> has not run.</summary>
    public static string? FindServerScript()
    {
        string? dir = FindPackageDirectory();
        string? script = dir is null ? null : Path.Combine(dir, "node_modules", "@electric-sql", "pglite-socket", "dist", "scripts", "server.js");
        return script is not null && File.Exists(script) && FindNode() is not null ? script : null;
    }

    public static string? FindNode()
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(p => Path.Combine(p, "node"))
            .FirstOrDefault(File.Exists);

    public static string MissingMessage =>
        "The PGlite server was not found: needs node and tests/pglite/node_modules (run `npm ci` in tests/pglite; scripts/test.sh does this).";

    public string ConnectionString(bool pooling = false) => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1",
        Port = Port,
        Username = "postgres",
        Password = "postgres",
        Database = "postgres",
        // PGlite serialises connections: one physical connection at a time.
        Pooling = pooling,
        MaxPoolSize = 1,
        Timeout = 30,
        CommandTimeout = 60,
    }.ConnectionString;

    public static async Task<PgliteServer> StartNewAsync()
    {
        string script = FindServerScript() ?? throw new InvalidOperationException(MissingMessage);
        int port = ServerProcess.FreeLoopbackPort();
        var info = new ProcessStartInfo(FindNode()!)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = Path.GetDirectoryName(script)!,
        };

        // The server exits when our end of its stdin closes, so it never outlives the test process.
        info.ArgumentList.Add("--require");
        info.ArgumentList.Add(Path.Combine(FindPackageDirectory()!, "exit-with-parent.cjs"));
        info.ArgumentList.Add(script);
        info.ArgumentList.Add("--host=127.0.0.1");
        info.ArgumentList.Add("--port=" + port.ToString(CultureInfo.InvariantCulture));
        info.ArgumentList.Add("-m");
        info.ArgumentList.Add("8");
        var process = Process.Start(info) ?? throw new InvalidOperationException("Could not start node.");
        var server = new PgliteServer(process, port);
        _ = ServerProcess.PumpAsync(process.StandardOutput, server._output);
        _ = ServerProcess.PumpAsync(process.StandardError, server._output);
        try
        {
            await server.WaitUntilListeningAsync(TimeSpan.FromSeconds(60));
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(10_000);
            }
        }
        catch (InvalidOperationException)
        {
        }

        _process.Dispose();
        return ValueTask.CompletedTask;
    }

    private async Task WaitUntilListeningAsync(TimeSpan timeout)
    {
        var deadline = DateTime.UtcNow + timeout;
        while (DateTime.UtcNow < deadline)
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"pglite-server exited with {_process.ExitCode}. Output:\n{Output}");
            }

            // Printed once the socket is bound; a probing connection is not needed (and would take PGlite's one session).
            if (Output.Contains("listening", StringComparison.OrdinalIgnoreCase))
            {
                return;
            }

            await Task.Delay(100);
        }

        throw new TimeoutException($"pglite-server did not listen on port {Port} within {timeout}. Output:\n{Output}");
    }
}
