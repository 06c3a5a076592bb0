using System.Globalization;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Parity;

/// <summary>One served value that the recomputation does not reproduce.</summary>
internal sealed record ServedDifference(string RecordId, string Model, string Field, string Served, string Recomputed);

/// <summary>What <c>parity --served</c> found.</summary>
internal sealed class ServedParityReport
{
    /// <summary>The first differences (as many as asked to list).</summary>
    public List<ServedDifference> Differences { get; } = [];

    /// <summary>Scores whose model (by SHA-256) the given sets do not hold, by that SHA-256.</summary>
    public SortedDictionary<string, int> NotAvailable { get; } = new(StringComparer.Ordinal);

    public int RecordsRead { get; set; }

    public int RecordsWithServedScores { get; set; }

    public int RecordsCompared { get; set; }

    public int ScoresCompared { get; set; }

    /// <summary>Served scores that were computed with a missing lag (<c>coldLags</c>).</summary>
    public int ColdHistoryScores { get; set; }

    public int RecordsWithColdHistory { get; set; }

    public long DifferenceCount { get; set; }

    public int RecordsWithDifferences { get; set; }

    public int NotAvailableScores => NotAvailable.Values.Sum();

    /// <summary>Every served score was recomputed and reproduced.</summary>
    public bool Passed => DifferenceCount == 0 && NotAvailableScores == 0;
}

/// <summary>
/// Serving parity: every record of the log that keeps served scores (<c>ml.&lt;model&gt;</c>) is scored again with the
/// model its <c>sha256</c> names, against the history serving had — every earlier record by <see cref="FeatureHistory"/>'s
/// rule, in decision-time order, the record scored before it is added — and the served value, calibrated value,
/// input hash and cold flag must come out again.
/// </summary>
internal static class ServedParityChecker
{
    /// <param name="records">Every record of the log, latest version per id, in decision-time order.</param>
    /// <param name="models">The scorers available, by their ONNX file's SHA-256.</param>
    /// <param name="tolerance">The largest difference of a value accepted, relative to the value (absolute below 1).</param>
    /// <param name="maxListed">How many differences to keep for printing (all are counted).</param>
    /// <param name="progress">Records read so far.</param>
    /// <param name="cancellationToken">Stops the check.</param>
    public static async Task<ServedParityReport> RunAsync(
        IAsyncEnumerable<FeatureRecord> records, IReadOnlyDictionary<string, OnnxModelScorer> models, double tolerance, int maxListed,
        Action<int>? progress, CancellationToken cancellationToken)
    {
        var report = new ServedParityReport();
        var history = new FeatureHistory();
        await foreach (FeatureRecord record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            report.RecordsRead++;
            IReadOnlyList<ServedEntry> served = ServedJson.Read(record);
            if (served.Count > 0)
            {
                Compare(record, served, history, models, tolerance, maxListed, report);
            }

            history.Add(record); // after scoring: serving scored the decision before recording it
            if (report.RecordsRead % 1000 == 0)
            {
                progress?.Invoke(report.RecordsRead);
            }
        }

        return report;
    }

    private static void Compare(
        FeatureRecord record, IReadOnlyList<ServedEntry> served, FeatureHistory history, IReadOnlyDictionary<string, OnnxModelScorer> models,
        double tolerance, int maxListed, ServedParityReport report)
    {
        report.RecordsWithServedScores++;
        long differencesBefore = report.DifferenceCount;
        bool compared = false;
        bool cold = false;
        foreach (ServedEntry entry in served)
        {
            cold |= entry.ColdLags;
            report.ColdHistoryScores += entry.ColdLags ? 1 : 0;
            if (!models.TryGetValue(entry.Sha256, out OnnxModelScorer? scorer))
            {
                string key = entry.Sha256.Length == 0 ? "(no sha256)" : entry.Sha256;
                report.NotAvailable[key] = report.NotAvailable.GetValueOrDefault(key) + 1;
                continue;
            }

            compared = true;
            report.ScoresCompared++;
            ModelScore score = scorer.Score(record, history);
            void Differ(string field, string servedText, string recomputed)
            {
                report.DifferenceCount++;
                if (report.Differences.Count < maxListed)
                {
                    report.Differences.Add(new ServedDifference(record.Id, entry.Model, field, servedText, recomputed));
                }
            }

            if (!string.Equals(entry.Model, scorer.Name, StringComparison.Ordinal))
            {
                Differ("model", entry.Model, scorer.Name);
            }

            if (!Close(entry.Value, score.ModelValue, tolerance))
            {
                Differ("value", Text(entry.Value), Text(score.ModelValue));
            }

            double? calibrated = scorer.IsCalibrated ? score.Value : null;
            if (entry.Calibrated is { } a && calibrated is { } b ? !Close(a, b, tolerance) : entry.Calibrated.HasValue != calibrated.HasValue)
            {
                Differ("calibrated", Text(entry.Calibrated), Text(calibrated));
            }

            if (!string.Equals(entry.InputHash, score.InputHashText, StringComparison.Ordinal))
            {
                Differ("inputHash", entry.InputHash, score.InputHashText);
            }

            if (entry.ColdLags != score.ColdLags)
            {
                Differ("coldLags", Text(entry.ColdLags), Text(score.ColdLags));
            }
        }

        report.RecordsCompared += compared ? 1 : 0;
        report.RecordsWithColdHistory += cold ? 1 : 0;
        report.RecordsWithDifferences += report.DifferenceCount > differencesBefore ? 1 : 0;
    }

    private static bool Close(double served, double recomputed, double tolerance)
        => Math.Abs(served - recomputed) <= tolerance * Math.Max(1, Math.Abs(served));

    private static string Text(double? value) => value is { } v ? v.ToString("R", CultureInfo.InvariantCulture) : "none";

    private static string Text(bool value) => value ? "true" : "false";
}
