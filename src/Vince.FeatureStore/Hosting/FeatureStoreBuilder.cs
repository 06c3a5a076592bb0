using System.Diagnostics.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace Vince.FeatureStore;

/// <summary>
/// Returned by <c>AddVinceFeatureStore</c>; sink packages extend it (<c>.AddPostgres(...)</c>,
/// <c>.AddSupabase(...)</c>) and hosts can add their own <see cref="IFeatureSink"/>.
/// </summary>
public sealed class FeatureStoreBuilder
{
    internal FeatureStoreBuilder(IServiceCollection services) => Services = services;

    /// <summary>The service collection the store is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>
    /// Takes <paramref name="name"/> for a sink registration (sink packages call it from <c>.AddPostgres(...)</c> etc.): when
    /// two registrations take one name (case-insensitive), the host fails to start, naming both.
    /// </summary>
    /// <param name="name">The sink name.</param>
    /// <param name="registeredBy">The registration, for the message (e.g. <c>.AddPostgres</c>).</param>
    /// <returns>This builder.</returns>
    internal FeatureStoreBuilder ReserveSinkName(string name, string registeredBy)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentException.ThrowIfNullOrEmpty(registeredBy);
        Services.AddSingleton(new SinkNameReservation(name, registeredBy));
        return this;
    }

    /// <summary>Adds a sink resolved from the container (registered as a singleton).</summary>
    /// <typeparam name="TSink">The sink type.</typeparam>
    /// <returns>This builder.</returns>
    public FeatureStoreBuilder AddSink<[DynamicallyAccessedMembers(DynamicallyAccessedMemberTypes.PublicConstructors)] TSink>()
        where TSink : class, IFeatureSink
    {
        Services.TryAddSingleton<TSink>();
        Services.AddSingleton<IFeatureSink>(sp => sp.GetRequiredService<TSink>());
        return this;
    }

    /// <summary>Adds a sink created by <paramref name="factory"/> (called once).</summary>
    /// <param name="factory">Creates the sink.</param>
    /// <returns>This builder.</returns>
    public FeatureStoreBuilder AddSink(Func<IServiceProvider, IFeatureSink> factory)
    {
        ArgumentNullException.ThrowIfNull(factory);
        Services.AddSingleton(factory);
        return this;
    }

    /// <summary>Adds an existing sink instance.</summary>
    /// <param name="sink">The sink.</param>
    /// <returns>This builder.</returns>
    public FeatureStoreBuilder AddSink(IFeatureSink sink)
    {
        ArgumentNullException.ThrowIfNull(sink);
        Services.AddSingleton(sink);
        return this;
    }
}
