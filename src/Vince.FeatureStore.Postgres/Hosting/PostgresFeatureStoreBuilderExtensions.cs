using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Vince.FeatureStore;
using Vince.FeatureStore.Postgres;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the Postgres / PGlite sink to a feature store: <c>services.AddVinceFeatureStore().AddPostgres(...)</c>.</summary>
public static class PostgresFeatureStoreBuilderExtensions
{
    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> that connects with <paramref name="connectionString"/> (key/value or a
    /// <c>postgresql://</c> URL such as the value of <c>POSTGRES_URL</c>), and registers a
    /// <see cref="PostgresFeatureReader"/> over the same table (also as the host's <see cref="IFeatureQuery"/>, the first
    /// registration wins). Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="connectionString">A key/value connection string or a <c>postgresql://</c> URL.</param>
    /// <param name="configure">Adjusts the other options (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, string connectionString, Action<PostgresSinkOptions>? configure = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Add(builder, options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        }, dataSourceFactory: null);
    }

    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> and a <see cref="PostgresFeatureReader"/>. The connection is, in this
    /// order: <see cref="PostgresSinkOptions.ConnectionString"/> when <paramref name="configure"/> sets it, the
    /// <see cref="NpgsqlDataSource"/> registered in the services (the host's own pool, not disposed by the sink),
    /// or the <c>POSTGRES_URL</c> environment variable. With none of them the host fails to start, naming the problem.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, Action<PostgresSinkOptions>? configure = null)
        => Add(builder, configure, dataSourceFactory: null);

    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> and a <see cref="PostgresFeatureReader"/> over the data source
    /// <paramref name="dataSource"/> returns (e.g. a keyed service); the sink does not dispose it.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="dataSource">Returns the connection pool to use (called once).</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>; <see cref="PostgresSinkOptions.ConnectionString"/> is ignored).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgresSinkOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return Add(builder, configure, dataSource);
    }

    private static FeatureStoreBuilder Add(FeatureStoreBuilder builder, Action<PostgresSinkOptions>? configure, Func<IServiceProvider, NpgsqlDataSource>? dataSourceFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;

        // Each registration has its own named options, so several Postgres sinks (different names/tables) can coexist.
        string optionsName = "Vince.FeatureStore.Postgres:" + Guid.NewGuid().ToString("N");
        OptionsBuilder<PostgresSinkOptions> options = services.AddOptions<PostgresSinkOptions>(optionsName);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<PostgresSinkOptions>>(sp => new PostgresSinkOptionsValidator(
            optionsName, dataSourceFactory is not null, sp.GetService<IServiceProviderIsService>(), Environment.GetEnvironmentVariable));

        services.AddSingleton(sp => new PostgresSinkRegistration(optionsName, CreateSink(sp, optionsName, dataSourceFactory)));
        services.AddSingleton<IFeatureSink>(sp => Find(sp, optionsName));
        services.TryAddSingleton(sp => Find(sp, optionsName).CreateReader(sp.GetService<ILogger<PostgresFeatureReader>>()));

        // The host's query over the store (e.g. the complete-trade count of train-when-ready) reads the table when Postgres is configured.
        services.TryAddSingleton<IFeatureQuery>(sp => sp.GetRequiredService<PostgresFeatureReader>());
        return builder;
    }

    private static PostgresFeatureSink Find(IServiceProvider services, string optionsName)
        => services.GetServices<PostgresSinkRegistration>().First(r => string.Equals(r.OptionsName, optionsName, StringComparison.Ordinal)).Sink;

    private static PostgresFeatureSink CreateSink(IServiceProvider services, string optionsName, Func<IServiceProvider, NpgsqlDataSource>? dataSourceFactory)
    {
        PostgresSinkOptions options = services.GetRequiredService<IOptionsMonitor<PostgresSinkOptions>>().Get(optionsName);
        ILogger logger = services.GetService<ILoggerFactory>()?.CreateLogger<PostgresFeatureSink>() ?? (ILogger)Logging.Abstractions.NullLogger.Instance;
        if (dataSourceFactory is not null)
        {
            return new PostgresFeatureSink(dataSourceFactory(services), ownsDataSource: false, options, logger);
        }

        if (string.IsNullOrWhiteSpace(options.ConnectionString) && services.GetService<NpgsqlDataSource>() is { } shared)
        {
            return new PostgresFeatureSink(shared, ownsDataSource: false, options, logger);
        }

        return new PostgresFeatureSink(PostgresFeatureSink.CreateDataSource(options, Environment.GetEnvironmentVariable), ownsDataSource: true, options, logger);
    }
}

/// <summary>Ties a sink to its <c>.AddPostgres(...)</c> call; the container disposes the sink through it.</summary>
internal sealed class PostgresSinkRegistration(string optionsName, PostgresFeatureSink sink) : IAsyncDisposable, IDisposable
{
    public string OptionsName { get; } = optionsName;

    public PostgresFeatureSink Sink { get; } = sink;

    public ValueTask DisposeAsync() => Sink.DisposeAsync();

    public void Dispose() => Sink.Dispose();
}
