using Vince.FeatureStore.Configuration;

namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Where the Supabase URL and key come from: <see cref="SupabaseOptions"/> first, then the bot's environment
/// (<c>SUPABASE_URL</c>; <c>SUPABASE_SERVICE_ROLE_KEY</c>, else <c>SUPABASE_ANON_KEY</c>; a URL derived from
/// <c>POSTGRES_URL</c>). Supabase writing is on only when both are known. <see cref="ToString"/> never shows the key.
/// </summary>
internal sealed class SupabaseSettings
{
    /// <summary>The environment variable holding the project URL.</summary>
    public const string UrlVariable = VinceEnvironment.SupabaseUrl;

    /// <summary>The environment variable holding the service-role key (preferred: it bypasses row level security).</summary>
    public const string ServiceRoleKeyVariable = VinceEnvironment.SupabaseServiceRoleKey;

    /// <summary>The environment variable holding the anon key (used when no service-role key is set).</summary>
    public const string AnonKeyVariable = VinceEnvironment.SupabaseAnonKey;

    /// <summary>The environment variable holding the Postgres connection URL the project URL can be derived from.</summary>
    public const string PostgresUrlVariable = VinceEnvironment.PostgresUrl;

    private SupabaseSettings(Uri? url, string urlSource, string? apiKey, string keySource)
    {
        Url = url;
        UrlSource = urlSource;
        ApiKey = apiKey;
        KeySource = keySource;
    }

    /// <summary>The project URL (no trailing path), or <see langword="null"/> when unknown.</summary>
    public Uri? Url { get; }

    /// <summary>Where <see cref="Url"/> came from: <c>options</c>, <c>SUPABASE_URL</c>, <c>POSTGRES_URL</c> or <c>none</c>.</summary>
    public string UrlSource { get; }

    /// <summary>Where the key came from: <c>options</c>, <c>SUPABASE_SERVICE_ROLE_KEY</c>, <c>SUPABASE_ANON_KEY</c> or <c>none</c>.</summary>
    public string KeySource { get; }

    /// <summary>Whether both a URL and a key are known, so the sink writes.</summary>
    public bool IsEnabled => Url is not null && ApiKey is not null;

    /// <summary>
    /// Whether the key acts as the anon role, which row level security holds to the table's policies (the bootstrap SQL
    /// adds none unless asked: <c>bootstrap-sql --allow-anon-writes</c>): it came from <c>SUPABASE_ANON_KEY</c>, is a
    /// publishable key (<c>sb_publishable_…</c>), or is a JWT whose <c>role</c> claim is <c>anon</c>.
    /// </summary>
    public bool IsAnonKey => ApiKey is { } key && (KeySource == AnonKeyVariable || SupabaseKeyRole.IsAnon(key));

    /// <summary>The key; internal so that it cannot leak through a public surface by accident.</summary>
    internal string? ApiKey { get; }

    /// <summary>Resolves the URL and key from <paramref name="options"/> and the environment.</summary>
    /// <param name="options">The options; their <see cref="SupabaseOptions.Url"/> and <see cref="SupabaseOptions.ApiKey"/> win.</param>
    /// <param name="environment">Reads an environment variable; the process environment (<see cref="VinceEnvironment.Process"/>) when <see langword="null"/>.</param>
    /// <returns>The resolved settings.</returns>
    /// <exception cref="ArgumentException"><c>SUPABASE_URL</c> is set but is not an absolute http(s) URL.</exception>
    public static SupabaseSettings Resolve(SupabaseOptions options, Func<string, string?>? environment = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        environment ??= VinceEnvironment.Process.AsFunc();

        Uri? url = options.Url;
        string urlSource = "options";
        if (url is null)
        {
            string? fromEnvironment = Trimmed(environment(UrlVariable));
            if (fromEnvironment is not null)
            {
                if (!Uri.TryCreate(fromEnvironment, UriKind.Absolute, out url) || (url.Scheme != Uri.UriSchemeHttps && url.Scheme != Uri.UriSchemeHttp))
                {
                    throw new ArgumentException($"{UrlVariable} must be an absolute http(s) URL such as https://<project-ref>.supabase.co.");
                }

                urlSource = UrlVariable;
            }
            else if (DeriveUrlFromPostgresUrl(environment(PostgresUrlVariable)) is { } derived)
            {
                url = derived;
                urlSource = PostgresUrlVariable;
            }
            else
            {
                urlSource = "none";
            }
        }

        string? key = Trimmed(options.ApiKey);
        string keySource = "options";
        if (key is null)
        {
            key = Trimmed(environment(ServiceRoleKeyVariable));
            keySource = ServiceRoleKeyVariable;
            if (key is null)
            {
                key = Trimmed(environment(AnonKeyVariable));
                keySource = key is null ? "none" : AnonKeyVariable;
            }
        }

        return new SupabaseSettings(url is null ? null : Normalize(url), urlSource, key, keySource);
    }

    /// <summary>
    /// Derives <c>https://&lt;ref&gt;.supabase.co</c> from a Postgres connection URL (<c>postgresql://…</c>) or key/value
    /// string whose host is <c>db.&lt;ref&gt;.supabase.co</c> or whose user is the pooler user <c>postgres.&lt;ref&gt;</c>.
    /// </summary>
    /// <param name="postgresUrl">The value of <c>POSTGRES_URL</c> (may be <see langword="null"/>).</param>
    /// <returns>The project URL, or <see langword="null"/> when the connection is not a Supabase one.</returns>
    public static Uri? DeriveUrlFromPostgresUrl(string? postgresUrl)
    {
        if (string.IsNullOrWhiteSpace(postgresUrl))
        {
            return null;
        }

        (string? host, string? user) = HostAndUser(postgresUrl.Trim());
        string? projectRef = null;
        if (host is not null && host.Length > "db.".Length + ".supabase.co".Length
            && host.EndsWith(".supabase.co", StringComparison.OrdinalIgnoreCase) && host.StartsWith("db.", StringComparison.OrdinalIgnoreCase))
        {
            projectRef = host["db.".Length..^".supabase.co".Length];
        }
        else if (user is not null && user.StartsWith("postgres.", StringComparison.Ordinal))
        {
            projectRef = user["postgres.".Length..];
        }

        return projectRef is { Length: > 0 } && projectRef.All(c => char.IsAsciiLetterOrDigit(c))
            ? new Uri($"https://{projectRef.ToLowerInvariant()}.supabase.co")
            : null;
    }

    /// <summary>Describes the settings with the key redacted.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString()
        => $"Supabase {(IsEnabled ? "enabled" : "disabled")}: url {Url?.ToString() ?? "unknown"} (from {UrlSource}), key {(ApiKey is null ? "unknown" : "***")} (from {KeySource})";

    private static (string? Host, string? User) HostAndUser(string connection)
    {
        if (connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase))
        {
            // Parsed by hand: Uri rejects some real-world passwords, and the password is never needed here.
            string rest = connection[(connection.IndexOf("://", StringComparison.Ordinal) + 3)..];
            int end = rest.IndexOfAny(['/', '?', '#']);
            string authority = end < 0 ? rest : rest[..end];
            int at = authority.LastIndexOf('@');
            string? user = null;
            if (at >= 0)
            {
                string userInfo = authority[..at];
                int colon = userInfo.IndexOf(':', StringComparison.Ordinal);
                user = Uri.UnescapeDataString(colon < 0 ? userInfo : userInfo[..colon]);
                authority = authority[(at + 1)..];
            }

            string host = authority.StartsWith('[') ? authority : authority.Split(':')[0];
            return (host.Length == 0 ? null : host, user);
        }

        string? keyValueHost = null;
        string? keyValueUser = null;
        foreach (string part in connection.Split(';', StringSplitOptions.RemoveEmptyEntries))
        {
            int equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                continue;
            }

            string key = part[..equals].Trim().ToLowerInvariant();
            string value = part[(equals + 1)..].Trim().Trim('\'', '"');
            switch (key)
            {
                case "host" or "server":
                    keyValueHost = value.Split(',')[0].Split(':')[0];
                    break;
                case "username" or "user id" or "userid" or "user":
                    keyValueUser = value;
                    break;
            }
        }

        return (keyValueHost, keyValueUser);
    }

    private static Uri Normalize(Uri url) => new(url.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/");

    private static string? Trimmed(string? value) => string.IsNullOrWhiteSpace(value) ? null : value.Trim();
}
