using System.Net.Sockets;
using Npgsql;

namespace Vince.FeatureStore.Postgres;

/// <summary>Opens connections and turns the usual start-up failures into messages that say what to fix, without secrets.</summary>
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

    /// <summary>A clearer exception for authentication, unknown database and unreachable server; <see langword="null"/> otherwise.</summary>
    internal static Exception? Explain(Exception ex, NpgsqlDataSource dataSource, string who)
    {
        string target = Describe(dataSource);
        if (ex is PostgresException pg)
        {
            if (pg.SqlState is PostgresErrorCodes.InvalidPassword or PostgresErrorCodes.InvalidAuthorizationSpecification)
            {
                return new InvalidOperationException(
                    $"{who} could not log in to PostgreSQL at {target}: {pg.MessageText} (SQLSTATE {pg.SqlState}). Check the user name and password (not shown here).", ex);
            }

            if (pg.SqlState == PostgresErrorCodes.InvalidCatalogName)
            {
                return new InvalidOperationException($"{who}: the database in {target} does not exist: {pg.MessageText} (SQLSTATE {pg.SqlState}).", ex);
            }

            return null;
        }

        if (ex is NpgsqlException { InnerException: SocketException socket })
        {
            return new InvalidOperationException($"{who} could not reach PostgreSQL at {target}: {socket.Message}.", ex);
        }

        return null;
    }

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
