using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Binds <see cref="SupabaseOptions"/> from configuration by name, without reflection. A value that does not parse is
/// an error naming the key; a key not read here fails validation.
/// </summary>
internal static class SupabaseOptionsBinder
{
    public static void Bind(ConfigurationSectionReader section, SupabaseOptions options)
    {
        options.Name = section.Text(nameof(SupabaseOptions.Name)) ?? options.Name;
        options.Url = section.Url(nameof(SupabaseOptions.Url)) ?? options.Url;
        options.ApiKey = section.Text(nameof(SupabaseOptions.ApiKey)) ?? options.ApiKey;
        options.Table = section.Text(nameof(SupabaseOptions.Table)) ?? options.Table;
        options.ModelBucket = section.Text(nameof(SupabaseOptions.ModelBucket)) ?? options.ModelBucket;
        options.MaxBatchRows = section.WholeNumber(nameof(SupabaseOptions.MaxBatchRows)) ?? options.MaxBatchRows;
        options.MaxBatchBytes = section.WholeNumber(nameof(SupabaseOptions.MaxBatchBytes)) ?? options.MaxBatchBytes;
        options.RequestTimeout = section.Duration(nameof(SupabaseOptions.RequestTimeout)) ?? options.RequestTimeout;
        options.MaxAttempts = section.WholeNumber(nameof(SupabaseOptions.MaxAttempts)) ?? options.MaxAttempts;
        options.InitialRetryDelay = section.Duration(nameof(SupabaseOptions.InitialRetryDelay)) ?? options.InitialRetryDelay;
        options.MaxRetryDelay = section.Duration(nameof(SupabaseOptions.MaxRetryDelay)) ?? options.MaxRetryDelay;
        options.ReadPageSize = section.WholeNumber(nameof(SupabaseOptions.ReadPageSize)) ?? options.ReadPageSize;
    }
}
