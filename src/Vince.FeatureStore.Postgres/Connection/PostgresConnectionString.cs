using System.Globalization;
using System.Text;
using Npgsql;
using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Postgres;

/// <summary>
/// Turns a <c>postgresql://user:password@host:port/database?sslmode=require</c> URL (the form of
/// <c>POSTGRES_URL</c>) into the key/value connection string Npgsql reads, and describes a connection without
/// its password for logs and errors.
/// </summary>
/// <remarks>
/// Error messages name the part of the URL that is wrong, never the URL itself, so a password in it cannot
/// leak into a log.
/// </remarks>
public static class PostgresConnectionString
{
    /// <summary>The environment variable read when no connection is configured: <c>POSTGRES_URL</c> (<see cref="VinceEnvironment.PostgresUrl"/>).</summary>
    public const string UrlEnvironmentVariable = VinceEnvironment.PostgresUrl;

    // libpq query parameters and the Npgsql keyword each one maps to.
    private static readonly Dictionary<string, string> ParameterKeywords = new(StringComparer.OrdinalIgnoreCase)
    {
        ["sslmode"] = "SSL Mode",
        ["sslcert"] = "SSL Certificate",
        ["sslkey"] = "SSL Key",
        ["sslpassword"] = "SSL Password",
        ["sslrootcert"] = "Root Certificate",
        ["application_name"] = "Application Name",
        ["connect_timeout"] = "Timeout",
        ["target_session_attrs"] = "Target Session Attributes",
        ["options"] = "Options",
        ["client_encoding"] = "Client Encoding",
        ["keepalives_idle"] = "Tcp Keepalive Time",
        ["krbsrvname"] = "Kerberos Service Name",
        ["gssencmode"] = "GSS Encryption Mode",
        ["channel_binding"] = "Channel Binding",
        ["connection_limit"] = "Maximum Pool Size",
        ["user"] = "Username",
        ["password"] = "Password",
        ["dbname"] = "Database",
        ["port"] = "Port",
        ["host"] = "Host",
    };

    // Parameters other tools put in database URLs that mean nothing to a PostgreSQL client (Prisma's hints).
    private static readonly HashSet<string> IgnoredParameters = new(StringComparer.OrdinalIgnoreCase) { "pgbouncer", "pool_timeout", "schema", "statement_cache_size" };

    /// <summary>Whether <paramref name="value"/> is a <c>postgres://</c> or <c>postgresql://</c> URL rather than a key/value connection string.</summary>
    /// <param name="value">A connection string or URL.</param>
    /// <returns><see langword="true"/> for a URL.</returns>
    public static bool IsUrl(string? value)
    {
        if (value is null)
        {
            return false;
        }

        ReadOnlySpan<char> trimmed = value.AsSpan().TrimStart();
        return trimmed.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
               || trimmed.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>
    /// Returns a key/value connection string for either form: a URL is converted with <see cref="FromUrl"/>,
    /// a key/value string is parsed (and so validated) and returned as Npgsql writes it.
    /// </summary>
    /// <param name="connectionStringOrUrl">A key/value connection string or a <c>postgresql://</c> URL.</param>
    /// <returns>The key/value connection string.</returns>
    /// <exception cref="ArgumentException">The value is empty or not a valid connection string or URL; the message never contains the password.</exception>
    public static string Normalize(string connectionStringOrUrl)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(connectionStringOrUrl);
        if (IsUrl(connectionStringOrUrl))
        {
            return FromUrl(connectionStringOrUrl);
        }

        try
        {
            return new NpgsqlConnectionStringBuilder(connectionStringOrUrl).ConnectionString;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            // Npgsql names the keyword, not the value; keep only that much.
            throw new ArgumentException($"The PostgreSQL connection string is not valid: {ex.Message}", nameof(connectionStringOrUrl));
        }
    }

    /// <summary>
    /// Converts a <c>postgresql://[user[:password]@][host][:port][,host2[:port2]]/[database][?param=value&amp;...]</c>
    /// URL into an Npgsql key/value connection string. User, password, host, database and parameter values are
    /// percent-decoded; libpq parameters (<c>sslmode</c>, <c>application_name</c>, <c>connect_timeout</c>,
    /// <c>target_session_attrs</c>, ...) become their Npgsql keywords, and keywords Npgsql knows pass through.
    /// </summary>
    /// <param name="url">The URL, e.g. the value of <c>POSTGRES_URL</c>.</param>
    /// <returns>The key/value connection string (values quoted where needed).</returns>
    /// <exception cref="ArgumentException">The URL is malformed or has an unknown parameter; the message names the part, never the URL or the password.</exception>
    public static string FromUrl(string url)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(url);
        string value = url.Trim();
        int schemeEnd = value.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || !IsUrl(value))
        {
            throw Invalid("it must start with postgresql:// or postgres://");
        }

        string rest = value[(schemeEnd + 3)..];
        string? query = null;
        int queryStart = rest.IndexOf('?', StringComparison.Ordinal);
        if (queryStart >= 0)
        {
            query = rest[(queryStart + 1)..];
            rest = rest[..queryStart];
        }

        if ((query ?? rest).Contains('#', StringComparison.Ordinal))
        {
            throw Invalid("a fragment ('#') is not allowed; percent-encode '#' in the password as %23");
        }

        string? database = null;
        int pathStart = rest.IndexOf('/', StringComparison.Ordinal);
        string authority = pathStart >= 0 ? rest[..pathStart] : rest;
        if (pathStart >= 0)
        {
            database = Decode(rest[(pathStart + 1)..], "database name");
            if (database.Length == 0)
            {
                database = null;
            }
        }

        // The password may contain '@' only percent-encoded, so the last '@' ends the user info.
        string? user = null;
        string? password = null;
        int at = authority.LastIndexOf('@');
        if (at >= 0)
        {
            string userInfo = authority[..at];
            authority = authority[(at + 1)..];
            int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
            user = Decode(colon >= 0 ? userInfo[..colon] : userInfo, "user name");
            password = colon >= 0 ? Decode(userInfo[(colon + 1)..], "password") : null;
        }

        var builder = new NpgsqlConnectionStringBuilder();
        var (hosts, port) = ParseHosts(authority);
        if (hosts.Length > 0)
        {
            builder.Host = hosts;
        }

        if (port is { } p)
        {
            builder.Port = p;
        }

        if (!string.IsNullOrEmpty(user))
        {
            builder.Username = user;
        }

        if (password is not null)
        {
            builder.Password = password;
        }

        if (database is not null)
        {
            builder.Database = database;
        }

        if (!string.IsNullOrEmpty(query))
        {
            foreach (string pair in query.Split('&', StringSplitOptions.RemoveEmptyEntries))
            {
                int eq = pair.IndexOf('=', StringComparison.Ordinal);
                string name = Decode(eq >= 0 ? pair[..eq] : pair, "parameter name");
                string parameterValue = eq >= 0 ? Decode(pair[(eq + 1)..], $"value of parameter '{name}'") : "";
                ApplyParameter(builder, name, parameterValue);
            }
        }

        return builder.ConnectionString;
    }

    /// <summary>
    /// Describes where a connection string points without its password or any other secret:
    /// <c>user@host:port/database</c>. Safe to log.
    /// </summary>
    /// <param name="connectionStringOrUrl">A key/value connection string or a URL.</param>
    /// <returns>The description, or <c>(invalid connection string)</c>.</returns>
    public static string Describe(string? connectionStringOrUrl)
    {
        if (string.IsNullOrWhiteSpace(connectionStringOrUrl))
        {
            return "(no connection string)";
        }

        try
        {
            return Describe(new NpgsqlConnectionStringBuilder(Normalize(connectionStringOrUrl)));
        }
        catch (ArgumentException)
        {
            return "(invalid connection string)";
        }
    }

    internal static string Describe(NpgsqlConnectionStringBuilder builder)
    {
        var text = new StringBuilder();
        if (!string.IsNullOrEmpty(builder.Username))
        {
            text.Append(builder.Username).Append('@');
        }

        text.Append(string.IsNullOrEmpty(builder.Host) ? "localhost" : builder.Host);
        text.Append(':').Append(builder.Port.ToString(CultureInfo.InvariantCulture));
        text.Append('/').Append(string.IsNullOrEmpty(builder.Database) ? "(default database)" : builder.Database);
        return text.ToString();
    }

    private static void ApplyParameter(NpgsqlConnectionStringBuilder builder, string name, string value)
    {
        if (IgnoredParameters.Contains(name))
        {
            return;
        }

        string keyword = ParameterKeywords.TryGetValue(name, out string? mapped) ? mapped : name;
        if (string.Equals(keyword, "SSL Mode", StringComparison.Ordinal))
        {
            // libpq spells the verifying modes verify-ca and verify-full.
            value = value.ToLowerInvariant() switch
            {
                "verify-ca" => "VerifyCA",
                "verify-full" => "VerifyFull",
                _ => value,
            };
        }

        if (!IsKnownKeyword(keyword))
        {
            throw Invalid($"the parameter '{name}' is not supported");
        }

        try
        {
            builder[keyword] = value;
        }
        catch (Exception ex) when (ex is ArgumentException or FormatException or InvalidCastException or OverflowException)
        {
            throw Invalid(string.Equals(keyword, "Password", StringComparison.Ordinal) || string.Equals(keyword, "SSL Password", StringComparison.Ordinal)
                ? $"the parameter '{name}' is not valid"
                : $"the parameter '{name}' has an invalid value: {ex.Message}");
        }
    }

    private static bool IsKnownKeyword(string keyword)
    {
        try
        {
            _ = new NpgsqlConnectionStringBuilder()[keyword];
            return true;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static (string Hosts, int? Port) ParseHosts(string authority)
    {
        if (authority.Length == 0)
        {
            return ("", null);
        }

        var hosts = new List<string>();
        int? firstPort = null;
        bool multiple = authority.Contains(',', StringComparison.Ordinal);
        foreach (string part in authority.Split(','))
        {
            string host;
            string? portText = null;
            if (part.StartsWith('['))
            {
                int close = part.IndexOf(']', StringComparison.Ordinal);
                if (close < 0)
                {
                    throw Invalid("an IPv6 host is missing its closing ']'");
                }

                host = part[1..close];
                string after = part[(close + 1)..];
                if (after.Length > 0)
                {
                    if (after[0] != ':')
                    {
                        throw Invalid("unexpected text after an IPv6 host");
                    }

                    portText = after[1..];
                }
            }
            else
            {
                int colon = part.LastIndexOf(':');
                host = colon >= 0 ? part[..colon] : part;
                portText = colon >= 0 ? part[(colon + 1)..] : null;
            }

            host = Decode(host, "host");
            int? port = null;
            if (!string.IsNullOrEmpty(portText))
            {
                if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out int parsed) || parsed is < 1 or > 65535)
                {
                    throw Invalid("the port must be a number from 1 to 65535");
                }

                port = parsed;
            }

            if (host.Length == 0 && multiple)
            {
                throw Invalid("a host in the host list is empty");
            }

            if (host.Length > 0)
            {
                // Npgsql takes several hosts as "h1:p1,h2:p2"; a single host keeps its port in Port.
                hosts.Add(multiple && port is { } hp ? FormatHost(host) + ":" + hp.ToString(CultureInfo.InvariantCulture) : host);
            }

            firstPort ??= port;
        }

        return (string.Join(",", hosts), multiple ? null : firstPort);
    }

    private static string FormatHost(string host) => host.Contains(':', StringComparison.Ordinal) ? "[" + host + "]" : host;

    private static string Decode(string value, string part)
    {
        try
        {
            // Uri.UnescapeDataString leaves invalid escapes as they are; reject them instead of guessing.
            for (int i = 0; i < value.Length; i++)
            {
                if (value[i] == '%' && (i + 2 >= value.Length || !Uri.IsHexDigit(value[i + 1]) || !Uri.IsHexDigit(value[i + 2])))
                {
                    throw Invalid($"the {part} has an invalid percent-escape");
                }
            }

            return Uri.UnescapeDataString(value);
        }
        catch (UriFormatException)
        {
            throw Invalid($"the {part} cannot be decoded");
        }
    }

    private static ArgumentException Invalid(string reason)
        => new($"The PostgreSQL URL is not valid: {reason}. Expected postgresql://user:password@host:port/database?sslmode=require (percent-encode special characters in the user and password).");
}
