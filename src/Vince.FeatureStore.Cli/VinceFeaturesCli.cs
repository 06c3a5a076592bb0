using System.Reflection;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Cli.Commands;
using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Cli;

/// <summary>
/// The <c>vince-features</c> command-line tool, callable in-process: <c>Main</c> runs it with the console and the
/// process environment; tests and hosts can run it with their own writers and environment.
/// </summary>
internal static class VinceFeaturesCli
{
    /// <summary>Exit code of a command that succeeded.</summary>
    public const int Success = 0;

    /// <summary>Exit code of a command that failed (stderr says what and what to do); also a failed parity check.</summary>
    public const int Failure = 1;

    /// <summary>Exit code of a wrong command line: unknown command or option, missing required option, bad value.</summary>
    public const int UsageError = 2;

    /// <summary>Exit code of <c>train</c> when the quality gate refused the new set (nothing was installed).</summary>
    public const int Rejected = 3;

    /// <summary>Exit code when the run was cancelled (Ctrl+C, SIGTERM), as shells report SIGINT.</summary>
    public const int Interrupted = 130;

    /// <summary>Runs the tool with the process environment.</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="stdout">Receives results.</param>
    /// <param name="stderr">Receives progress, messages and errors.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, CancellationToken cancellationToken = default)
        => RunAsync(args, stdout, stderr, VinceEnvironment.Process.AsFunc(), cancellationToken);

    /// <summary>Runs the tool with an explicit environment (for tests and hosts).</summary>
    /// <param name="args">The command line, without the program name.</param>
    /// <param name="stdout">Receives results.</param>
    /// <param name="stderr">Receives progress, messages and errors.</param>
    /// <param name="environment">Reads an environment variable (<c>SUPABASE_URL</c>, <c>VINCE_FEATURE_STORE_DATA_DIR</c>, …); <see langword="null"/> when unset.</param>
    /// <param name="cancellationToken">Cancels the command (Ctrl+C).</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> RunAsync(IReadOnlyList<string> args, TextWriter stdout, TextWriter stderr, Func<string, string?> environment, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(args);
        ArgumentNullException.ThrowIfNull(stdout);
        ArgumentNullException.ThrowIfNull(stderr);
        ArgumentNullException.ThrowIfNull(environment);
        IReadOnlyList<CommandSpec> commands = CommandCatalog.All;

        ParsedCommandLine parsed;
        try
        {
            parsed = ArgumentParser.Parse(args, commands);
        }
        catch (UsageException ex)
        {
            return Usage(stderr, ex);
        }

        switch (parsed.Kind)
        {
            case RequestKind.Help:
                await stdout.WriteAsync(parsed.Command is { } command ? HelpWriter.ForCommand(command, CliContext.Tool) : HelpWriter.General(commands, CliContext.Tool)).ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                return Success;
            case RequestKind.Version:
                await stdout.WriteLineAsync($"{CliContext.Tool} {Version}").ConfigureAwait(false);
                await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
                return Success;
        }

        CommandSpec spec = parsed.Command!;
        var context = new CliContext(stdout, stderr, environment, parsed.Quiet, parsed.Verbose);
        try
        {
            int code = await spec.Run(context, parsed.Options!, cancellationToken).ConfigureAwait(false);
            await stdout.FlushAsync(cancellationToken).ConfigureAwait(false);
            return code;
        }
        catch (UsageException ex)
        {
            return Usage(stderr, ex.Command is null ? new UsageException(ex.Message) { Command = spec.Name } : ex);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            context.WriteError($"{CliContext.Tool} {spec.Name}: interrupted.");
            return Interrupted;
        }
        catch (Exception ex)
        {
            // The top of the tool: every failure ends here as one clear message and exit code 1 (details with --verbose).
            string message = ex is CommandFailedException ? ex.Message : $"{ex.Message} ({ex.GetType().Name})";
            context.WriteError($"{CliContext.Tool} {spec.Name}: error: {message}");
            if (context.Verbose)
            {
                context.WriteError(ex.ToString());
            }

            return Failure;
        }
        finally
        {
            await stdout.FlushAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private static string Version
        => typeof(VinceFeaturesCli).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0] ?? "unknown";

    private static int Usage(TextWriter stderr, UsageException ex)
    {
        string where = ex.Command is null ? CliContext.Tool : $"{CliContext.Tool} {ex.Command}";
        stderr.WriteLine($"{where}: {ex.Message}");
        stderr.WriteLine($"Run '{where} --help' for usage.");
        stderr.Flush();
        return UsageError;
    }
}
