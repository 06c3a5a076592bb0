using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>
/// Binds <see cref="OnnxScoringOptions"/> from configuration by name, without reflection. A value that does not
/// parse is an error naming the key; a key not read here fails validation.
/// </summary>
internal static class OnnxScoringOptionsBinder
{
    public static void Bind(ConfigurationSectionReader section, OnnxScoringOptions options)
    {
        options.ModelsDirectory = section.Text(nameof(OnnxScoringOptions.ModelsDirectory)) ?? options.ModelsDirectory;
        options.ModelFileName = section.Text(nameof(OnnxScoringOptions.ModelFileName)) ?? options.ModelFileName;
        options.MetadataFileName = section.Text(nameof(OnnxScoringOptions.MetadataFileName)) ?? options.MetadataFileName;
        options.Threshold = section.Number(nameof(OnnxScoringOptions.Threshold)) ?? options.Threshold;
        options.WatchForChanges = section.Flag(nameof(OnnxScoringOptions.WatchForChanges)) ?? options.WatchForChanges;
        options.ReloadDebounce = section.Duration(nameof(OnnxScoringOptions.ReloadDebounce)) ?? options.ReloadDebounce;
        options.VerifyModelHash = section.Flag(nameof(OnnxScoringOptions.VerifyModelHash)) ?? options.VerifyModelHash;
        options.IntraOpNumThreads = section.WholeNumber(nameof(OnnxScoringOptions.IntraOpNumThreads)) ?? options.IntraOpNumThreads;
        options.DownloadLatestModels = section.Flag(nameof(OnnxScoringOptions.DownloadLatestModels)) ?? options.DownloadLatestModels;
        options.ModelDownloadTimeout = section.Duration(nameof(OnnxScoringOptions.ModelDownloadTimeout)) ?? options.ModelDownloadTimeout;
        options.ModelPollInterval = section.Duration(nameof(OnnxScoringOptions.ModelPollInterval)) ?? options.ModelPollInterval;
    }
}
