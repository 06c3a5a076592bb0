namespace Vince.FeatureStore.Configuration;

/// <summary>
/// The bot's environment variables: every name the packages, the <c>vince-features</c> tool and the sample read, with
/// its meaning, and the one place that reads them. Each package keeps its own precedence (an explicit option wins,
/// then the variable, then the default); this type only says what the variables are and reads them.
/// </summary>
public sealed class VinceEnvironment
{
    /// <summary>The directory of the JSONL feature log (<c>FeatureStoreOptions.DataDirectory</c> wins; default <c>.elizadb/vince-paper-bot/features</c>).</summary>
    public const string DataDirectory = "VINCE_FEATURE_STORE_DATA_DIR";

    /// <summary>The directory of the ONNX model set (<c>OnnxScoringOptions.ModelsDirectory</c> wins; default <c>.elizadb/vince-paper-bot/models</c>).</summary>
    public const string ModelsDirectory = "VINCE_ML_MODELS_DIR";

    /// <summary>The bot's PostgreSQL connection URL: the Postgres sink's connection when none is configured, and the source the Supabase project URL can be derived from.</summary>
    public const string PostgresUrl = "POSTGRES_URL";

    /// <summary>The Supabase project URL, e.g. <c>https://&lt;ref&gt;.supabase.co</c> (<c>SupabaseOptions.Url</c> wins).</summary>
    public const string SupabaseUrl = "SUPABASE_URL";

    /// <summary>The Supabase service-role key (preferred: it bypasses row level security; <c>SupabaseOptions.ApiKey</c> wins).</summary>
    public const string SupabaseServiceRoleKey = "SUPABASE_SERVICE_ROLE_KEY";

    /// <summary>The Supabase anon key, used when no service-role key is set (it can write only where a policy allows it).</summary>
    public const string SupabaseAnonKey = "SUPABASE_ANON_KEY";

    /// <summary>The paper-trading sample bot's tickers, comma-separated (default <c>BTC,ETH,SOL,HYPE</c>).</summary>
    public const string PaperAssets = "VINCE_PAPER_ASSETS";

    /// <summary>The paper-trading sample bot's aggressive strategy: <c>true</c> or <c>false</c> (default).</summary>
    public const string PaperAggressive = "VINCE_PAPER_AGGRESSIVE";

    /// <summary>The operating system's program search path: where the external trainer's command is looked up.</summary>
    public const string SearchPath = "PATH";

    /// <summary>The executable extensions Windows tries when looking a command up on <see cref="SearchPath"/>.</summary>
    public const string ExecutableExtensions = "PATHEXT";

    private readonly Func<string, string?> _read;

    /// <summary>Creates a view of an environment (tests and hosts pass their own; <see cref="Process"/> is the real one).</summary>
    /// <param name="read">Reads a variable; <see langword="null"/> when it is unset.</param>
    public VinceEnvironment(Func<string, string?> read)
    {
        ArgumentNullException.ThrowIfNull(read);
        _read = read;
    }

    /// <summary>The process environment.</summary>
    public static VinceEnvironment Process { get; } = new(System.Environment.GetEnvironmentVariable);

    /// <summary>Every variable with its meaning, for help texts.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> Variables { get; } =
    [
        new(DataDirectory, "Directory of the JSONL feature log."),
        new(ModelsDirectory, "Directory of the ONNX model set."),
        new(PostgresUrl, "PostgreSQL connection URL of the Postgres sink; a Supabase one also gives the Supabase project URL."),
        new(SupabaseUrl, "Supabase project URL."),
        new(SupabaseServiceRoleKey, "Supabase service-role key (preferred)."),
        new(SupabaseAnonKey, "Supabase anon key, when no service-role key is set."),
        new(PaperAssets, "Tickers of the paper-trading sample bot, comma-separated."),
        new(PaperAggressive, "Aggressive strategy of the paper-trading sample bot (true or false)."),
        new(SearchPath, "Where the external trainer's command is looked up."),
        new(ExecutableExtensions, "Executable extensions tried on Windows when looking a command up."),
    ];

    /// <summary>The value of a variable as set (not trimmed), or <see langword="null"/> when it is unset.</summary>
    /// <param name="name">The variable, one of the constants of this type.</param>
    /// <returns>The value.</returns>
    public string? Get(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        return _read(name);
    }

    /// <summary>The reader as a delegate, for APIs that take one.</summary>
    /// <returns>A function reading a variable.</returns>
    public Func<string, string?> AsFunc() => _read;
}
