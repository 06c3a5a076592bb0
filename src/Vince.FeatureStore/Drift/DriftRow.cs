using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Drift;

/// <summary>One record's values of the drift columns: the model input (as <see cref="CompiledColumns.Fill"/> writes it) and whether each column had a value.</summary>
internal sealed record DriftRow(long Timestamp, float[] Values, bool[] Present)
{
    /// <summary>The row of <paramref name="record"/>, with lags from <paramref name="history"/> (the earlier records, not this one).</summary>
    public static DriftRow Of(CompiledColumns columns, FeatureRecord record, FeatureHistory history)
    {
        float[] values = new float[columns.Count];
        columns.Fill(record, history, values);
        bool[] present = new bool[columns.Count];
        for (int i = 0; i < present.Length; i++)
        {
            present[i] = columns.GetValue(i, record, history).HasValue;
        }

        return new DriftRow(record.Timestamp, values, present);
    }
}
