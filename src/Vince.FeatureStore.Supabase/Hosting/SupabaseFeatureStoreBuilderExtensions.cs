using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
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
    /// <remarks>
    /// The sink's options are the named options <paramref name="name"/>: <c>services.Configure&lt;SupabaseOptions&gt;(name, ...)</c>
    /// adjusts them too. The name is also the sink's <see cref="SupabaseOptions.Name"/> (its cursor file, status, metrics tag and
    /// health check); without <paramref name="name"/> it is the <see cref="SupabaseOptions.Name"/> <paramref name="configure"/> sets,
    /// else <c>supabase</c>. Two sinks with one name fail the start.
    /// </remarks>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <param name="name">The sink name; see the remarks.</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddSupabase(this FeatureStoreBuilder builder, Action<SupabaseOptions>? configure = null, string? name = null)
        => Add(builder, name, configure, section: null, VinceEnvironment.Process.AsFunc());

    /// <summary>
    /// Adds a <see cref="SupabaseFeatureSink"/> as <see cref="AddSupabase(FeatureStoreBuilder, Action{SupabaseOptions}?, string?)"/>
    /// does, with the options bound from <paramref name="configuration"/> (e.g. the section <c>VinceFeatureStore:Supabase</c>;
    /// the URL and key still fall back to the environment). A key that is not a setting of <see cref="SupabaseOptions"/>
    /// fails the start, naming its path.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="SupabaseOptions"/> keys.</param>
    /// <param name="name">The sink name; when <see langword="null"/>, the section's <c>Name</c>, else <c>supabase</c>.</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddSupabase(this FeatureStoreBuilder builder, IConfiguration configuration, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(builder, name, configure: null, configuration, VinceEnvironment.Process.AsFunc());
    }

    /// <summary>Adds a <see cref="SupabaseFeatureSink"/> writing to <paramref name="url"/> with <paramref name="apiKey"/>.</summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="url">The project URL, e.g. <c>https://&lt;ref&gt;.supabase.co</c>.</param>
    /// <param name="apiKey">The service-role key (or an anon key allowed to write by a policy).</param>
    /// <param name="configure">Adjusts the other options (may be <see langword="null"/>).</param>
    /// <param name="name">The sink name (see <see cref="AddSupabase(FeatureStoreBuilder, Action{SupabaseOptions}?, string?)"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddSupabase(this FeatureStoreBuilder builder, Uri url, string apiKey, Action<SupabaseOptions>? configure = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentException.ThrowIfNullOrWhiteSpace(apiKey);
        return Add(builder, name, options =>
        {
            options.Url = url;
            options.ApiKey = apiKey;
            configure?.Invoke(options);
        }, section: null, VinceEnvironment.Process.AsFunc());
    }

    internal static FeatureStoreBuilder Add(FeatureStoreBuilder builder, Action<SupabaseOptions>? configure, Func<string, string?> environment)
        => Add(builder, name: null, configure, section: null, environment);

    internal static FeatureStoreBuilder Add(FeatureStoreBuilder builder, string? name, Action<SupabaseOptions>? configure, IConfiguration? section, Func<string, string?> environment)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;

        var probe = new SupabaseOptions();
        if (section is not null)
        {
            SupabaseOptionsBinder.Bind(new ConfigurationSectionReader(section), probe);
        }

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

        // The sink name is the options name, so "services.Configure<SupabaseOptions>(name, ...)" and binding reach it;
        // each name has its own HttpClient, so several Supabase sinks can coexist.
        string optionsName = name ?? (string.IsNullOrEmpty(probe.Name) ? SupabaseOptions.DefaultName : probe.Name);
        OptionsBuilder<SupabaseOptions> options = services.AddOptions<SupabaseOptions>(optionsName).Configure(o => o.Name = optionsName);
        if (section is not null)
        {
            // Bound and checked for unknown keys even when no sink is added: a misspelt key is what may have disabled it.
            options.BindSection(section, SupabaseOptionsBinder.Bind).ValidateOnStart();
        }

        if (settings is { IsEnabled: false })
        {
            string reason = settings.Url is null
                ? $"no URL (set SupabaseOptions.Url or {SupabaseSettings.UrlVariable}, or a Supabase {SupabaseSettings.PostgresUrlVariable})"
                : $"no key (set SupabaseOptions.ApiKey or {SupabaseSettings.ServiceRoleKeyVariable})";
            services.AddSingleton<IHostedService>(sp => new SupabaseStartupLog(Logger(sp), enabled: false, probe.Table, reason));
            return builder;
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.ReserveSinkName(optionsName, ".AddSupabase");
        services.AddSingleton<IValidateOptions<SupabaseOptions>>(new SupabaseOptionsValidator(optionsName, environment));
        // The sink applies its own per-request timeout; the key headers are redacted from the factory's trace logs.
        services.AddHttpClient(HttpClientName(optionsName), client => client.Timeout = Timeout.InfiniteTimeSpan)
            .RedactLoggedHeaders(["apikey", "Authorization"]);

        services.AddSingleton(sp => new SupabaseSinkRegistration(optionsName, CreateSink(sp, optionsName, environment)));
        services.AddSingleton<IFeatureSink>(sp => Find(sp, optionsName));
        if (!services.Any(d => d.ServiceType == typeof(SupabaseFeatureReader)))
        {
            // The first registration's table is the Supabase training source (FeatureSourceKind.Supabase).
            services.AddSingleton(sp => Find(sp, optionsName).CreateReader(sp.GetService<ILogger<SupabaseFeatureReader>>()));
            services.AddSingleton(sp =>
            {
                SupabaseFeatureReader reader = sp.GetRequiredService<SupabaseFeatureReader>();
                return new FeatureSource(FeatureSourceKind.Supabase, reader, $"the Supabase table {reader.TableName}");
            });
        }

        // The model bucket of the same project (first registration wins): scoring downloads from it, training uploads to it.
        services.TryAddSingleton<IModelBucket>(sp => Find(sp, optionsName).CreateModelStore(
            sp.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get(optionsName).ModelBucket,
            sp.GetService<ILogger<SupabaseModelStore>>()));
        string? anonKeySource = settings is { IsAnonKey: true } ? settings.KeySource : null;
        services.AddSingleton<IHostedService>(sp => new SupabaseStartupLog(Logger(sp), enabled: true, probe.Table, reason: "", anonKeySource));
        return builder;
    }

    /// <summary>The HttpClient of one sink: prefixed, so that it cannot clash with a client of the host's own.</summary>
    private static string HttpClientName(string sinkName) => "Vince.FeatureStore.Supabase:" + sinkName;

    private static ILogger Logger(IServiceProvider services)
        => services.GetService<ILoggerFactory>()?.CreateLogger<SupabaseFeatureSink>() ?? (ILogger)NullLogger.Instance;

    private static SupabaseFeatureSink Find(IServiceProvider services, string optionsName)
        => services.GetServices<SupabaseSinkRegistration>().First(r => string.Equals(r.OptionsName, optionsName, StringComparison.Ordinal)).Sink;

    private static SupabaseFeatureSink CreateSink(IServiceProvider services, string optionsName, Func<string, string?> environment)
    {
        SupabaseOptions options = services.GetRequiredService<IOptionsMonitor<SupabaseOptions>>().Get(optionsName);
        IHttpClientFactory factory = services.GetRequiredService<IHttpClientFactory>();
        return new SupabaseFeatureSink(options, () => factory.CreateClient(HttpClientName(optionsName)), Logger(services), services.GetService<TimeProvider>(), environment);
    }
}

/// <summary>Ties a sink to its <c>.AddSupabase(...)</c> call.</summary>
internal sealed class SupabaseSinkRegistration(string optionsName, SupabaseFeatureSink sink)
{
    public string OptionsName { get; } = optionsName;

    public SupabaseFeatureSink Sink { get; } = sink;
}
