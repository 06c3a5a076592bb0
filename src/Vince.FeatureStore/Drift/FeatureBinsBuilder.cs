using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Drift;

/// <summary>
/// Builds <see cref="FeatureBins"/> from the records a trainer reads: every record in decision-time order, each with
/// the per-asset history of the records before it (the values the models were trained and are scored on).
/// </summary>
internal sealed class FeatureBinsBuilder
{
    /// <summary>Bins per column at most: the edges are the deciles of the reference values.</summary>
    public const int MaxBins = 10;

    private readonly CompiledColumns _columns;
    private readonly List<float>[] _values;
    private readonly int[] _present;

    /// <summary>Creates a builder for the union of the models' input columns.</summary>
    /// <param name="columns">Column names; each name is kept once, in first-seen order.</param>
    public FeatureBinsBuilder(IEnumerable<string> columns)
    {
        ArgumentNullException.ThrowIfNull(columns);
        _columns = FeatureFlattener.Compile(columns.Distinct(StringComparer.Ordinal).ToList());
        _values = _columns.Names.Select(_ => new List<float>()).ToArray();
        _present = new int[_columns.Count];
    }

    /// <summary>Reference records added so far.</summary>
    public int Count { get; private set; }

    /// <summary>Adds one record; <paramref name="history"/> holds the records before it (add the record to it afterwards).</summary>
    public void Add(FeatureRecord record, FeatureHistory history)
    {
        DriftRow row = DriftRow.Of(_columns, record, history);
        for (int i = 0; i < _columns.Count; i++)
        {
            _values[i].Add(row.Values[i]);
            _present[i] += row.Present[i] ? 1 : 0;
        }

        Count++;
    }

    /// <summary>The bins of every column.</summary>
    /// <exception cref="InvalidOperationException">No record was added.</exception>
    public FeatureBins Build()
    {
        if (Count == 0)
        {
            throw new InvalidOperationException("Feature bins need at least one reference record.");
        }

        var columns = new List<ColumnBins>(_columns.Count);
        for (int i = 0; i < _columns.Count; i++)
        {
            float[] sorted = _values[i].ToArray();
            Array.Sort(sorted);
            double[] edges = Enumerable.Range(1, MaxBins - 1)
                .Select(k => (double)sorted[(int)((long)k * (sorted.Length - 1) / MaxBins)])
                .Distinct()
                .ToArray();
            var bins = new ColumnBins(_columns.Names[i], edges, [], Count, 0, 0, 0, 0, FeatureSchema.IsLagColumn(_columns.Names[i]));
            double[] proportions = DriftMath.Proportions(bins, sorted);
            (double mean, double std) = DriftMath.MeanAndStdDev(sorted);
            columns.Add(bins with
            {
                Proportions = proportions,
                Mean = mean,
                StdDev = std,
                ZeroFraction = sorted.Count(v => v == 0) / (double)Count,
                PresentFraction = _present[i] / (double)Count,
            });
        }

        return new FeatureBins { Records = Count, Columns = columns };
    }
}
