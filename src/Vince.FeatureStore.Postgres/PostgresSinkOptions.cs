namespace Vince.FeatureStore.Postgres;

/// <summary>Settings of <see cref="PostgresFeatureSink"/> and <see cref="PostgresFeatureReader"/>. Validated at start-up.</summary>
public sealed class PostgresSinkOptions
{
    /// <summary>The default sink name, <c>postgres</c> (its cursor file is <c>.cursors/postgres.json</c>).</summary>
    public const string DefaultName = "postgres";

    /// <summary>The default schema, <c>plugin_vince</c>.</summary>
    public const string DefaultSchema = "plugin_vince";

    /// <summary>The default table, <c>paper_bot_features</c>.</summary>
    public const string DefaultTable = "paper_bot_features";

    /// <summary>
    /// The sink name: names its cursor file and metrics tag (letters, digits, '.', '-', '_'). Renaming it makes
    /// the sink ship the whole log again (harmless: writes are upserts).
    /// </summary>
    public string Name { get; set; } = DefaultName;

    /// <summary>
    /// A key/value connection string (<c>Host=…;Username=…;Password=…;Database=…</c>) or a
    /// <c>postgresql://user:password@host:port/database?sslmode=require</c> URL. When <see langword="null"/>,
    /// <c>.AddPostgres()</c> uses an <c>NpgsqlDataSource</c> registered in the container, else the
    /// <c>POSTGRES_URL</c> environment variable.
    /// </summary>
    public string? ConnectionString { get; set; }

    /// <summary>The schema of the table (a plain lower-case identifier).</summary>
    public string Schema { get; set; } = DefaultSchema;

    /// <summary>The table (a plain lower-case identifier).</summary>
    public string Table { get; set; } = DefaultTable;

    /// <summary>How batches are sent; <see cref="PostgresWriteMode.Auto"/> picks unnest for PGlite and COPY otherwise.</summary>
    public PostgresWriteMode WriteMode { get; set; } = PostgresWriteMode.Auto;

    /// <summary>
    /// Create the schema, table and indexes when the table is missing (default). An existing table is always used
    /// as it is. When <see langword="false"/>, the table must already exist.
    /// </summary>
    public bool MigrateOnStart { get; set; } = true;

    /// <summary>Timeout of each statement and of a COPY (default 30 s).</summary>
    public TimeSpan CommandTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Checks every setting except the connection; each problem is one message.</summary>
    /// <returns>The problems; empty when valid.</returns>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (string.IsNullOrEmpty(Name) || Name.Length > 100 || Name.StartsWith('.') || !Name.All(c => char.IsAsciiLetterOrDigit(c) || c is '.' or '-' or '_'))
        {
            // It names the cursor file: the feature store refuses anything else.
            errors.Add($"Name must be 1–100 letters, digits, '.', '-' and '_', not starting with '.' (was '{Name}').");
        }

        if (!PostgresTableName.IsValidIdentifier(Schema))
        {
            errors.Add($"Schema must be a lower-case identifier (a-z, 0-9, '_', not starting with a digit, at most 63 characters) (was '{Schema}').");
        }

        if (!PostgresTableName.IsValidIdentifier(Table))
        {
            errors.Add($"Table must be a lower-case identifier (a-z, 0-9, '_', not starting with a digit, at most 63 characters) (was '{Table}').");
        }

        if (!Enum.IsDefined(WriteMode))
        {
            errors.Add($"WriteMode must be Auto, Copy or Unnest (was {(int)WriteMode}).");
        }

        if (CommandTimeout < TimeSpan.FromSeconds(1) || CommandTimeout > TimeSpan.FromHours(1))
        {
            errors.Add($"CommandTimeout must be between 1 second and 1 hour (was {CommandTimeout}).");
        }

        return errors;
    }

    /// <summary>Describes the options with the connection as <c>user@host:port/database</c>: never the password.</summary>
    /// <returns>A description safe to log.</returns>
    public override string ToString()
        => $"PostgresSinkOptions {{ Name = {Name}, Connection = {(ConnectionString is null ? "(from the container or POSTGRES_URL)" : PostgresConnectionString.Describe(ConnectionString))}, " +
           $"Table = {Schema}.{Table}, WriteMode = {WriteMode}, MigrateOnStart = {MigrateOnStart}, CommandTimeout = {CommandTimeout} }}";

    internal PostgresSinkOptions Clone() => (PostgresSinkOptions)MemberwiseClone();
}
