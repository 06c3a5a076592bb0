using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Health;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the feature store's health checks: <c>services.AddHealthChecks().AddVinceFeatureStoreChecks()</c>.</summary>
public static class FeatureStoreHealthChecksBuilderExtensions
{
    /// <summary>The prefix of every check name: <c>vince-featurestore:log</c>, and <c>vince-featurestore:sink:&lt;name&gt;</c> per sink.</summary>
    public const string NamePrefix = "vince-featurestore:";

    /// <summary>
    /// Adds one check for the JSONL log writer (<c>vince-featurestore:log</c>) and one per sink of the store registered with
    /// <c>AddVinceFeatureStore</c> (<c>vince-featurestore:sink:&lt;name&gt;</c>), tagged <c>vince-featurestore</c> and any
    /// <paramref name="tags"/>. The sinks are enumerated when the health check service first runs. Options are
    /// validated when the host starts.
    /// </summary>
    /// <param name="builder">The health checks builder.</param>
    /// <param name="configure">Adjusts the thresholds (may be <see langword="null"/>).</param>
    /// <param name="tags">Extra tags for filtering (e.g. <c>ready</c>).</param>
    /// <returns>The builder.</returns>
    public static IHealthChecksBuilder AddVinceFeatureStoreChecks(this IHealthChecksBuilder builder, Action<FeatureStoreHealthCheckOptions>? configure = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        IServiceCollection services = builder.Services;
        OptionsBuilder<FeatureStoreHealthCheckOptions> options = services.AddOptions<FeatureStoreHealthCheckOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        options.ValidateOnStart();
        services.AddSingleton<IValidateOptions<FeatureStoreHealthCheckOptions>, FeatureStoreHealthCheckOptionsValidator>();
        string[] allTags = ["vince-featurestore", .. tags ?? []];
        services.AddSingleton<IConfigureOptions<HealthCheckServiceOptions>>(sp => new ConfigureNamedOptions<HealthCheckServiceOptions>(Options.Options.DefaultName, o =>
        {
            FeatureStore store = sp.GetService<FeatureStore>()
                ?? throw new InvalidOperationException("AddVinceFeatureStoreChecks needs the feature store: call services.AddVinceFeatureStore(...) too.");
            FeatureStoreHealthCheckOptions thresholds = sp.GetRequiredService<IOptions<FeatureStoreHealthCheckOptions>>().Value.Clone();
            o.Registrations.Add(new HealthCheckRegistration(NamePrefix + "log", _ => new FeatureLogHealthCheck(store, thresholds), failureStatus: null, allTags));
            foreach (string sink in store.SinkNames)
            {
                o.Registrations.Add(new HealthCheckRegistration(NamePrefix + "sink:" + sink, _ => new FeatureSinkHealthCheck(store, sink, thresholds), failureStatus: null, allTags));
            }
        }));
        return builder;
    }
}

/// <summary>Validates <see cref="FeatureStoreHealthCheckOptions"/> when the host starts.</summary>
internal sealed class FeatureStoreHealthCheckOptionsValidator : IValidateOptions<FeatureStoreHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, FeatureStoreHealthCheckOptions options)
    {
        IReadOnlyList<string> errors = options.Validate();
        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors.Select(e => "VinceFeatureStore health checks: " + e));
    }
}
