using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Npgsql;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
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
    /// <param name="name">The sink name (see <see cref="AddPostgres(FeatureStoreBuilder, Action{PostgresSinkOptions}?, string?)"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, string connectionString, Action<PostgresSinkOptions>? configure = null, string? name = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionString);
        return Add(builder, name, options =>
        {
            options.ConnectionString = connectionString;
            configure?.Invoke(options);
        }, section: null, dataSourceFactory: null);
    }

    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> and a <see cref="PostgresFeatureReader"/>. The connection is, in this
    /// order: <see cref="PostgresSinkOptions.ConnectionString"/> when <paramref name="configure"/> sets it, the
    /// <see cref="NpgsqlDataSource"/> registered in the services (the host's own pool, not disposed by the sink),
    /// or the <c>POSTGRES_URL</c> environment variable. With none of them the host fails to start, naming the problem.
    /// </summary>
    /// <remarks>
    /// The sink's options are the named options <paramref name="name"/>: <c>services.Configure&lt;PostgresSinkOptions&gt;(name, ...)</c>
    /// adjusts them too. The name is also the sink's <see cref="PostgresSinkOptions.Name"/> (its cursor file, status, metrics
    /// tag and health check); without <paramref name="name"/> it is the <see cref="PostgresSinkOptions.Name"/>
    /// <paramref name="configure"/> sets (it is called once here to find out, and again by the options system), else
    /// <c>postgres</c>. Two sinks with one name fail the start.
    /// </remarks>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <param name="name">The sink name; see the remarks.</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, Action<PostgresSinkOptions>? configure = null, string? name = null)
        => Add(builder, name, configure, section: null, dataSourceFactory: null);

    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> and a <see cref="PostgresFeatureReader"/> with the options bound from
    /// <paramref name="configuration"/> (e.g. the section <c>VinceFeatureStore:Postgres</c>), connecting as
    /// <see cref="AddPostgres(FeatureStoreBuilder, Action{PostgresSinkOptions}?, string?)"/> does. A key that is not a setting of
    /// <see cref="PostgresSinkOptions"/> fails the start, naming its path.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="PostgresSinkOptions"/> keys.</param>
    /// <param name="name">The sink name; when <see langword="null"/>, the section's <c>Name</c>, else <c>postgres</c>.</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, IConfiguration configuration, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        return Add(builder, name, configure: null, configuration, dataSourceFactory: null);
    }

    /// <summary>
    /// Adds a <see cref="PostgresFeatureSink"/> and a <see cref="PostgresFeatureReader"/> over the data source
    /// <paramref name="dataSource"/> returns (e.g. a keyed service); the sink does not dispose it.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="dataSource">Returns the connection pool to use (called once).</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>; <see cref="PostgresSinkOptions.ConnectionString"/> is ignored).</param>
    /// <param name="name">The sink name (see <see cref="AddPostgres(FeatureStoreBuilder, Action{PostgresSinkOptions}?, string?)"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddPostgres(this FeatureStoreBuilder builder, Func<IServiceProvider, NpgsqlDataSource> dataSource, Action<PostgresSinkOptions>? configure = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        return Add(builder, name, configure, section: null, dataSource);
    }

    private static FeatureStoreBuilder Add(
        FeatureStoreBuilder builder, string? name, Action<PostgresSinkOptions>? configure, IConfiguration? section, Func<IServiceProvider, NpgsqlDataSource>? dataSourceFactory)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;

        // The sink name is the options name, so "services.Configure<PostgresSinkOptions>(name, ...)" and binding reach it.
        string optionsName = name ?? SinkName(configure, section);
        OptionsBuilder<PostgresSinkOptions> options = services.AddOptions<PostgresSinkOptions>(optionsName);
        options.Configure(o => o.Name = optionsName);
        if (section is not null)
        {
            options.BindSection(section, PostgresSinkOptionsBinder.Bind);
        }

        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        builder.ReserveSinkName(optionsName, ".AddPostgres");
        services.AddSingleton<IValidateOptions<PostgresSinkOptions>>(sp => new PostgresSinkOptionsValidator(
            optionsName, dataSourceFactory is not null, sp.GetService<IServiceProviderIsService>(), VinceEnvironment.Process.AsFunc()));

        services.AddSingleton(sp => new PostgresSinkRegistration(optionsName, CreateSink(sp, optionsName, dataSourceFactory)));
        services.AddSingleton<IFeatureSink>(sp => Find(sp, optionsName));
        if (!services.Any(d => d.ServiceType == typeof(PostgresFeatureReader)))
        {
            // The first registration's table is the Postgres training source (FeatureSourceKind.Postgres).
            services.AddSingleton(sp => Find(sp, optionsName).CreateReader(sp.GetService<ILogger<PostgresFeatureReader>>()));
            services.AddSingleton(sp =>
            {
                PostgresFeatureReader reader = sp.GetRequiredService<PostgresFeatureReader>();
                return new FeatureSource(FeatureSourceKind.Postgres, reader, $"the Postgres table {reader.TableName}");
            });
        }

        // The host's query over the store (e.g. the complete-trade count of train-when-ready) reads the table when Postgres is configured.
        services.TryAddSingleton<IFeatureQuery>(sp => sp.GetRequiredService<PostgresFeatureReader>());
        return builder;
    }

    /// <summary>The name a registration without an explicit one gets: the one its options set, else the default.</summary>
    private static string SinkName(Action<PostgresSinkOptions>? configure, IConfiguration? section)
    {
        var probe = new PostgresSinkOptions();
        if (section is not null)
        {
            PostgresSinkOptionsBinder.Bind(new ConfigurationSectionReader(section), probe);
        }

        configure?.Invoke(probe);
        return string.IsNullOrEmpty(probe.Name) ? PostgresSinkOptions.DefaultName : probe.Name;
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

        return new PostgresFeatureSink(PostgresFeatureSink.CreateDataSource(options, VinceEnvironment.Process.AsFunc()), ownsDataSource: true, options, logger);
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
