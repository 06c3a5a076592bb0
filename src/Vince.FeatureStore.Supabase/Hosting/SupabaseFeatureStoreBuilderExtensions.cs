using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Supabase;
using Vince.FeatureStore.ModelSets;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Supabase sink to a feature store: <c>services.AddVinceFeatureStore().AddSupabase(...)</c>.</summary>
public static class SupabaseFeatureStoreBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="SupabaseFeatureSink"/> when a URL and a key are known: from <paramref name="configure"/>, else
    /// the environment (<c>SUPABASE_URL</c>, or a URL derived from <c>POSTGRES_URL</c>; <c>SUPABASE_SERVICE_ROLE_KEY</c>,
    /// else <c>SUPABASE_ANON_KEY</c>). When enabled, start-up logs
    /// <c>Supabase dual-write enabled for ML (table: vince_paper_bot_features)</c>; otherwise no sink is added and a
    /// debug line says features stay local. A <see cref="SupabaseFeatureReader"/> over the same table and a <see cref="SupabaseModelStore"/> as the
    /// host's <see cref="IModelBucket"/> (bucket <see cref="SupabaseOptions.ModelBucket"/>) are registered too (the first one wins). The decision is taken here, from the environment at registration time;
    /// <paramref name="configure"/> is called here once to decide, and again by the options system. Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddSupabase(this FeatureStoreBuilder builder, Action<SupabaseOptions>? configure = null)
        => Add(builder, configure, Environment.GetEnvironmentVariable);

    /// <summary>Adds a <see cref="SupabaseFeatureSink"/> writing to <paramref name="url"/> with <paramref name="apiKey"/>.</summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="url">The project URL, e.g. <c>https://&lt;ref&gt;.supabase.co</c>.</param>
    /// <param name="apiKey">The service-role key (or an anon key allowed to write by a policy).</param>
    /// <param name="configure">Adjusts the other options (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddSupabase(this FeatureStoreBuilder builder, Uri url, string apiKey, Action<SupabaseOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return Add(builder, options =>
        {
            options.Url = url;
            options.ApiKey = apiKey;
            configure?.Invoke(options);
        }, Environment.GetEnvironmentVariable);
    }

    internal static FeatureStoreBuilder Add(FeatureStoreBuilder builder, Action<SupabaseOptions>? configure, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;

        var probe = new SupabaseOptions();
        configure?.Invoke(probe);
        SupabaseSettings? settings = null;
        try
        {
            settings = SupabaseSettings.Resolve(probe, environment);
        }
        catch (ArgumentException)
        {
            // An invalid SUPABASE_URL: register the sink so that start-up validation reports it.
        }

        if (settings is { IsEnabled: false })
        {
            string reason = settings.Url is null
                ? $"no URL (set SupabaseOptions.Url or {SupabaseSettings.UrlVariable}, or a Supabase {SupabaseSettings.PostgresUrlVariable})"
                : $"no key (set SupabaseOptions.ApiKey or {SupabaseSettings.ServiceRoleKeyVariable})";
            services.AddSingleton<IHostedService>(sp => new SupabaseStartupLog(Logger(sp), enabled: false, probe.Table, reason));
            return builder;
        }

        // Each registration has its own named options and HttpClient, so several Supabase sinks can coexist.
        string optionsName = "Vince.FeatureStore.Supabase:" + Guid.NewGuid().ToString("N");
        OptionsBuilder<SupabaseOptions> options = services.AddOptions<SupabaseOptions>(optionsName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<SupabaseOptions>>(new SupabaseOptionsValidator(optionsName, environment));
        // The sink applies its own per-request timeout; the key headers are redacted from the factory's trace logs.
        services.AddHttpClient(optionsName, client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RedactLoggedHeaders(["apikey", "Authorization"]);

        services.AddSingleton(sp => new SupabaseSinkRegistration(optionsName, CreateSink(sp, optionsName, environment)));
        services.AddSingleton<IFeatureSink>(sp => Find(sp, optionsName));
        services.TryAddSingleton(sp => Find(sp, optionsName).CreateReader(sp.GetService<ILogger<SupabaseFeatureReader>>()));

        // The model bucket of the same project (first registration wins): scoring downloads from it, training uploads to it.
        services.TryAddSingleton<IModelBucket>(sp => Find(sp, optionsName).CreateModelStore(
            sp.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get(optionsName).ModelBucket,
            sp.GetService<ILogger<SupabaseModelStore>>()));
        string? anonKeySource = settings is { IsAnonKey: true } ? settings.KeySource : null;
        services.AddSingleton<IHostedService>(sp => new SupabaseStartupLog(Logger(sp), enabled: true, probe.Table, reason: "", anonKeySource));
        return builder;
    }

    private static ILogger Logger(IServiceProvider services)
        => services.GetService<ILoggerFactory>()?.CreateLogger<SupabaseFeatureSink>() ?? (ILogger)NullLogger.Instance;

    private static SupabaseFeatureSink Find(IServiceProvider services, string optionsName)
        => services.GetServices<SupabaseSinkRegistration>().First(r => string.Equals(r.OptionsName, optionsName, StringComparison.Ordinal)).Sink;

    private static SupabaseFeatureSink CreateSink(IServiceProvider services, string optionsName, Func<string, string?> environment)
    {
        SupabaseOptions options = services.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get(optionsName);
        IHttpClientFactory factory = services.GetRequiredService<IHttpClientFactory>();
        return new SupabaseFeatureSink(options, () => factory.CreateClient(optionsName), Logger(services), services.GetService<TimeProvider>(), environment);
    }
}

/// <summary>Ties a sink to its <c>.AddSupabase(...)</c> call.</summary>
internal sealed class SupabaseSinkRegistration(string optionsName, SupabaseFeatureSink sink)
{
    public string OptionsName { get; } = optionsName;

    public SupabaseFeatureSink Sink { get; } = sink;
}
