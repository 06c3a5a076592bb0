using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Vince.FeatureStore;
using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Onnx;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx.Training;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds the train-when-ready service to a feature store: <c>services.AddVinceFeatureStore().AddTrainingWhenReady(...)</c>.</summary>
public static class TrainingFeatureStoreBuilderExtensions
{
    /// <summary>
    /// Registers the train-when-ready hosted service (the bot's <c>TRAIN_ONNX_WHEN_READY</c> task) and a
    /// <see cref="ModelTrainingRunner"/> singleton. At start-up and then every <see cref="TrainingWhenReadyOptions.CheckInterval"/>
    /// (1 hour) the service counts complete trades in the training source (<see cref="TrainingWhenReadyOptions.Source"/>: by default
    /// Supabase, else Postgres, else the JSONL log) and when there are at least <see cref="TrainingWhenReadyOptions.MinSamples"/>
    /// (90) and the last training (local or in the registry) is at least <see cref="TrainingWhenReadyOptions.MinTimeBetweenTrainings"/> (24 h)
    /// old — or the recent win rate is below <see cref="TrainingWhenReadyOptions.EarlyRetrainWinRate"/> (45 %) — trains, validates,
    /// passes the quality gate, installs atomically, publishes to the registered <see cref="IModelBucket"/> and reloads the
    /// registered <see cref="OnnxSignalQualityScorer"/>. Options are validated when the host starts.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configure">Adjusts the options, e.g. <c>t =&gt; t.ExternalProcess.ScriptPath = "train_models.py"</c> (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddTrainingWhenReady(this FeatureStoreBuilder builder, Action<TrainingWhenReadyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        OptionsBuilder<TrainingWhenReadyOptions> options = AddCore(builder.Services);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    /// <summary>
    /// Registers the train-when-ready service of <see cref="AddTrainingWhenReady(FeatureStoreBuilder, Action{TrainingWhenReadyOptions}?)"/>
    /// with the options bound from <paramref name="configuration"/> (e.g. the section <c>VinceTrainingWhenReady</c>, with
    /// the external trainer's settings under <c>ExternalProcess</c>; <c>ExternalProcess:Arguments</c> replaces the default
    /// list). A key that is not a setting fails the start, naming its path.
    /// </summary>
    /// <param name="builder">The feature store builder.</param>
    /// <param name="configuration">The configuration section holding <see cref="TrainingWhenReadyOptions"/> keys.</param>
    /// <param name="configure">Adjusts the options after binding, e.g. <c>t =&gt; t.UseDotnetTrainer(...)</c> (may be <see langword="null"/>).</param>
    /// <returns>The builder.</returns>
    public static FeatureStoreBuilder AddTrainingWhenReady(this FeatureStoreBuilder builder, IConfiguration configuration, Action<TrainingWhenReadyOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(configuration);
        OptionsBuilder<TrainingWhenReadyOptions> options = AddCore(builder.Services).BindSection(configuration, TrainingWhenReadyOptionsBinder.Bind);
        if (configure is not null)
        {
            options.Configure(configure);
        }

        return builder;
    }

    private static OptionsBuilder<TrainingWhenReadyOptions> AddCore(IServiceCollection services)
    {
        OptionsBuilder<TrainingWhenReadyOptions> options = services.AddOptions<TrainingWhenReadyOptions>();
        options.ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<TrainingWhenReadyOptions>, TrainingWhenReadyOptionsValidator>());
        services.TryAddSingleton(CreateRunner);
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, TrainingWhenReadyService>());
        return options;
    }

    private static ModelTrainingRunner CreateRunner(IServiceProvider services)
    {
        TrainingWhenReadyOptions options = services.GetRequiredService<IOptions<TrainingWhenReadyOptions>>().Value;
        ILoggerFactory? loggerFactory = services.GetService<ILoggerFactory>();
        TimeProvider? timeProvider = services.GetService<TimeProvider>();
        string features = options.FeaturesDirectory ?? services.GetRequiredService<IOptions<FeatureStoreOptions>>().Value.ResolveDataDirectory();
        string models = options.ModelsDirectory ?? services.GetRequiredService<IOptions<OnnxScoringOptions>>().Value.ResolveModelsDirectory();
        IModelTrainer trainer = options.TrainerFactory?.Invoke(services)
            ?? new ExternalProcessTrainer(options.ExternalProcess, loggerFactory?.CreateLogger<ExternalProcessTrainer>(), timeProvider);
        return new ModelTrainingRunner(
            trainer,
            features,
            models,
            options.MinSamples,
            options.UploadToBucket ? services.GetService<IModelBucket>() : null,
            options.ReloadScorer ? services.GetService<OnnxSignalQualityScorer>() : null,
            loggerFactory?.CreateLogger<ModelTrainingRunner>(),
            timeProvider,
            services.GetService<IMeterFactory>(),
            options.QualityGate,
            FeatureSource.Select(services.GetServices<FeatureSource>(), options.Source, () => FeatureSource.Jsonl(features)));
    }
}
