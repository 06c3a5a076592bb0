using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.Health;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the feature store's health checks: <c>services.AddHealthChecks().AddVinceFeatureStoreChecks()</c>.</summary>
public static class FeatureStoreHealthChecksBuilderExtensions
{
    /// <summary>The default name of the checks, <c>vince-featurestore</c>: also their options name and tag.</summary>
    public const string DefaultName = "vince-featurestore";

    /// <summary>The prefix of every check name by default: <c>vince-featurestore:log</c>, and <c>vince-featurestore:sink:&lt;name&gt;</c> per sink.</summary>
    public const string NamePrefix = DefaultName + ":";

    /// <summary>
    /// Adds one check for the JSONL log writer (<c>&lt;name&gt;:log</c>) and one per sink of the store registered with
    /// <c>AddVinceFeatureStore</c> (<c>&lt;name&gt;:sink:&lt;sink&gt;</c>), tagged <c>vince-featurestore</c> and any
    /// <paramref name="tags"/>. The sinks are enumerated when the health check service first runs. The thresholds are the
    /// named options <paramref name="name"/> (<c>services.Configure&lt;FeatureStoreHealthCheckOptions&gt;(name, ...)</c>
    /// adjusts them too); they are validated when the host starts, and two registrations with one name fail the start.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Adjusts the thresholds (may be <see langword="null"/>).</param>
    /// <param name="tags">Extra tags for filtering (e.g. <c>ready</c>).</param>
    /// <param name="name">The name of the checks and their options; <see cref="DefaultName"/> when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddVinceFeatureStoreChecks(this IHealthChecksBuilder builder, Action<FeatureStoreHealthCheckOptions>? configure = null, IEnumerable<string>? tags = null, string? name = null)
    {
        OptionsBuilder<FeatureStoreHealthCheckOptions> options = Add(builder, tags, name);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Adds the checks of <see cref="AddVinceFeatureStoreChecks(IHealthChecksBuilder, Action{FeatureStoreHealthCheckOptions}?, IEnumerable{string}?, string?)"/>
    /// with the thresholds bound from <paramref name="configuration"/> (e.g. the section <c>VinceFeatureStore:HealthChecks</c>).
    /// A key that is not a setting of <see cref="FeatureStoreHealthCheckOptions"/> fails the start, naming its path.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="FeatureStoreHealthCheckOptions"/> keys.</param>
    /// <param name="tags">Extra tags for filtering (e.g. <c>ready</c>).</param>
    /// <param name="name">The name of the checks and their options; <see cref="DefaultName"/> when <see langword="null"/>.</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddVinceFeatureStoreChecks(this IHealthChecksBuilder builder, IConfiguration configuration, IEnumerable<string>? tags = null, string? name = null)
    {
        ArgumentNullException.ThrowIfNull(configuration);
        Add(builder, tags, name).BindSection(configuration, Bind);
        return builder;
    }

    internal static void Bind(ConfigurationSectionReader section, FeatureStoreHealthCheckOptions options)
    {
        options.DegradedPendingRecords = section.WholeNumber(nameof(FeatureStoreHealthCheckOptions.DegradedPendingRecords)) ?? options.DegradedPendingRecords;
        options.DegradedLag = section.Duration(nameof(FeatureStoreHealthCheckOptions.DegradedLag)) ?? options.DegradedLag;
        options.UnhealthyConsecutiveFailures = section.WholeNumber(nameof(FeatureStoreHealthCheckOptions.UnhealthyConsecutiveFailures)) ?? options.UnhealthyConsecutiveFailures;
        options.DegradedQueueFill = section.Number(nameof(FeatureStoreHealthCheckOptions.DegradedQueueFill)) ?? options.DegradedQueueFill;
        options.DriftModelsDirectory = section.Text(nameof(FeatureStoreHealthCheckOptions.DriftModelsDirectory)) ?? options.DriftModelsDirectory;
        options.DriftThreshold = section.Number(nameof(FeatureStoreHealthCheckOptions.DriftThreshold)) ?? options.DriftThreshold;
        options.DriftRecentRecords = section.WholeNumber(nameof(FeatureStoreHealthCheckOptions.DriftRecentRecords)) ?? options.DriftRecentRecords;
        options.DriftCheckInterval = section.Duration(nameof(FeatureStoreHealthCheckOptions.DriftCheckInterval)) ?? options.DriftCheckInterval;
    }

    private static OptionsBuilder<FeatureStoreHealthCheckOptions> Add(IHealthChecksBuilder builder, IEnumerable<string>? tags, string? name)
    {
        ArgumentNullException.ThrowIfNull(builder);
        name ??= DefaultName;
        if (string.IsNullOrWhiteSpace(name) || name.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The health check name must be non-empty text without ':' (was '{name}').", nameof(name));
        }

        IServiceCollection services = builder.Services;
        OptionsBuilder<FeatureStoreHealthCheckOptions> options = services.AddOptions<FeatureStoreHealthCheckOptions>(name);
        options.ValidateOnStart();
        services.AddSingleton(new HealthCheckNameReservation(name));
        services.TryAddSingleton<DriftMonitors>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<FeatureStoreHealthCheckOptions>, FeatureStoreHealthCheckOptionsValidator>());
        string[] allTags = [DefaultName, .. tags ?? []];
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureNamedOptions<HealthCheckServiceOptions>(Options.Options.DefaultName, o =>
        {
            FeatureStore store = sp.GetService<FeatureStore>()
                ?? throw new InvalidOperationException("AddVinceFeatureStoreChecks needs the feature store: call services.AddVinceFeatureStore(...) too.");
            FeatureStoreHealthCheckOptions thresholds = sp.GetRequiredService<IOptionsMonitor<FeatureStoreHealthCheckOptions>>().Get(name).Clone();
            o.Registrations.Add(new HealthCheckRegistration(name + ":log", _ => new FeatureLogHealthCheck(store, thresholds), failureStatus: null, allTags));
            foreach (string sink in store.SinkNames)
            {
                o.Registrations.Add(new HealthCheckRegistration(name + ":sink:" + sink, _ => new FeatureSinkHealthCheck(store, sink, thresholds), failureStatus: null, allTags));
            }

            if (thresholds.DriftModelsDirectory is { } models)
            {
                // One monitor per registration: health check instances come and go per run, the cached result and the gauge stay.
                var monitor = new FeatureDriftMonitor(models, store.DataDirectory, thresholds.DriftSettings, thresholds.DriftCheckInterval, sp.GetService<IMeterFactory>(), sp.GetService<TimeProvider>());
                sp.GetRequiredService<DriftMonitors>().Add(monitor);
                o.Registrations.Add(new HealthCheckRegistration(name + ":drift", _ => new FeatureDriftHealthCheck(monitor), failureStatus: null, allTags));
            }
        }));
        return options;
    }
}

/// <summary>Validates the thresholds of one <c>AddVinceFeatureStoreChecks</c> registration when the host starts.</summary>
internal sealed class FeatureStoreHealthCheckOptionsValidator(IEnumerable<HealthCheckNameReservation> reservations) : IValidateOptions<FeatureStoreHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureStoreHealthCheckOptions options)
    {
        string checksName = name ?? Microsoft.Extensions.Options.Options.DefaultName;
        int registrations = reservations.Count(r => string.Equals(r.Name, checksName, StringComparison.Ordinal));
        if (registrations == 0)
        {
            return ValidateOptionsResult.Skip;
        }

        var errors = new List<string>(options.Validate());
        if (registrations > 1)
        {
            errors.Add($"AddVinceFeatureStoreChecks is called {registrations} times with the name '{checksName}': give each call its own name (it names the checks and their options).");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => $"VinceFeatureStore health checks '{checksName}': " + e));
    }
}

/// <summary>The name one <c>AddVinceFeatureStoreChecks</c> call took.</summary>
internal sealed record HealthCheckNameReservation(string Name);

/// <summary>The drift monitors of the registrations, disposed with the container (they own a meter and a gate).</summary>
internal sealed class DriftMonitors : IDisposable
{
    private readonly List<FeatureDriftMonitor> _monitors = [];

    public void Add(FeatureDriftMonitor monitor)
    {
        lock (_monitors)
        {
            _monitors.Add(monitor);
        }
    }

    public void Dispose()
    {
        lock (_monitors)
        {
            foreach (FeatureDriftMonitor monitor in _monitors)
            {
                monitor.Dispose();
            }

            _monitors.Clear();
        }
    }
}
