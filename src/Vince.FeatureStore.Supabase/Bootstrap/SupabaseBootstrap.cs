namespace Vince.FeatureStore.Supabase;

/// <summary>
/// The SQL that prepares a Supabase project for the sink (<c>supabase-feature-store-bootstrap.sql</c>, shipped in the
/// assembly): the table, its indexes (<c>created_at</c>; asset; complete trades), the trigger that keeps a stored row
/// when an upsert brings an older version of it (ordered by the payload's <c>updatedAt</c>), row level security on,
/// the private <c>vince-ml-models</c> bucket when Storage is installed, and a PostgREST schema reload. Idempotent.
/// </summary>
public static class SupabaseBootstrap
{
    /// <summary>The script's file name, <c>supabase-feature-store-bootstrap.sql</c>.</summary>
    public const string FileName = "supabase-feature-store-bootstrap.sql";

    private const string ResourceName = "Vince.FeatureStore.Supabase." + FileName;

    private const string AnonWritesResourceName = "Vince.FeatureStore.Supabase.supabase-anon-writes.sql";

    // The trigger's condition is the one the Postgres sink's upsert uses (RecordVersionOrder), filled in here so the rule lives once.
    private const string ReplacesPlaceholder = "{{incoming NEW.payload replaces stored OLD.payload}}";

    private static readonly Lazy<string> Script = new(() => Load(ResourceName).Replace(
        ReplacesPlaceholder, RecordVersionOrder.SqlReplaces(incoming: "NEW.payload", stored: "OLD.payload"), StringComparison.Ordinal));

    private static readonly Lazy<string> AnonWrites = new(() => Load(AnonWritesResourceName));

    /// <summary>The script for the default table, <c>public.vince_paper_bot_features</c>.</summary>
    public static string Sql => Script.Value;

    /// <summary>The script for another table in <c>public</c> (e.g. <see cref="SupabaseOptions.Table"/>).</summary>
    /// <param name="table">A lower-case identifier.</param>
    /// <returns>The script.</returns>
    /// <exception cref="ArgumentException"><paramref name="table"/> is not a lower-case identifier.</exception>
    public static string GetSql(string table = SupabaseOptions.DefaultTable) => GetSql(table, allowAnonWrites: false);

    /// <summary>
    /// The script for <paramref name="table"/>; with <paramref name="allowAnonWrites"/> it also grants the <c>anon</c> role
    /// select, insert and update and adds the row level security policies that let it upsert (for a sink that has only
    /// <c>SUPABASE_ANON_KEY</c>; anyone holding that key can then read and write the table).
    /// </summary>
    /// <param name="table">A lower-case identifier.</param>
    /// <param name="allowAnonWrites">Add the anon insert/update policies.</param>
    /// <returns>The script.</returns>
    /// <exception cref="ArgumentException"><paramref name="table"/> is not a lower-case identifier.</exception>
    public static string GetSql(string table, bool allowAnonWrites)
    {
        IReadOnlyList<string> errors = new SupabaseOptions { Table = table }.Validate();
        if (errors.Count > 0)
        {
            throw new ArgumentException(errors[0], nameof(table));
        }

        string sql = allowAnonWrites ? InsertBeforeReload(Script.Value, AnonWrites.Value) : Script.Value;
        return sql.Replace(SupabaseOptions.DefaultTable, table, StringComparison.Ordinal);
    }

    // The policies go before the closing schema reload, so PostgREST sees them with the table.
    private static string InsertBeforeReload(string script, string part)
    {
        const string Reload = "-- Make PostgREST see the table";
        int at = script.IndexOf(Reload, StringComparison.Ordinal);
        return at < 0 ? script + part : string.Concat(script.AsSpan(0, at), part.TrimStart('\n') + "\n", script.AsSpan(at));
    }

    /// <summary>Writes the script for <paramref name="table"/> to <paramref name="path"/> (e.g. to paste into the SQL editor).</summary>
    /// <param name="path">The file to write.</param>
    /// <param name="table">A lower-case identifier.</param>
    /// <param name="cancellationToken">Stops the write.</param>
    /// <returns>A task that completes when the file is written.</returns>
    public static Task WriteToFileAsync(string path, string table = SupabaseOptions.DefaultTable, CancellationToken cancellationToken = default)
        => File.WriteAllTextAsync(path, GetSql(table), cancellationToken);

    private static string Load(string resourceName)
    {
        using Stream stream = typeof(SupabaseBootstrap).Assembly.GetManifestResourceStream(resourceName)
            ?? throw new InvalidOperationException($"The embedded resource {resourceName} is missing from the assembly.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
