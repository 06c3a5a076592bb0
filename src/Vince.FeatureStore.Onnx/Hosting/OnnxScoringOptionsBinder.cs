using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Vince.FeatureStore.Onnx.Hosting;

/// <summary>
/// Binds <see cref="OnnxScoringOptions"/> from configuration by name, without reflection. A value that does not
/// parse is an error naming the key.
/// </summary>
internal static class OnnxScoringOptionsBinder
{
    public static void Bind(IConfiguration configuration, OnnxScoringOptions options)
    {
        if (Value(configuration, nameof(OnnxScoringOptions.ModelsDirectory)) is { } directory)
        {
            options.ModelsDirectory = directory;
        }

        if (Value(configuration, nameof(OnnxScoringOptions.ModelFileName)) is { } model)
        {
            options.ModelFileName = model;
        }

        if (Value(configuration, nameof(OnnxScoringOptions.MetadataFileName)) is { } metadata)
        {
            options.MetadataFileName = metadata;
        }

        if (Value(configuration, nameof(OnnxScoringOptions.Threshold)) is { } threshold)
        {
            options.Threshold = double.TryParse(threshold, NumberStyles.Float, CultureInfo.InvariantCulture, out double t)
                ? t
                : throw Invalid(configuration, nameof(OnnxScoringOptions.Threshold), threshold, "a number between 0 and 1");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.WatchForChanges)) is { } watch)
        {
            options.WatchForChanges = bool.TryParse(watch, out bool w) ? w : throw Invalid(configuration, nameof(OnnxScoringOptions.WatchForChanges), watch, "true or false");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.VerifyModelHash)) is { } verify)
        {
            options.VerifyModelHash = bool.TryParse(verify, out bool v) ? v : throw Invalid(configuration, nameof(OnnxScoringOptions.VerifyModelHash), verify, "true or false");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.ReloadDebounce)) is { } debounce)
        {
            options.ReloadDebounce = TimeSpan.TryParse(debounce, CultureInfo.InvariantCulture, out TimeSpan d)
                ? d
                : throw Invalid(configuration, nameof(OnnxScoringOptions.ReloadDebounce), debounce, "a time span such as 00:00:02");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.DownloadMissingModels)) is { } download)
        {
            options.DownloadMissingModels = bool.TryParse(download, out bool d) ? d : throw Invalid(configuration, nameof(OnnxScoringOptions.DownloadMissingModels), download, "true or false");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.ModelDownloadTimeout)) is { } downloadTimeout)
        {
            options.ModelDownloadTimeout = TimeSpan.TryParse(downloadTimeout, CultureInfo.InvariantCulture, out TimeSpan t)
                ? t
                : throw Invalid(configuration, nameof(OnnxScoringOptions.ModelDownloadTimeout), downloadTimeout, "a time span such as 00:02:00");
        }

        if (Value(configuration, nameof(OnnxScoringOptions.IntraOpNumThreads)) is { } threads)
        {
            options.IntraOpNumThreads = int.TryParse(threads, NumberStyles.Integer, CultureInfo.InvariantCulture, out int n)
                ? n
                : throw Invalid(configuration, nameof(OnnxScoringOptions.IntraOpNumThreads), threads, "an integer");
        }
    }

    private static string? Value(IConfiguration configuration, string key)
        => configuration[key] is { Length: > 0 } value ? value.Trim() : null;

    private static InvalidOperationException Invalid(IConfiguration configuration, string key, string value, string expected)
    {
        string path = configuration is IConfigurationSection section ? section.Path + ":" + key : key;
        return new InvalidOperationException($"Configuration value '{value}' of '{path}' is not valid: expected {expected}.");
    }
}
