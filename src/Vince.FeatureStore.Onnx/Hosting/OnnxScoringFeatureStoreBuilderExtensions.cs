using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.Onnx.Hosting;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds ONNX signal-quality scoring to a feature store: <c>services.AddVinceFeatureStore().AddOnnxScoring(...)</c>.</summary>
public static class OnnxScoringFeatureStoreBuilderExtensions
{
    /// <summary>
    /// Registers <see cref="OnnxSignalQualityScorer"/> as a singleton, created when the host starts: the options are
    /// validated then, and a model file that exists but cannot be used stops the start with an
    /// <see cref="OnnxModelLoadException"/> naming the file. Without a model file the scorer returns "no model".
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddOnnxScoring(this FeatureStoreBuilder builder, Action<OnnxScoringOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<OnnxScoringOptions> options = AddCore(builder.Services);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Registers <see cref="OnnxSignalQualityScorer"/> with options bound from <paramref name="configuration"/> (e.g. the
    /// section <c>VinceOnnxScoring</c>). A key that is not a setting of <see cref="OnnxScoringOptions"/> fails the start, naming its path.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="OnnxScoringOptions"/> keys.</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddOnnxScoring(this FeatureStoreBuilder builder, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        AddCore(builder.Services).BindSection(configuration, OnnxScoringOptionsBinder.Bind);
        return builder;
    }

    private static OptionsBuilder<OnnxScoringOptions> AddCore(IServiceCollection services)
    {
        OptionsBuilder<OnnxScoringOptions> options = services.AddOptions<OnnxScoringOptions>();
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<OnnxScoringOptions>, OnnxScoringOptionsValidator>());
        services.TryAddSingleton(sp => new OnnxSignalQualityScorer(
            sp.GetRequiredService<IOptions<OnnxScoringOptions>>().Value,
            sp.GetService<ILoggerFactory>(),
            sp.GetService<TimeProvider>()));
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, OnnxScoringHostedService>());
        return options;
    }
}
