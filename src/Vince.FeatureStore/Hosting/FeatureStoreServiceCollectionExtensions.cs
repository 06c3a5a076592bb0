using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the feature store in a host.</summary>
public static class FeatureStoreServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="FeatureStore"/> as a singleton with a hosted service that starts it and flushes it
    /// on shutdown. Options are validated when the host starts.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <returns>A builder to add sinks with.</returns>
    public static FeatureStoreBuilder AddVinceFeatureStore(this IServiceCollection services, Action<FeatureStoreOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<FeatureStoreOptions> options = AddCore(services);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return new FeatureStoreBuilder(services);
    }

    /// <summary>
    /// Registers the feature store with options bound from <paramref name="configuration"/> (e.g. the section
    /// <c>VinceFeatureStore</c>). A key that is not a setting of <see cref="FeatureStoreOptions"/> fails the start, naming its path.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configuration">The configuration section holding <see cref="FeatureStoreOptions"/> keys.</param>
    /// <returns>A builder to add sinks with.</returns>
    public static FeatureStoreBuilder AddVinceFeatureStore(this IServiceCollection services, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(services).BindSection(configuration, FeatureStoreOptionsBinder.Bind);
        return new FeatureStoreBuilder(services);
    }

    private static OptionsBuilder<FeatureStoreOptions> AddCore(IServiceCollection services)
    {
        OptionsBuilder<FeatureStoreOptions> options = services.AddOptions<FeatureStoreOptions>();
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureStoreOptions>, FeatureStoreOptionsValidator>());
        services.TryAddSingleton(sp => new FeatureStore(
            sp.GetRequiredService<IOptions<FeatureStoreOptions>>().Value,
            sp.GetServices<IFeatureSink>(),
            sp.GetService<ILoggerFactory>(),
            sp.GetService<IMeterFactory>(),
            sp.GetService<TimeProvider>())
        {
            // Warm-starts the serving history when the local log is empty: the most shared store, as training reads.
            HistorySource = FeatureSource.SelectRemote(sp.GetServices<FeatureSource>())?.Query ?? sp.GetService<IFeatureQuery>(),
        });
        // Bots inject the interface; it must be the started store, not a second one.
        services.TryAddSingleton<IFeatureStore>(sp => sp.GetRequiredService<FeatureStore>());
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, FeatureStoreHostedService>());
        return options;
    }
}
