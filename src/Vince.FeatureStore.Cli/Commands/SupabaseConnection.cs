using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Supabase;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>
/// The Supabase URL and key for a command, resolved as the library resolves them (<see cref="SupabaseSettings.Resolve"/>)
/// from <c>--url</c> and the tool's environment, and an HTTP client. The key comes from the environment only.
/// </summary>
internal sealed class SupabaseConnection : IDisposable
{
    private SupabaseConnection(SupabaseOptions options, SupabaseSettings settings)
    {
        Options = options;
        Settings = settings;
    }

    /// <summary>Options with the resolved URL and key set, so the library reads nothing else from the process environment.</summary>
    public SupabaseOptions Options { get; }

    /// <summary>Where the URL and key came from (the key redacted).</summary>
    public SupabaseSettings Settings { get; }

    public HttpClient Http { get; } = new() { Timeout = Timeout.InfiniteTimeSpan };

    public static SupabaseConnection Resolve(CliContext context, ParsedOptions options, Action<SupabaseOptions>? configure = null)
    {
        var supabase = new SupabaseOptions { Url = options.Url("url") };
        configure?.Invoke(supabase);
        IReadOnlyList<string> errors = supabase.Validate();
        if (errors.Count > 0)
        {
            throw new UsageException(string.Join(" ", errors)) { Command = options.Command.Name };
        }

        SupabaseSettings settings;
        try
        {
            settings = SupabaseSettings.Resolve(supabase, context.Environment);
        }
        catch (ArgumentException ex)
        {
            throw new UsageException(ex.Message, ex) { Command = options.Command.Name };
        }

        if (settings.Url is null)
        {
            throw new UsageException(
                $"no Supabase URL: pass --url https://<project-ref>.supabase.co or set {SupabaseSettings.UrlVariable} (or a Supabase {SupabaseSettings.PostgresUrlVariable}).")
            { Command = options.Command.Name };
        }

        // KeySource names the variable the library chose; read it through the same (injectable) environment.
        string? key = settings.KeySource is SupabaseSettings.ServiceRoleKeyVariable or SupabaseSettings.AnonKeyVariable
            ? context.Environment(settings.KeySource)?.Trim()
            : null;
        if (string.IsNullOrEmpty(key))
        {
            throw new UsageException(
                $"no Supabase key: set {SupabaseSettings.ServiceRoleKeyVariable} (or {SupabaseSettings.AnonKeyVariable}) in the environment. " +
                $"The tool takes no key option, so that the key stays out of shell history. ({settings})")
            { Command = options.Command.Name };
        }

        supabase.Url = settings.Url;
        supabase.ApiKey = key;
        context.Info(settings.ToString());
        return new SupabaseConnection(supabase, settings);
    }

    public SupabaseFeatureSink CreateSink(CliContext context)
        => new(Options, Http, Microsoft.Extensions.Logging.LoggerFactoryExtensions.CreateLogger<SupabaseFeatureSink>(context.LoggerFactory));

    public void Dispose() => Http.Dispose();
}
