using System.Diagnostics;

namespace Vince.FeatureStore.Cli.Tests.Support;

/// <summary>
/// Debian's chromium, run headless as a real process: the rendered DOM of a page and a PNG screenshot of it.
/// Outside CI a machine without chromium skips the tests that need it; with <c>CI=true</c> they run and fail.
/// </summary>
internal static class HeadlessChromium
{
    public const string MissingMessage = "chromium is not installed (apt-get install -y chromium; scripts/test.sh installs it).";

    private static readonly string[] Names = ["chromium", "chromium-browser", "google-chrome"];

    public static bool IsCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    /// <summary>The browser on PATH, or <see langword="null"/>.</summary>
    public static string? Find()
        => (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .SelectMany(dir => Names.Select(name => Path.Combine(dir, name)))
            .FirstOrDefault(File.Exists);

    /// <summary>The DOM after the page has loaded and rendered.</summary>
    public static async Task<string> DumpDomAsync(string htmlFile)
        => (await RunAsync(["--dump-dom", new Uri(htmlFile).AbsoluteUri])).Stdout;

    /// <summary>A screenshot of the page at <paramref name="width"/> × <paramref name="height"/> pixels.</summary>
    public static async Task ScreenshotAsync(string htmlFile, string pngFile, int width, int height)
    {
        (string stdout, string stderr) = await RunAsync([$"--screenshot={pngFile}", $"--window-size={width},{height}", "--hide-scrollbars", new Uri(htmlFile).AbsoluteUri]);
        Assert.True(File.Exists(pngFile), $"chromium wrote no screenshot.\n{stdout}\n{stderr}");
    }

    private static async Task<(string Stdout, string Stderr)> RunAsync(IEnumerable<string> arguments)
    {
        string browser = Find() ?? throw new InvalidOperationException(MissingMessage);
        using var profile = new TempDirectory();
        var start = new ProcessStartInfo(browser) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        // Root in a container: no sandbox; no GPU; a profile of its own so runs never share state.
        foreach (string argument in (string[])["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run", $"--user-data-dir={profile.Path}", .. arguments])
        {
            start.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(start)!;
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"chromium did not finish within 120 s.\n{await stderr}");
        }

        Assert.True(process.ExitCode == 0, $"chromium exited with {process.ExitCode}.\n{await stderr}");
        return (await stdout, await stderr);
    }
}

/// <summary>A fact that needs chromium: skipped (with the reason) outside CI when it is missing.</summary>
public sealed class ChromiumFactAttribute : FactAttribute
{
    public ChromiumFactAttribute()
    {
        if (!HeadlessChromium.IsCi && HeadlessChromium.Find() is null)
        {
            Skip = "Skipped outside CI: " + HeadlessChromium.MissingMessage;
        }
    }
}
