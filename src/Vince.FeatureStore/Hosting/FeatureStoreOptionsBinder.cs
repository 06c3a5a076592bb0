using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore;

/// <summary>
/// Binds <see cref="FeatureStoreOptions"/> from configuration by name, without reflection, so the core package stays
/// trim- and AOT-safe. A value that does not parse is an error naming the key; a key not read here fails validation.
/// </summary>
internal static class FeatureStoreOptionsBinder
{
    public static void Bind(ConfigurationSectionReader section, FeatureStoreOptions options)
    {
        if (section.Text(nameof(FeatureStoreOptions.DataDirectory)) is { } directory)
        {
            options.DataDirectory = directory;
        }

        options.QueueCapacity = section.WholeNumber(nameof(FeatureStoreOptions.QueueCapacity)) ?? options.QueueCapacity;
        options.QueueFullMode = section.Choice<QueueFullMode>(nameof(FeatureStoreOptions.QueueFullMode)) ?? options.QueueFullMode;
        options.QueueFullTimeout = section.Duration(nameof(FeatureStoreOptions.QueueFullTimeout)) ?? options.QueueFullTimeout;
        options.LogBatchSize = section.WholeNumber(nameof(FeatureStoreOptions.LogBatchSize)) ?? options.LogBatchSize;
        options.RecordsPerFile = section.WholeNumber(nameof(FeatureStoreOptions.RecordsPerFile)) ?? options.RecordsPerFile;
        options.FsyncOnWrite = section.Flag(nameof(FeatureStoreOptions.FsyncOnWrite)) ?? options.FsyncOnWrite;
        options.RetainJsonlDays = section.WholeNumber(nameof(FeatureStoreOptions.RetainJsonlDays)) ?? options.RetainJsonlDays;
        options.SinkBatchSize = section.WholeNumber(nameof(FeatureStoreOptions.SinkBatchSize)) ?? options.SinkBatchSize;
        options.RetryInitialDelay = section.Duration(nameof(FeatureStoreOptions.RetryInitialDelay)) ?? options.RetryInitialDelay;
        options.RetryMaxDelay = section.Duration(nameof(FeatureStoreOptions.RetryMaxDelay)) ?? options.RetryMaxDelay;
        options.ShutdownTimeout = section.Duration(nameof(FeatureStoreOptions.ShutdownTimeout)) ?? options.ShutdownTimeout;
        options.BlockedReminderInterval = section.Duration(nameof(FeatureStoreOptions.BlockedReminderInterval)) ?? options.BlockedReminderInterval;
        options.OpenRecordCapacity = section.WholeNumber(nameof(FeatureStoreOptions.OpenRecordCapacity)) ?? options.OpenRecordCapacity;
        options.MaxRecordBytes = section.WholeNumber(nameof(FeatureStoreOptions.MaxRecordBytes)) ?? options.MaxRecordBytes;
    }
}
