namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// The holdout rule both trainers' metrics and the quality gate share: which rows are held out and how the
/// signal-quality model is scored on them (ROC AUC).
/// </summary>
internal static class HoldoutEvaluation
{
    /// <summary>The holdout fraction of the Python script (<c>test_size=0.2</c>) and of the .NET trainer's default.</summary>
    public const double DefaultFraction = 0.2;

    /// <summary>
    /// The time-ordered split: the last <paramref name="holdoutFraction"/> of <paramref name="count"/> rows are held out,
    /// unless that leaves fewer than 10 training or 5 holdout rows (then everything trains and nothing is held out).
    /// </summary>
    /// <returns>The index of the first holdout row; <paramref name="count"/> when nothing is held out.</returns>
    public static int SplitIndex(int count, double holdoutFraction)
    {
        int split = (int)(count * (1 - holdoutFraction));
        return split < 10 || count - split < 5 ? count : split;
    }

    /// <summary>
    /// Area under the ROC curve (the Mann–Whitney statistic, ties counted half), or NaN when the labels hold one class.
    /// </summary>
    public static double RocAuc(IReadOnlyList<bool> labels, IReadOnlyList<double> scores)
    {
        int n = labels.Count;
        int[] order = Enumerable.Range(0, n).OrderBy(i => scores[i]).ToArray();
        double[] ranks = new double[n];
        for (int i = 0; i < n;)
        {
            int j = i;
            while (j + 1 < n && scores[order[j + 1]] == scores[order[i]])
            {
                j++;
            }

            double rank = ((i + j) / 2.0) + 1;
            for (int k = i; k <= j; k++)
            {
                ranks[order[k]] = rank;
            }

            i = j + 1;
        }

        long positives = labels.Count(l => l);
        long negatives = n - positives;
        if (positives == 0 || negatives == 0)
        {
            return double.NaN;
        }

        double positiveRankSum = 0;
        for (int i = 0; i < n; i++)
        {
            if (labels[i])
            {
                positiveRankSum += ranks[i];
            }
        }

        return (positiveRankSum - (positives * (positives + 1) / 2.0)) / (positives * (double)negatives);
    }
}
