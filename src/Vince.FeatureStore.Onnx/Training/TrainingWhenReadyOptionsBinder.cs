using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Onnx.Training;

/// <summary>
/// Binds <see cref="TrainingWhenReadyOptions"/> (and its <see cref="TrainingWhenReadyOptions.ExternalProcess"/> section)
/// from configuration by name, without reflection. A value that does not parse is an error naming the key; a key not
/// read here fails validation.
/// </summary>
internal static class TrainingWhenReadyOptionsBinder
{
    public static void Bind(ConfigurationSectionReader section, TrainingWhenReadyOptions options)
    {
        options.MinSamples = section.WholeNumber(nameof(TrainingWhenReadyOptions.MinSamples)) ?? options.MinSamples;
        options.CheckInterval = section.Duration(nameof(TrainingWhenReadyOptions.CheckInterval)) ?? options.CheckInterval;
        options.MinTimeBetweenTrainings = section.Duration(nameof(TrainingWhenReadyOptions.MinTimeBetweenTrainings)) ?? options.MinTimeBetweenTrainings;
        options.Source = section.Choice<FeatureSourceKind>(nameof(TrainingWhenReadyOptions.Source)) ?? options.Source;
        options.FeaturesDirectory = section.Text(nameof(TrainingWhenReadyOptions.FeaturesDirectory)) ?? options.FeaturesDirectory;
        options.ModelsDirectory = section.Text(nameof(TrainingWhenReadyOptions.ModelsDirectory)) ?? options.ModelsDirectory;
        options.UploadToBucket = section.Flag(nameof(TrainingWhenReadyOptions.UploadToBucket)) ?? options.UploadToBucket;
        options.ReloadScorer = section.Flag(nameof(TrainingWhenReadyOptions.ReloadScorer)) ?? options.ReloadScorer;
        options.EarlyRetrainWinRate = section.Number(nameof(TrainingWhenReadyOptions.EarlyRetrainWinRate)) ?? options.EarlyRetrainWinRate;
        options.EarlyRetrainRecentTrades = section.WholeNumber(nameof(TrainingWhenReadyOptions.EarlyRetrainRecentTrades)) ?? options.EarlyRetrainRecentTrades;
        options.EarlyRetrainMinTrades = section.WholeNumber(nameof(TrainingWhenReadyOptions.EarlyRetrainMinTrades)) ?? options.EarlyRetrainMinTrades;
        options.EarlyRetrainWindow = section.Duration(nameof(TrainingWhenReadyOptions.EarlyRetrainWindow)) ?? options.EarlyRetrainWindow;
        ConfigurationSectionReader gate = section.Section(nameof(TrainingWhenReadyOptions.QualityGate));
        options.QualityGate.Enabled = gate.Flag(nameof(ModelQualityGateOptions.Enabled)) ?? options.QualityGate.Enabled;
        options.QualityGate.Tolerance = gate.Number(nameof(ModelQualityGateOptions.Tolerance)) ?? options.QualityGate.Tolerance;
        options.RetrainOnDrift = section.Flag(nameof(TrainingWhenReadyOptions.RetrainOnDrift)) ?? options.RetrainOnDrift;
        options.DriftThreshold = section.Number(nameof(TrainingWhenReadyOptions.DriftThreshold)) ?? options.DriftThreshold;
        options.DriftRecentRecords = section.WholeNumber(nameof(TrainingWhenReadyOptions.DriftRecentRecords)) ?? options.DriftRecentRecords;
        Bind(section.Section(nameof(TrainingWhenReadyOptions.ExternalProcess)), options.ExternalProcess);
    }

    private static void Bind(ConfigurationSectionReader section, ExternalProcessTrainerOptions options)
    {
        options.Command = section.Text(nameof(ExternalProcessTrainerOptions.Command)) ?? options.Command;
        options.ScriptPath = section.Text(nameof(ExternalProcessTrainerOptions.ScriptPath)) ?? options.ScriptPath;
        if (section.List(nameof(ExternalProcessTrainerOptions.Arguments)) is { } arguments)
        {
            // A configured list replaces the default one (a merge by index would mix the two).
            options.Arguments.Clear();
            foreach (string argument in arguments)
            {
                options.Arguments.Add(argument);
            }
        }

        options.Timeout = section.Duration(nameof(ExternalProcessTrainerOptions.Timeout)) ?? options.Timeout;
        options.WorkingDirectory = section.Text(nameof(ExternalProcessTrainerOptions.WorkingDirectory)) ?? options.WorkingDirectory;
        foreach ((string name, string? value) in section.Map(nameof(ExternalProcessTrainerOptions.Environment)) ?? new Dictionary<string, string?>())
        {
            options.Environment[name] = value;
        }

        options.OutputTailLines = section.WholeNumber(nameof(ExternalProcessTrainerOptions.OutputTailLines)) ?? options.OutputTailLines;
    }
}
