using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

using Vince.FeatureStore.ModelSets;
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
        IReadOnlyList<string> errors = trainerOptions.Validate();
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
