using System.Buffers;

namespace Vince.FeatureStore.Flattening;

/// <summary>
/// An ordered list of column names compiled once into accessors. <see cref="Fill"/> writes a model input
/// vector without allocating; <see cref="GetValue"/> returns the same value with its kind, for export.
/// Training export and scoring both read columns through this type, so they cannot disagree.
/// </summary>
public sealed class CompiledColumns
{
    // An unknown name has no rule (Read is null) and reads as missing.
    private readonly ColumnRule[] _rules;
    private readonly FillPlan _plan;

    internal CompiledColumns(IReadOnlyList<string> names)
    {
        Names = names.ToArray();
        _rules = new ColumnRule[Names.Count];
        var unknown = new List<string>();
        for (int i = 0; i < Names.Count; i++)
        {
            if (FeatureSchema.Resolve(Names[i]) is { } rule)
            {
                _rules[i] = rule;
                ReadsHistory |= rule.ReadsHistory;
            }
            else
            {
                unknown.Add(Names[i]);
            }
        }

        UnknownNames = unknown;
        _plan = new FillPlan(_rules);
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
    [System.Runtime.CompilerServices.SkipLocalsInit] // the plan writes every slot before it is read
    public void Fill(FeatureRecord record, FeatureHistory? history, Span<float> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        CheckWidth(destination.Length, nameof(destination));

        const int MaxStackSlots = 256;
        double[]? rented = _plan.SlotCount > MaxStackSlots ? ArrayPool<double>.Shared.Rent(_plan.SlotCount) : null;
        Span<double> numbers = rented is null ? stackalloc double[_plan.SlotCount] : rented;
        RunPlan(record, history, numbers);
        for (int i = 0; i < _rules.Length; i++)
        {
            destination[i] = (float)ModelInput(numbers[i]);
        }

        if (rented is not null)
        {
            ArrayPool<double>.Shared.Return(rented);
        }
    }

    /// <summary>The model inputs <see cref="Fill"/> writes, before the narrowing to float: the training export's numeric rows.</summary>
    internal void FillModelInputs(FeatureRecord record, FeatureHistory? history, Span<double> destination)
    {
        ArgumentNullException.ThrowIfNull(record);
        CheckWidth(destination.Length, nameof(destination));

        double[] numbers = ArrayPool<double>.Shared.Rent(_plan.SlotCount);
        RunPlan(record, history, numbers);
        for (int i = 0; i < _rules.Length; i++)
        {
            destination[i] = ModelInput(numbers[i]);
        }

        ArrayPool<double>.Shared.Return(numbers);
    }

    private void CheckWidth(int destinationLength, string paramName)
    {
        if (destinationLength < _rules.Length)
        {
            throw new ArgumentException($"The destination holds {destinationLength} values; {_rules.Length} columns need filling.", paramName);
        }
    }

    // A model input is a finite number; NaN (missing or text) and infinities are 0, as FeatureValue.ToModelInput.
    private static double ModelInput(double number) => double.IsFinite(number) ? number : 0;

    private void RunPlan(FeatureRecord record, FeatureHistory? history, Span<double> numbers)
    {
        // The asset's earlier records are looked up once for the row, not once per lag column.
        EarlierRecords earlier = ReadsHistory && history is not null ? history.Earlier(record.Asset ?? "") : default;
        _plan.Run(record, earlier, numbers);
    }

    /// <summary>The value of column <paramref name="column"/> for <paramref name="record"/>.</summary>
    /// <param name="column">Index into <see cref="Names"/>.</param>
    /// <param name="record">The record.</param>
    /// <param name="history">Earlier records for lag columns.</param>
    /// <returns>The value (missing for unknown names).</returns>
    public FeatureValue GetValue(int column, FeatureRecord record, FeatureHistory? history)
    {
        ArgumentNullException.ThrowIfNull(record);
        ref readonly ColumnRule rule = ref _rules[column];
        ColumnAccessor? read = rule.Read;
        if (read is null)
        {
            return FeatureValue.Missing;
        }

        if (rule.Lag > 0)
        {
            return history?.Previous(record.Asset ?? "", rule.Lag) is { } lagged ? read(lagged, numericOnly: false) : FeatureValue.Missing;
        }

        if (!rule.IsRollingMean)
        {
            return read(record, numericOnly: false);
        }

        double sum = 0;
        int count = 0;
        for (int lag = 1; history is not null && lag <= FeatureHistory.Depth; lag++)
        {
            if (history.Previous(record.Asset ?? "", lag) is { } previous && read(previous, numericOnly: true).NumberOrNaN is var number && !double.IsNaN(number))
            {
                sum += number;
                count++;
            }
        }

        return FeatureValue.Of(FillPlan.MeanOf(sum, count)); // NaN is missing
    }
}
