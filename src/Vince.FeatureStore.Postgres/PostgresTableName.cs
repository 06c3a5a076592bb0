namespace Vince.FeatureStore.Postgres;

/// <summary>A validated, quoted schema-qualified table name and the names derived from it.</summary>
internal sealed class PostgresTableName
{
    public PostgresTableName(string schema, string table)
    {
        if (!IsValidIdentifier(schema))
        {
            throw new ArgumentException($"'{schema}' is not a valid schema name.", nameof(schema));
        }

        if (!IsValidIdentifier(table))
        {
            throw new ArgumentException($"'{table}' is not a valid table name.", nameof(table));
        }

        Schema = schema;
        Table = table;
        Qualified = Quote(schema) + "." + Quote(table);
        Display = schema + "." + table;
        CreatedAtIndex = Quote(IndexName(table, "_created_at_idx"));
        CompleteAssetIndex = Quote(IndexName(table, "_complete_asset_idx"));
    }

    public string Schema { get; }

    public string Table { get; }

    /// <summary><c>"schema"."table"</c>, ready for SQL.</summary>
    public string Qualified { get; }

    /// <summary><c>schema.table</c>, for messages.</summary>
    public string Display { get; }

    public string CreatedAtIndex { get; }

    public string CompleteAssetIndex { get; }

    public static bool IsValidIdentifier(string? name)
    {
        if (string.IsNullOrEmpty(name) || name.Length > 63 || char.IsAsciiDigit(name[0]))
        {
            return false;
        }

        foreach (char c in name)
        {
            if (!(char.IsAsciiLetterLower(c) || char.IsAsciiDigit(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    public static string Quote(string identifier) => "\"" + identifier.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string IndexName(string table, string suffix)
        => (table.Length + suffix.Length <= 63 ? table : table[..(63 - suffix.Length)]) + suffix;
}
