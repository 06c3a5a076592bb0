namespace Vince.FeatureStore.Cli.Tests.Support;

/// <summary>What one in-process run of the tool printed and returned.</summary>
public sealed record CliResult(int ExitCode, string Stdout, string Stderr)
{
    public override string ToString() => $"exit {ExitCode}\n--- stdout ---\n{Stdout}\n--- stderr ---\n{Stderr}";
}

/// <summary>Runs the tool's entry point in-process with captured writers and an explicit environment (nothing from the test process's).</summary>
public static class Tool
{
    public static Task<CliResult> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), CancellationToken.None, args);

    public static Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
        => RunAsync(environment, CancellationToken.None, args);

    public static async Task<CliResult> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        int code = await VinceFeaturesCli.RunAsync(args, stdout, stderr, name => environment.TryGetValue(name, out string? value) ? value : null, cancellationToken);
        return new CliResult(code, stdout.ToString(), stderr.ToString());
    }

    /// <summary>Asserts the exit code, showing everything the tool printed when it differs.</summary>
    public static CliResult Expect(this CliResult result, int exitCode)
    {
        Assert.True(result.ExitCode == exitCode, $"Expected exit code {exitCode}.\n{result}");
        return result;
    }
}
