using System.Globalization;
using Npgsql;

namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>
/// A throwaway PostgreSQL cluster: initdb into a temporary directory, started with pg_ctl on a free loopback port,
/// password authentication (scram-sha-256), and removed on disposal. As root, every server program runs as the
/// <c>postgres</c> user via <c>runuser</c>. Used by the tests and linked into the benchmarks.
/// </summary>
internal sealed class PostgresCluster : IAsyncDisposable
{
    /// <summary>Has characters a URL must percent-encode and a connection string must quote.</summary>
    public const string Password = "Vince p@ss:w/rd%;'x";

    public const string User = "postgres";

    private readonly string _bin;
    private readonly string? _runAs;
    private int _databaseCounter;
    private bool _running;
    private int _disposed;
    private System.Diagnostics.Process? _watchdog;

    private PostgresCluster(string bin, string root, int port)
    {
        _bin = bin;
        Root = root;
        Port = port;
        _runAs = ServerProcess.IsRoot ? "postgres" : null;
    }

    public string Root { get; }

    public string DataDirectory => Path.Combine(Root, "data");

    public string LogFile => Path.Combine(Root, "server.log");

    public int Port { get; private set; }

    public string Host => "127.0.0.1";

    /// <summary>The directory holding initdb/pg_ctl: <c>VINCE_PG_BIN</c>, else PostgreSQL 15, else the newest installed; <see langword="null"/> when none.</summary>
    public static string? FindBinDirectory()
    {
        string? configured = Environment.GetEnvironmentVariable("VINCE_PG_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return File.Exists(Path.Combine(configured, "initdb")) ? configured : null;
        }

        const string debian = "/usr/lib/postgresql";
        if (File.Exists(Path.Combine(debian, "15", "bin", "initdb")))
        {
            return Path.Combine(debian, "15", "bin");
        }

        if (!Directory.Exists(debian))
        {
            return null;
        }

        return Directory.GetDirectories(debian)
            .Select(d => (Dir: Path.Combine(d, "bin"), Version: int.TryParse(Path.GetFileName(d), NumberStyles.None, CultureInfo.InvariantCulture, out int v) ? v : 0))
            .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
            .OrderByDescending(d => d.Version)
            .Select(d => d.Dir)
            .FirstOrDefault();
    }

    public static string MissingMessage =>
        "PostgreSQL server binaries (initdb, pg_ctl) were not found in /usr/lib/postgresql/*/bin or VINCE_PG_BIN. " +
        "Install the Debian package 'postgresql' (scripts/test.sh does this when it runs as root).";

    /// <summary>Creates and starts a new cluster.</summary>
    /// <param name="durable">Keep PostgreSQL's default durability (fsync, full page writes), as a production server
    /// runs; otherwise fsync is off for speed (the tests only simulate server crashes, never OS crashes).</param>
    public static async Task<PostgresCluster> StartNewAsync(bool durable = false)
    {
        string bin = FindBinDirectory() ?? throw new InvalidOperationException(MissingMessage);
        string root = Path.Combine(Path.GetTempPath(), "vince-pg-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(root);
        var cluster = new PostgresCluster(bin, root, ServerProcess.FreeLoopbackPort());
        try
        {
            cluster.StartWatchdog();
            await cluster.InitAsync(durable);
            await cluster.StartWithRetryAsync();
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    public string ConnectionString(string database = "postgres", string password = Password, bool pooling = true) => new NpgsqlConnectionStringBuilder
    {
        Host = Host,
        Port = Port,
        Username = User,
        Password = password,
        Database = database,
        Pooling = pooling,
        Timeout = 10,
    }.ConnectionString;

    /// <summary>A <c>postgresql://</c> URL for <paramref name="database"/> with the password percent-encoded.</summary>
    public string Url(string database = "postgres", string password = Password)
        => $"postgresql://{Uri.EscapeDataString(User)}:{Uri.EscapeDataString(password)}@{Host}:{Port}/{Uri.EscapeDataString(database)}?sslmode=disable&application_name=vince-tests";

    /// <summary>Creates an empty database and returns its name.</summary>
    public async Task<string> CreateDatabaseAsync(string prefix = "t")
    {
        string name = $"{prefix}_{Interlocked.Increment(ref _databaseCounter)}_{Guid.NewGuid().ToString("N")[..8]}";
        await using var connection = new NpgsqlConnection(ConnectionString(pooling: false));
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand($"CREATE DATABASE \"{name}\"", connection);
        await command.ExecuteNonQueryAsync();
        return name;
    }

    /// <summary>Stops the server: <c>immediate</c> drops every connection at once, like a crash.</summary>
    public async Task StopAsync(string mode = "immediate")
    {
        await PgCtlAsync("stop", "-m", mode, "-w", "-t", "60");
        _running = false;
    }

    /// <summary>Starts the server again on the same port and data directory.</summary>
    public async Task StartAsync()
    {
        await PgCtlAsync("start", "-w", "-t", "60", "-l", LogFile);
        _running = true;
    }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (_running)
        {
            try
            {
                await StopAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
            {
                // Removing the directory below still makes the server exit.
            }
        }

        try
        {
            Directory.Delete(Root, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }

        if (_watchdog is not null)
        {
            _watchdog.StandardInput.Close();
            await Task.WhenAny(_watchdog.WaitForExitAsync(), Task.Delay(TimeSpan.FromSeconds(30)));
            _watchdog.Dispose();
        }
    }

    /// <summary>
    /// A shell that waits for its stdin to close, then stops the server and removes the directory. Only this process
    /// holds the other end of that pipe (it is not inherited), so the cluster never outlives the test or benchmark
    /// process, even when that is killed.
    /// </summary>
    private void StartWatchdog()
    {
        string stop = _runAs is null ? "\"$1\"" : $"runuser -u {_runAs} -- \"$1\"";
        var info = new System.Diagnostics.ProcessStartInfo("/bin/sh") { RedirectStandardInput = true, UseShellExecute = false };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add($"cat >/dev/null; {stop} -D \"$0/data\" stop -m immediate -w -t 30 >/dev/null 2>&1; rm -rf \"$0\"");
        info.ArgumentList.Add(Root);
        info.ArgumentList.Add(Path.Combine(_bin, "pg_ctl"));
        _watchdog = System.Diagnostics.Process.Start(info);
    }

    private async Task InitAsync(bool durable)
    {
        string passwordFile = Path.Combine(Root, "pwfile");
        await File.WriteAllTextAsync(passwordFile, Password + "\n");
        if (_runAs is not null)
        {
            await ServerProcess.RunAsync("chown", ["-R", $"{_runAs}:", Root]);
        }

        await ServerProcess.RunAsync(Path.Combine(_bin, "initdb"),
            ["-D", DataDirectory, "-U", User, "--auth=scram-sha-256", "--pwfile=" + passwordFile, "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
            _runAs);
        File.Delete(passwordFile);

        // Throwaway data: unless durable, no fsync (the OS cache survives a server crash, which is all the tests
        // simulate); commits stay synchronous, so an immediate stop never loses a committed transaction. Loopback
        // only; the socket in our own directory.
        await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), string.Join('\n',
            "",
            "listen_addresses = '127.0.0.1'",
            $"unix_socket_directories = '{Root}'",
            durable ? "fsync = on" : "fsync = off",
            durable ? "full_page_writes = on" : "full_page_writes = off",
            "max_connections = 60",
            "shared_buffers = 64MB",
            "max_wal_size = 1GB",
            "log_min_messages = warning",
            ""));
    }

    private async Task StartWithRetryAsync()
    {
        for (int attempt = 1; ; attempt++)
        {
            await File.AppendAllTextAsync(Path.Combine(DataDirectory, "postgresql.conf"), $"port = {Port}\n");
            try
            {
                await StartAsync();
                return;
            }
            catch (InvalidOperationException) when (attempt < 3)
            {
                // Most likely the port was taken between probing and binding: try another one.
                Port = ServerProcess.FreeLoopbackPort();
            }
            catch (InvalidOperationException ex)
            {
                string log = File.Exists(LogFile) ? await File.ReadAllTextAsync(LogFile) : "(no server log)";
                throw new InvalidOperationException($"{ex.Message}\nServer log:\n{log}", ex);
            }
        }
    }

    private Task<string> PgCtlAsync(params string[] arguments)
        => ServerProcess.RunAsync(Path.Combine(_bin, "pg_ctl"), ["-D", DataDirectory, .. arguments], _runAs);
}
