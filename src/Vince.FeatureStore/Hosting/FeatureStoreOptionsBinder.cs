using System.Globalization;
using Microsoft.Extensions.Configuration;

namespace Vince.FeatureStore;

/// <summary>
/// Binds <see cref="FeatureStoreOptions"/> from configuration by name, without reflection, so the core
/// package stays trim- and AOT-safe. A value that does not parse is an error naming the key.
/// </summary>
internal static class FeatureStoreOptionsBinder
{
    public static void Bind(IConfiguration configuration, FeatureStoreOptions options)
    {
        if (configuration[nameof(FeatureStoreOptions.DataDirectory)] is { Length: > 0 } directory)
        {
            options.DataDirectory = directory;
        }

        Int(configuration, nameof(FeatureStoreOptions.QueueCapacity), v => options.QueueCapacity = v);
        Int(configuration, nameof(FeatureStoreOptions.LogBatchSize), v => options.LogBatchSize = v);
        Int(configuration, nameof(FeatureStoreOptions.RecordsPerFile), v => options.RecordsPerFile = v);
        Int(configuration, nameof(FeatureStoreOptions.RetainJsonlDays), v => options.RetainJsonlDays = v);
        Int(configuration, nameof(FeatureStoreOptions.SinkBatchSize), v => options.SinkBatchSize = v);
        Int(configuration, nameof(FeatureStoreOptions.OpenRecordCapacity), v => options.OpenRecordCapacity = v);
        Time(configuration, nameof(FeatureStoreOptions.QueueFullTimeout), v => options.QueueFullTimeout = v);
        Time(configuration, nameof(FeatureStoreOptions.RetryInitialDelay), v => options.RetryInitialDelay = v);
        Time(configuration, nameof(FeatureStoreOptions.RetryMaxDelay), v => options.RetryMaxDelay = v);
        Time(configuration, nameof(FeatureStoreOptions.ShutdownTimeout), v => options.ShutdownTimeout = v);
        if (Value(configuration, nameof(FeatureStoreOptions.FsyncOnWrite)) is { } fsync)
        {
            options.FsyncOnWrite = bool.TryParse(fsync, out bool b) ? b : throw Invalid(configuration, nameof(FeatureStoreOptions.FsyncOnWrite), fsync, "true or false");
        }

        if (Value(configuration, nameof(FeatureStoreOptions.QueueFullMode)) is { } mode)
        {
            options.QueueFullMode = Enum.TryParse(mode, ignoreCase: true, out QueueFullMode parsed) && Enum.IsDefined(parsed)
                ? parsed
                : throw Invalid(configuration, nameof(FeatureStoreOptions.QueueFullMode), mode, "Wait or DropAndCount");
        }
    }

    private static string? Value(IConfiguration configuration, string key)
        => configuration[key] is { Length: > 0 } value ? value.Trim() : null;

    private static void Int(IConfiguration configuration, string key, Action<int> set)
    {
        if (Value(configuration, key) is { } text)
        {
            set(int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out int value)
                ? value
                : throw Invalid(configuration, key, text, "an integer"));
        }
    }

    private static void Time(IConfiguration configuration, string key, Action<TimeSpan> set)
    {
        if (Value(configuration, key) is { } text)
        {
            set(TimeSpan.TryParse(text, CultureInfo.InvariantCulture, out TimeSpan value)
                ? value
                : throw Invalid(configuration, key, text, "a time span such as 00:00:30"));
        }
    }

    private static InvalidOperationException Invalid(IConfiguration configuration, string key, string value, string expected)
    {
        string path = configuration is IConfigurationSection section ? section.Path + ":" + key : key;
        return new InvalidOperationException($"Configuration value '{value}' of '{path}' is not valid: expected {expected}.");
    }
}
