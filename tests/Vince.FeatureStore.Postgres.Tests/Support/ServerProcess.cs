using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Vince.FeatureStore.Postgres.Tests.Support;

/// <summary>Runs the helper programs the test servers need and finds free loopback ports.</summary>
internal static class ServerProcess
{
    /// <summary>Whether this process runs as root (PostgreSQL refuses to run as root, so it is run as the postgres user).</summary>
    public static bool IsRoot => Environment.IsPrivilegedProcess && OperatingSystem.IsLinux();

    /// <summary>A loopback TCP port nobody listens on right now.</summary>
    public static int FreeLoopbackPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    /// <summary>Runs a program to completion (as <paramref name="runAs"/> via runuser when given) and returns its output; throws with the output when it fails.</summary>
    public static async Task<string> RunAsync(string file, IEnumerable<string> arguments, string? runAs = null, TimeSpan? timeout = null)
    {
        var info = new ProcessStartInfo
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        if (runAs is not null)
        {
            info.FileName = "runuser";
            info.ArgumentList.Add("-u");
            info.ArgumentList.Add(runAs);
            info.ArgumentList.Add("--");
            info.ArgumentList.Add(file);
        }
        else
        {
            info.FileName = file;
        }

        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}.");
        process.StandardInput.Close();
        var output = new StringBuilder();
        Task stdout = PumpAsync(process.StandardOutput, output);
        Task stderr = PumpAsync(process.StandardError, output);
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{Path.GetFileName(file)} did not finish in time. Output:\n{output}");
        }

        await Task.WhenAll(stdout, stderr);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{Path.GetFileName(file)} {string.Join(' ', arguments)} exited with {process.ExitCode}. Output:\n{output}");
        }

        return output.ToString();
    }

    public static async Task PumpAsync(StreamReader reader, StringBuilder sink, Action<string>? onLine = null)
    {
        while (await reader.ReadLineAsync() is { } line)
        {
            lock (sink)
            {
                sink.AppendLine(line);
            }

            onLine?.Invoke(line);
        }
    }
}
