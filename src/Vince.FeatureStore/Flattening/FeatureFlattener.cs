namespace Vince.FeatureStore.Flattening;

/// <summary>
/// Turns nested feature records into the named training columns of the Python training script
/// (FORMATS.md §6): <c>market.k</c> → <c>market_k</c>, <c>execution.k</c> → <c>exec_k</c>,
/// <c>labels.k</c> → <c>label_k</c>, the derived columns, asset dummies and per-asset lag columns.
/// </summary>
/// <remarks>
/// Column names are resolved by rule, not from a hand-written table per model: a key added to the record
/// (even one only in <c>ExtensionData</c>) is a column under the same rule with no code change.
/// </remarks>
public static class FeatureFlattener
{
    /// <summary>
    /// Every column the record has on its own, in a stable order: <c>id</c>, <c>timestamp</c>, <c>asset</c>,
    /// the section columns (nulls, lists and objects left out), <c>signal_source_count</c>,
    /// <c>signal_avg_sentiment</c>, <c>news_avg_sentiment</c>, the label fallbacks, <c>wtt_*</c> and the derived
    /// columns. Asset dummies and lag columns depend on other records and are not included.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <returns>Column names and values.</returns>
    public static IReadOnlyList<KeyValuePair<string, FeatureValue>> Flatten(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        var columns = new List<KeyValuePair<string, FeatureValue>>(96);
        FeatureSchema.AddPresent(record, columns);
        return columns;
    }

    /// <summary>Compiles an ordered column list (e.g. <c>signal_quality_feature_names</c>) into accessors.</summary>
    /// <param name="columns">Column names; names no rule produces read as missing and are listed in <see cref="CompiledColumns.UnknownNames"/>.</param>
    /// <returns>The compiled columns.</returns>
    public static CompiledColumns Compile(IReadOnlyList<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        return new CompiledColumns(columns);
    }

    /// <summary>True when some flattening rule produces the column name.</summary>
    /// <param name="column">A column name.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool IsKnownColumn(string column)
    {
        ArgumentNullException.ThrowIfNull(column);
        return FeatureSchema.Resolve(column) is not null;
    }
}
