using System.Diagnostics.Metrics;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using Vince.FeatureStore.Configuration;
using Vince.FeatureStore.Onnx.Training;

namespace Vince.FeatureStore.Training;

/// <summary>Selects the .NET trainer for the train-when-ready service: <c>.AddTrainingWhenReady(t =&gt; t.UseDotnetTrainer())</c>.</summary>
public static class DotnetTrainerOptionsExtensions
{
    /// <summary>
    /// Trains with <see cref="DotnetModelTrainer"/> (ML.NET, no Python) instead of the external process. The trainer's
    /// settings are checked when the options are built, which <c>AddTrainingWhenReady</c> does when the host starts: invalid
    /// settings stop the start with an <see cref="OptionsValidationException"/>.
    /// </summary>
    /// <param name="options">The train-when-ready options.</param>
    /// <param name="configure">Adjusts the trainer's settings (may be <see langword="null"/>).</param>
    /// <returns>The options.</returns>
    /// <exception cref="OptionsValidationException">The trainer's settings are invalid.</exception>
    public static TrainingWhenReadyOptions UseDotnetTrainer(this TrainingWhenReadyOptions options, Action<DotnetTrainerOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        var trainerOptions = new DotnetTrainerOptions();
        configure?.Invoke(trainerOptions);
        return Use(options, trainerOptions, []);
    }

    /// <summary>
    /// Trains with <see cref="DotnetModelTrainer"/> with its settings bound from <paramref name="configuration"/> (e.g. the
    /// section <c>VinceDotnetTrainer</c>: a section of its own, not one inside the train-when-ready section, whose unknown
    /// keys are refused). Invalid settings, a value that does not parse and a key that is not a setting of
    /// <see cref="DotnetTrainerOptions"/> stop the start with an <see cref="OptionsValidationException"/> naming the key's path.
    /// </summary>
    /// <param name="options">The train-when-ready options.</param>
    /// <param name="configuration">The configuration section holding <see cref="DotnetTrainerOptions"/> keys.</param>
    /// <returns>The options.</returns>
    /// <exception cref="OptionsValidationException">The trainer's settings are invalid.</exception>
    public static TrainingWhenReadyOptions UseDotnetTrainer(this TrainingWhenReadyOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        var trainerOptions = new DotnetTrainerOptions();
        var section = new ConfigurationSectionReader(configuration);
        try
        {
            Bind(section, trainerOptions);
        }
        catch (InvalidOperationException ex)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TrainingWhenReadyOptions), ["VinceTrainingWhenReady: " + ex.Message]);
        }

        return Use(options, trainerOptions, ConfigurationSectionOptionsBuilderExtensions.UnknownKeyErrors(typeof(DotnetTrainerOptions), section));
    }

    internal static void Bind(ConfigurationSectionReader section, DotnetTrainerOptions options)
    {
        options.NumberOfTrees = section.WholeNumber(nameof(DotnetTrainerOptions.NumberOfTrees)) ?? options.NumberOfTrees;
        options.NumberOfLeaves = section.WholeNumber(nameof(DotnetTrainerOptions.NumberOfLeaves)) ?? options.NumberOfLeaves;
        options.MinimumExampleCountPerLeaf = section.WholeNumber(nameof(DotnetTrainerOptions.MinimumExampleCountPerLeaf)) ?? options.MinimumExampleCountPerLeaf;
        options.LearningRate = section.Number(nameof(DotnetTrainerOptions.LearningRate)) ?? options.LearningRate;
        options.HoldoutFraction = section.Number(nameof(DotnetTrainerOptions.HoldoutFraction)) ?? options.HoldoutFraction;
        options.StopLossQuantile = section.Number(nameof(DotnetTrainerOptions.StopLossQuantile)) ?? options.StopLossQuantile;
        options.Seed = section.WholeNumber(nameof(DotnetTrainerOptions.Seed)) ?? options.Seed;
        options.NumberOfThreads = section.WholeNumber(nameof(DotnetTrainerOptions.NumberOfThreads)) ?? options.NumberOfThreads;
        options.RealOnly = section.Flag(nameof(DotnetTrainerOptions.RealOnly)) ?? options.RealOnly;
        options.SaveMlNetModels = section.Flag(nameof(DotnetTrainerOptions.SaveMlNetModels)) ?? options.SaveMlNetModels;
    }

    private static TrainingWhenReadyOptions Use(TrainingWhenReadyOptions options, DotnetTrainerOptions trainerOptions, IReadOnlyList<string> configurationErrors)
    {
        IReadOnlyList<string> errors = [.. configurationErrors, .. trainerOptions.Validate()];
        if (errors.Count > 0)
        {
            throw new OptionsValidationException(Options.DefaultName, typeof(TrainingWhenReadyOptions), errors.Select(e => "VinceTrainingWhenReady: " + e));
        }

        return options.UseTrainer(services => new DotnetModelTrainer(
            trainerOptions,
            services.GetService<ILoggerFactory>()?.CreateLogger<DotnetModelTrainer>(),
            services.GetService<TimeProvider>(),
            services.GetService<IMeterFactory>()));
    }
}
