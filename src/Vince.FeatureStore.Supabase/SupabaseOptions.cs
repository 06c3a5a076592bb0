namespace Vince.FeatureStore.Supabase;

/// <summary>
/// Settings of <see cref="SupabaseFeatureSink"/>. The URL and key fall back to the bot's environment variables
/// (<see cref="SupabaseSettings"/>); the key never appears in <see cref="ToString"/>, logs or exception messages.
/// </summary>
public sealed class SupabaseOptions
{
    /// <summary>The default sink name, <c>supabase</c> (its cursor file is <c>.cursors/supabase.json</c>).</summary>
    public const string DefaultName = "supabase";

    /// <summary>The default table, <c>vince_paper_bot_features</c> (schema <c>public</c>).</summary>
    public const string DefaultTable = "vince_paper_bot_features";

    /// <summary>The default number of rows per request, 500.</summary>
    public const int DefaultMaxBatchRows = 500;

    /// <summary>The default request body limit, 1 MiB.</summary>
    public const int DefaultMaxBatchBytes = 1024 * 1024;

    /// <summary>
    /// The sink name: names its cursor file and metrics tag (letters, digits, '.', '-', '_'). Renaming it makes
    /// the sink ship the whole log again (harmless: writes are upserts).
    /// </summary>
    public string Name { get; set; } = DefaultName;

    /// <summary>
    /// The project URL, e.g. <c>https://abcdefghijklmnop.supabase.co</c>. When <see langword="null"/>, <c>SUPABASE_URL</c>
    /// is used, else it is derived from <c>POSTGRES_URL</c> (<c>db.&lt;ref&gt;.supabase.co</c> or pooler user <c>postgres.&lt;ref&gt;</c>).
    /// </summary>
    public Uri? Url { get; set; }

    /// <summary>
    /// The API key sent as <c>apikey</c> and <c>Authorization: Bearer</c>. When <see langword="null"/>,
    /// <c>SUPABASE_SERVICE_ROLE_KEY</c>, else <c>SUPABASE_ANON_KEY</c>. The service-role key bypasses row level security;
    /// the anon key can write only if a policy allows it.
    /// </summary>
    public string? ApiKey { get; set; }

    /// <summary>The table in the <c>public</c> schema (a plain lower-case identifier).</summary>
    public string Table { get; set; } = DefaultTable;

    /// <summary>
    /// The private Storage bucket of the trained model set (default <c>vince-ml-models</c>). <c>.AddSupabase()</c> registers it as
    /// the host's <c>IModelBucket</c>: uploaded after a training, downloaded at start-up when the models directory has no model.
    /// </summary>
    public string ModelBucket { get; set; } = SupabaseModelStore.DefaultBucket;

    /// <summary>The most rows sent in one request (default 500).</summary>
    public int MaxBatchRows { get; set; } = DefaultMaxBatchRows;

    /// <summary>
    /// The largest request body in bytes (default 1 MiB). A single record larger than this is still sent alone; a
    /// <c>413</c> answer splits the request in halves down to one row.
    /// </summary>
    public int MaxBatchBytes { get; set; } = DefaultMaxBatchBytes;

    /// <summary>Timeout of one HTTP request (default 30 s); a timeout is a transient failure.</summary>
    public TimeSpan RequestTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Attempts per request inside one write, including the first (default 5). Transient failures (network,
    /// timeout, 408, 429, 5xx) are retried; after the last attempt the write fails and the feature store's pipeline
    /// retries the batch later from its durable cursor.
    /// </summary>
    public int MaxAttempts { get; set; } = 5;

    /// <summary>The first retry delay (default 500 ms), doubled per attempt with jitter, up to <see cref="MaxRetryDelay"/>.</summary>
    public TimeSpan InitialRetryDelay { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// The longest wait between attempts (default 60 s). A server's <c>Retry-After</c> is honoured up to this value;
    /// a longer one ends the write (the pipeline retries later).
    /// </summary>
    public TimeSpan MaxRetryDelay { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Rows per page when reading back (default 1000, PostgREST's usual <c>max-rows</c>).</summary>
    public int ReadPageSize { get; set; } = 1000;

    /// <summary>Checks every setting except the URL and key (see <see cref="SupabaseSettings"/>); each problem is one message.</summary>
    /// <returns>The problems; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Name) || Name.Length > 100 || Name.StartsWith('.') || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            // It names the cursor file: the feature store refuses anything else.
            errors.Add($"Name must be 1–100 letters, digits, '.', '-' and '_', not starting with '.' (was '{Name}').");
        }

        if (string.IsNullOrEmpty(Table) || Table.Length > 63 || char.IsAsciiDigit(Table[0]) || !Table.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            errors.Add($"Table must be a lower-case identifier (a-z, 0-9, '_', not starting with a digit, at most 63 characters) (was '{Table}').");
        }

        if (Url is not null && (!Url.IsAbsoluteUri || (Url.Scheme != Uri.UriSchemeHttps && Url.Scheme != Uri.UriSchemeHttp)))
        {
            errors.Add("Url must be an absolute http(s) URL such as https://<project-ref>.supabase.co.");
        }

        // Supabase bucket ids: lower-case letters, digits, '-', '_' and '.', 3–63 characters.
        if (string.IsNullOrEmpty(ModelBucket) || ModelBucket.Length is < 3 or > 63 || !ModelBucket.All(c => char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c is '-' or '_' or '.'))
        {
            errors.Add($"ModelBucket must be 3 to 63 lower-case letters, digits, '-', '_' or '.' (was '{ModelBucket}').");
        }

        if (MaxBatchRows is < 1 or > 10_000)
        {
            errors.Add($"MaxBatchRows must be between 1 and 10000 (was {MaxBatchRows}).");
        }

        if (MaxBatchBytes is < 1024 or > 64 * 1024 * 1024)
        {
            errors.Add($"MaxBatchBytes must be between 1 KiB and 64 MiB (was {MaxBatchBytes}).");
        }

        if (RequestTimeout < TimeSpan.FromMilliseconds(100) || RequestTimeout > TimeSpan.FromMinutes(10))
        {
            errors.Add($"RequestTimeout must be between 100 ms and 10 minutes (was {RequestTimeout}).");
        }

        if (ReadPageSize is < 1 or > 100_000)
        {
            errors.Add($"ReadPageSize must be between 1 and 100000 (was {ReadPageSize}).");
        }

        if (MaxAttempts is < 1 or > 100)
        {
            errors.Add($"MaxAttempts must be between 1 and 100 (was {MaxAttempts}).");
        }

        if (InitialRetryDelay < TimeSpan.Zero || InitialRetryDelay > MaxRetryDelay)
        {
            errors.Add($"InitialRetryDelay must be between 0 and MaxRetryDelay (was {InitialRetryDelay}).");
        }

        if (MaxRetryDelay < TimeSpan.Zero || MaxRetryDelay > TimeSpan.FromHours(1))
        {
            errors.Add($"MaxRetryDelay must be between 0 and 1 hour (was {MaxRetryDelay}).");
        }

        return errors;
    }

    /// <summary>Describes the options with the key redacted.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString()
        => $"SupabaseOptions {{ Name = {Name}, Url = {Url?.ToString() ?? "(from environment)"}, ApiKey = {(ApiKey is null ? "(from environment)" : "***")}, Table = {Table}, " +
           $"MaxBatchRows = {MaxBatchRows}, MaxBatchBytes = {MaxBatchBytes}, RequestTimeout = {RequestTimeout}, MaxAttempts = {MaxAttempts} }}";

    internal SupabaseOptions Clone() => (SupabaseOptions)MemberwiseClone();
}
