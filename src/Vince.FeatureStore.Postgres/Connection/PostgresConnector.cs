using Npgsql;

namespace Vince.FeatureStore.Postgres;

/// <summary>Opens connections and turns the usual start-up failures into classified messages that say what to fix, without secrets.</summary>
internal static class PostgresConnector
{
    public static async Task<NpgsqlConnection> OpenAsync(NpgsqlDataSource dataSource, string who, CancellationToken cancellationToken)
    {
        try
        {
            return await dataSource.OpenConnectionAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (Explain(ex, dataSource, who) is { } explained)
        {
            throw explained;
        }
    }

    /// <summary>A classified exception for authentication, unknown database and unreachable server (see <see cref="PostgresFailures"/>); <see langword="null"/> otherwise.</summary>
    internal static FeatureSinkException? Explain(Exception ex, NpgsqlDataSource dataSource, string who)
        => PostgresFailures.Classify(ex, who, table: null, Describe(dataSource));

    internal static string Describe(NpgsqlDataSource dataSource)
    {
        try
        {
            // NpgsqlDataSource.ConnectionString never includes the password (unless Persist Security Info is set), but
            // describe from the parsed parts anyway so nothing else leaks either.
            return PostgresConnectionString.Describe(new NpgsqlConnectionStringBuilder(dataSource.ConnectionString));
        }
        catch (ArgumentException)
        {
            return "(unknown server)";
        }
    }
}
