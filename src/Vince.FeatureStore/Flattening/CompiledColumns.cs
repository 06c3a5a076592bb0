namespace Vince.FeatureStore.Flattening;

/// <summary>
/// An ordered list of column names compiled once into accessors. <see cref="Fill"/> writes a model input
/// vector without allocating; <see cref="GetValue"/> returns the same value with its kind, for export.
/// Training export and scoring both read columns through this type, so they cannot disagree.
/// </summary>
public sealed class CompiledColumns
{
    private readonly ColumnAccessor?[] _accessors;

    internal CompiledColumns(IReadOnlyList<string> names)
    {
        Names = names.ToArray();
        _accessors = new ColumnAccessor?[Names.Count];
        var unknown = new List<string>();
        for (int i = 0; i < Names.Count; i++)
        {
            _accessors[i] = FeatureSchema.Resolve(Names[i]);
            if (_accessors[i] is null)
            {
                unknown.Add(Names[i]);
            }
            else if (FeatureSchema.IsLagColumn(Names[i]))
            {
                ReadsHistory = true;
            }
        }

        UnknownNames = unknown;
    }

    /// <summary>The column names, in order.</summary>
    public IReadOnlyList<string> Names { get; }

    /// <summary>Names no flattening rule produces; they read as missing (0 in a model input).</summary>
    public IReadOnlyList<string> UnknownNames { get; }

    /// <summary>Whether some column is a lag or rolling column, read from the earlier records of the asset (a <see cref="FeatureHistory"/>).</summary>
    public bool ReadsHistory { get; }

    /// <summary>
    /// Whether scoring <paramref name="record"/> with these columns misses some lag: they read the history and it holds
    /// fewer than <see cref="FeatureHistory.Depth"/> earlier records of the asset (a cold start, or the asset's first records).
    /// </summary>
    /// <param name="record">The record to score.</param>
    /// <param name="history">The history it is scored with.</param>
    /// <returns><see langword="true"/> when a lag is missing.</returns>
    public bool HasColdLags(FeatureRecord record, FeatureHistory? history)
    {
        ArgumentNullException.ThrowIfNull(record);
        return ReadsHistory && (history is null || history.CountOf(record.Asset ?? "") < FeatureHistory.Depth);
    }

    /// <summary>Number of columns.</summary>
    public int Count => Names.Count;

    /// <summary>
    /// Writes the model input of <paramref name="record"/>: numbers as they are, booleans 1/0, anything
    /// missing or non-numeric 0. Lag columns read <paramref name="history"/> (the earlier records of each
    /// asset, not including this one). Does not allocate.
    /// </summary>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records for lag columns; lags are missing when <see langword="null"/>.</param>
    /// <param name="destination">At least <see cref="Count"/> elements.</param>
    public void Fill(FeatureRecord record, FeatureHistory? history, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        if (destination.Length < _accessors.Length)
        {
            throw new ArgumentException($"The destination holds {destination.Length} values; {_accessors.Length} columns need filling.", nameof(destination));
        }

        for (int i = 0; i < _accessors.Length; i++)
        {
            destination[i] = _accessors[i] is { } accessor ? (float)accessor(record, history, numericOnly: true).ToModelInput() : 0f;
        }
    }

    /// <summary>The value of column <paramref name="column"/> for <paramref name="record"/>.</summary>
    /// <param name="column">Index into <see cref="Names"/>.</param>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records for lag columns.</param>
    /// <returns>The value (missing for unknown names).</returns>
    public FeatureValue GetValue(int column, FeatureRecord record, FeatureHistory? history)
    {
        ArgumentNullException.ThrowIfNull(record);
        return _accessors[column] is { } accessor ? accessor(record, history, numericOnly: false) : FeatureValue.Missing;
    }
}
