namespace Vince.FeatureStore.Drift;

/// <summary>The population stability index and the few statistics around it.</summary>
internal static class DriftMath
{
    /// <summary>
    /// The share an empty bin counts as: without it a bin empty on one side makes the PSI infinite. 1e-4 is the usual
    /// choice and caps one empty bin's term at about 0.0009 + share × 9.2.
    /// </summary>
    public const double EmptyBinShare = 1e-4;

    /// <summary>The share of <paramref name="values"/> in each bin of <paramref name="bins"/>.</summary>
    public static double[] Proportions(ColumnBins bins, IReadOnlyCollection<float> values)
    {
        double[] counts = new double[bins.Edges.Count + 1];
        foreach (float value in values)
        {
            counts[bins.BinOf(value)]++;
        }

        if (values.Count > 0)
        {
            for (int i = 0; i < counts.Length; i++)
            {
                counts[i] /= values.Count;
            }
        }

        return counts;
    }

    /// <summary>PSI = Σ (actual − expected) · ln(actual / expected) over the bins, empty bins counted as <see cref="EmptyBinShare"/>.</summary>
    public static double Psi(IReadOnlyList<double> expected, IReadOnlyList<double> actual)
    {
        if (expected.Count != actual.Count)
        {
            throw new ArgumentException($"The distributions have {expected.Count} and {actual.Count} bins.", nameof(actual));
        }

        double psi = 0;
        for (int i = 0; i < expected.Count; i++)
        {
            double e = Math.Max(expected[i], EmptyBinShare);
            double a = Math.Max(actual[i], EmptyBinShare);
            psi += (a - e) * Math.Log(a / e);
        }

        return psi;
    }

    /// <summary>Mean and population standard deviation; (0, 0) for no values.</summary>
    public static (double Mean, double StdDev) MeanAndStdDev(IReadOnlyCollection<float> values)
    {
        if (values.Count == 0)
        {
            return (0, 0);
        }

        double mean = values.Average(v => (double)v);
        double variance = values.Average(v => (v - mean) * (v - mean));
        return (mean, Math.Sqrt(variance));
    }
}
