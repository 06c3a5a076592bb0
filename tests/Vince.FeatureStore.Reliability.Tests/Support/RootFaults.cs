using System.Diagnostics;

namespace Vince.FeatureStore.Reliability.Tests.Support;

/// <summary>
/// A fact that needs root for a real fault (mounting a small tmpfs, running the store as another user). Skipped with
/// the reason outside CI when not root; with <c>CI=true</c> it runs, and so fails, when the fault cannot be made.
/// </summary>
public sealed class RootFactAttribute : FactAttribute
{
    public RootFactAttribute()
    {
        if (!ServerAvailability.IsCi && !RootFaults.IsRoot)
        {
            Skip = "Skipped outside CI: this fault test needs root (mount, runuser).";
        }
    }
}

/// <summary>Running the tools a fault needs, failing the test with their output when they fail.</summary>
internal static class RootFaults
{
    public static bool IsRoot => Environment.UserName == "root";

    /// <summary>Runs <paramref name="program"/> and fails the test unless it exits 0.</summary>
    public static void Run(string program, params string[] arguments)
    {
        var start = new ProcessStartInfo(program) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', arguments)} exited with {process.ExitCode}: {output}");
    }
}

/// <summary>
/// A real small disk: a tmpfs of a few MB mounted on a fresh directory (unmounted on dispose). <see cref="Fill"/> takes
/// every free byte with a filler file, so the store's next write fails with ENOSPC; <see cref="FreeSpace"/> gives it back.
/// </summary>
internal sealed class TmpfsMount : IDisposable
{
    private readonly string _filler;

    public TmpfsMount(string size = "3m")
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "vince-fs-tmpfs", Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Path);
        RootFaults.Run("mount", "-t", "tmpfs", "-o", $"size={size},mode=0755", "tmpfs", Path);
        _filler = System.IO.Path.Combine(Path, "filler.bin");
    }

    public string Path { get; }

    /// <summary>Writes the filler until the disk is full; returns its size.</summary>
    public long Fill()
    {
        using var stream = new FileStream(_filler, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        byte[] chunk = new byte[4096];
        try
        {
            while (true)
            {
                stream.Write(chunk);
            }
        }
        catch (IOException)
        {
            // ENOSPC: the disk is full, which is the point.
        }

        return stream.Length;
    }

    public void FreeSpace() => File.Delete(_filler);

    public void Dispose()
    {
        using (Process umount = Process.Start("umount", ["-l", Path]))
        {
            umount.WaitForExit();
        }

        Directory.Delete(Path, recursive: true);
    }
}
