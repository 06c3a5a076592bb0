using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Evaluation;

/// <summary>The few statistics the trainer reports, each defined as scikit-learn / NumPy define it.</summary>
internal static class Statistics
{
    /// <summary>The <paramref name="q"/> quantile with linear interpolation between order statistics (NumPy's default).</summary>
    public static double Quantile(IReadOnlyList<double> values, double q)
    {
        if (values.Count == 0)
        {
            return double.NaN;
        }

        double[] sorted = values.Order().ToArray();
        double position = q * (sorted.Length - 1);
        int lower = (int)Math.Floor(position);
        int upper = Math.Min(lower + 1, sorted.Length - 1);
        return sorted[lower] + ((position - lower) * (sorted[upper] - sorted[lower]));
    }

    /// <summary>Pearson correlation; NaN when either side is constant or there are fewer than two pairs.</summary>
    public static double Pearson(IReadOnlyList<(double X, double Y)> pairs)
    {
        if (pairs.Count < 2)
        {
            return double.NaN;
        }

        double meanX = pairs.Average(p => p.X);
        double meanY = pairs.Average(p => p.Y);
        double sxy = 0, sxx = 0, syy = 0;
        foreach ((double x, double y) in pairs)
        {
            sxy += (x - meanX) * (y - meanY);
            sxx += (x - meanX) * (x - meanX);
            syy += (y - meanY) * (y - meanY);
        }

        return sxx == 0 || syy == 0 ? double.NaN : sxy / Math.Sqrt(sxx * syy);
    }

    /// <summary>Area under the ROC curve, or NaN when the labels hold one class (<see cref="HoldoutEvaluation.RocAuc"/>: one rule for the metrics and the quality gate).</summary>
    public static double RocAuc(IReadOnlyList<bool> labels, IReadOnlyList<double> scores) => HoldoutEvaluation.RocAuc(labels, scores);

    /// <summary>
    /// The ROC curve of "score ≥ t" for every distinct score t, highest first, from (0, 0) to (1, 1); tied scores make
    /// one step (the diagonal segment whose area <see cref="RocAuc"/> counts half). Empty when the labels hold one class.
    /// </summary>
    public static List<(double FalsePositiveRate, double TruePositiveRate)> RocCurve(IReadOnlyList<bool> labels, IReadOnlyList<double> scores)
    {
        int positives = labels.Count(l => l);
        int negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return [];
        }

        int[] order = Enumerable.Range(0, labels.Count).OrderByDescending(i => scores[i]).ToArray();
        var points = new List<(double, double)> { (0, 0) };
        int tp = 0, fp = 0;
        for (int k = 0; k < order.Length; k++)
        {
            tp += labels[order[k]] ? 1 : 0;
            fp += labels[order[k]] ? 0 : 1;
            if (k + 1 == order.Length || scores[order[k + 1]] != scores[order[k]])
            {
                points.Add((fp / (double)negatives, tp / (double)positives));
            }
        }

        return points;
    }

    /// <summary>
    /// A reliability table: <paramref name="bins"/> equal-width probability bins over [0, 1] (1 falls in the last), each with
    /// its row count, mean probability and observed positive rate; empty bins are left out.
    /// </summary>
    public static List<(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate)> Reliability(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels, int bins = 10)
    {
        var table = new List<(double, double, int, double, double)>();
        for (int b = 0; b < bins; b++)
        {
            double lower = b / (double)bins;
            double upper = (b + 1) / (double)bins;
            var members = Enumerable.Range(0, probabilities.Count)
                .Where(i => probabilities[i] >= lower && (probabilities[i] < upper || (b == bins - 1 && probabilities[i] <= upper)))
                .ToList();
            if (members.Count > 0)
            {
                table.Add((lower, upper, members.Count, members.Average(i => probabilities[i]), members.Count(i => labels[i]) / (double)members.Count));
            }
        }

        return table;
    }

    /// <summary>Mean negative log-likelihood of the true class; probabilities are clipped to [1e−15, 1 − 1e−15] like scikit-learn's.</summary>
    public static double LogLoss(IReadOnlyList<double> probabilityOfTrueClass)
    {
        if (probabilityOfTrueClass.Count == 0)
        {
            return double.NaN;
        }

        const double Epsilon = 1e-15;
        return probabilityOfTrueClass.Average(p => -Math.Log(Math.Clamp(p, Epsilon, 1 - Epsilon)));
    }

    /// <summary>The pinball (quantile) loss at <paramref name="quantile"/>: under-prediction costs q, over-prediction 1 − q.</summary>
    public static double PinballLoss(IReadOnlyList<double> labels, IReadOnlyList<double> predictions, double quantile)
    {
        double sum = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            double error = labels[i] - predictions[i];
            sum += error >= 0 ? quantile * error : (quantile - 1) * error;
        }

        return labels.Count == 0 ? double.NaN : sum / labels.Count;
    }

    /// <summary>Mean absolute error.</summary>
    public static double MeanAbsoluteError(IReadOnlyList<double> labels, IReadOnlyList<double> predictions)
    {
        double sum = 0;
        for (int i = 0; i < labels.Count; i++)
        {
            sum += Math.Abs(labels[i] - predictions[i]);
        }

        return labels.Count == 0 ? double.NaN : sum / labels.Count;
    }

    /// <summary>The Platt-calibrated probability <c>1 / (1 + exp(−(scale · p + intercept)))</c>.</summary>
    public static double ApplyPlatt((double Scale, double Intercept) calibration, double probability)
        => 1 / (1 + Math.Exp(-((calibration.Scale * probability) + calibration.Intercept)));

    /// <summary>
    /// Platt scaling: fits <c>P(y = 1 | p) = 1 / (1 + exp(−(scale · p + intercept)))</c> by Newton's method on the
    /// log-likelihood, with Platt's (1999) smoothed targets (N₊ + 1)/(N₊ + 2) and 1/(N₋ + 2) so that a holdout the
    /// model separates perfectly still gives finite parameters. Null without both classes.
    /// </summary>
    public static (double Scale, double Intercept)? FitPlatt(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        int positives = labels.Count(l => l);
        int negatives = labels.Count - positives;
        if (positives == 0 || negatives == 0)
        {
            return null;
        }

        double high = (positives + 1.0) / (positives + 2.0);
        double low = 1.0 / (negatives + 2.0);
        double a = 0, b = Math.Log((positives + 1.0) / (negatives + 1.0));
        for (int iteration = 0; iteration < 100; iteration++)
        {
            // Gradient and Hessian of the negative log-likelihood in (a, b).
            double ga = 0, gb = 0, haa = 0, hab = 0, hbb = 0;
            for (int i = 0; i < labels.Count; i++)
            {
                double x = probabilities[i];
                double p = 1 / (1 + Math.Exp(-((a * x) + b)));
                double t = labels[i] ? high : low;
                double d = p - t;
                double w = Math.Max(p * (1 - p), 1e-12);
                ga += d * x;
                gb += d;
                haa += w * x * x;
                hab += w * x;
                hbb += w;
            }

            haa += 1e-12;
            hbb += 1e-12;
            double det = (haa * hbb) - (hab * hab);
            if (Math.Abs(det) < 1e-18)
            {
                break;
            }

            double da = ((hbb * ga) - (hab * gb)) / det;
            double db = ((haa * gb) - (hab * ga)) / det;
            a -= da;
            b -= db;
            if (Math.Abs(da) < 1e-10 && Math.Abs(db) < 1e-10)
            {
                break;
            }
        }

        return double.IsFinite(a) && double.IsFinite(b) ? (a, b) : null;
    }

    /// <summary>
    /// The threshold in 0.30, 0.31 … 0.80 with the best F1 of "probability ≥ threshold" against the labels (the later
    /// of equal ones, as the script's sweep keeps), rounded to two decimals.
    /// </summary>
    public static double BestF1Threshold(IReadOnlyList<double> probabilities, IReadOnlyList<bool> labels)
    {
        double best = 0.5, bestF1 = 0;
        for (int step = 0; step <= 50; step++)
        {
            double threshold = Math.Round(0.30 + (step * 0.01), 2);
            int tp = 0, fp = 0, fn = 0;
            for (int i = 0; i < labels.Count; i++)
            {
                bool predicted = probabilities[i] >= threshold;
                tp += predicted && labels[i] ? 1 : 0;
                fp += predicted && !labels[i] ? 1 : 0;
                fn += !predicted && labels[i] ? 1 : 0;
            }

            double f1 = tp == 0 ? 0 : 2.0 * tp / ((2.0 * tp) + fp + fn);
            if (f1 >= bestF1)
            {
                (best, bestF1) = (threshold, f1);
            }
        }

        return best;
    }
}
