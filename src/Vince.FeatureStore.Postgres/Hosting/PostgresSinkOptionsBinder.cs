using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// Binds <see cref="PostgresSinkOptions"/> from configuration by name, without reflection. A value that does not parse
/// is an error naming the key; a key not read here fails validation.
/// </summary>
internal static class PostgresSinkOptionsBinder
{
    public static void Bind(ConfigurationSectionReader section, PostgresSinkOptions options)
    {
        options.Name = section.Text(nameof(PostgresSinkOptions.Name)) ?? options.Name;
        options.ConnectionString = section.Text(nameof(PostgresSinkOptions.ConnectionString)) ?? options.ConnectionString;
        options.Schema = section.Text(nameof(PostgresSinkOptions.Schema)) ?? options.Schema;
        options.Table = section.Text(nameof(PostgresSinkOptions.Table)) ?? options.Table;
        options.WriteMode = section.Choice<PostgresWriteMode>(nameof(PostgresSinkOptions.WriteMode)) ?? options.WriteMode;
        options.MigrateOnStart = section.Flag(nameof(PostgresSinkOptions.MigrateOnStart)) ?? options.MigrateOnStart;
        options.CommandTimeout = section.Duration(nameof(PostgresSinkOptions.CommandTimeout)) ?? options.CommandTimeout;
    }
}
