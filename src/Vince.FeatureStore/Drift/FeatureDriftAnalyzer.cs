using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Drift;

/// <summary>Measures the drift of recent records against a model set's <see cref="FeatureBins"/>.</summary>
internal static class FeatureDriftAnalyzer
{
    /// <summary>A lag column counts as stuck at 0 only when fewer than this share of its training values were 0.</summary>
    private const double StuckLagMaxTrainingZeros = 0.5;

    /// <summary>A column counts as missing only when at least this share of training records had it.</summary>
    private const double MissingMinTrainingPresence = 0.5;

    /// <summary>
    /// Reads <paramref name="records"/> (every record in decision-time order: the earlier ones feed the lag columns of the
    /// recent ones) and compares the window <paramref name="settings"/> names with the bins.
    /// </summary>
    public static async Task<FeatureDriftReport> AnalyzeAsync(FeatureBins bins, IAsyncEnumerable<FeatureRecord> records, FeatureDriftSettings settings, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(bins);
        ArgumentNullException.ThrowIfNull(records);
        ArgumentNullException.ThrowIfNull(settings);
        CompiledColumns columns = FeatureFlattener.Compile(bins.Columns.Select(c => c.Name).ToList());
        var history = new FeatureHistory();
        var window = new Queue<DriftRow>();
        long? since = settings.Since?.ToUnixTimeMilliseconds();
        await foreach (FeatureRecord record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            if (since is null || record.Timestamp >= since)
            {
                window.Enqueue(DriftRow.Of(columns, record, history));
                if (since is null && window.Count > settings.RecentRecords)
                {
                    window.Dequeue();
                }
            }

            history.Add(record);
        }

        return Compare(bins, window.ToList(), settings);
    }

    /// <summary>Reads the records of a data directory (the bot's own files) in decision-time order.</summary>
    public static IAsyncEnumerable<FeatureRecord> ReadLog(string dataDirectory, CancellationToken cancellationToken)
        => new FeatureLogReader(dataDirectory, new FeatureLogReaderOptions { RealOnly = true }).ReadRecordsAsync(cancellationToken: cancellationToken);

    /// <summary>The report for rows already built.</summary>
    public static FeatureDriftReport Compare(FeatureBins bins, IReadOnlyList<DriftRow> rows, FeatureDriftSettings settings)
    {
        bool verdict = rows.Count >= FeatureDriftReport.MinimumRecentRecords;
        var result = new List<ColumnDrift>(bins.Columns.Count);
        for (int i = 0; i < bins.Columns.Count; i++)
        {
            ColumnBins training = bins.Columns[i];
            float[] values = rows.Select(r => r.Values[i]).ToArray();
            double[] recent = DriftMath.Proportions(training, values);
            double psi = rows.Count == 0 ? 0 : DriftMath.Psi(training.Proportions, recent);
            double mean = DriftMath.MeanAndStdDev(values).Mean;
            double zeros = rows.Count == 0 ? 0 : values.Count(v => v == 0) / (double)rows.Count;
            double present = rows.Count == 0 ? 0 : rows.Count(r => r.Present[i]) / (double)rows.Count;
            ColumnDriftStatus status = !verdict ? ColumnDriftStatus.Stable
                : training.PresentFraction >= MissingMinTrainingPresence && present == 0 ? ColumnDriftStatus.Missing
                : training.IsLag && training.ZeroFraction < StuckLagMaxTrainingZeros && zeros == 1 ? ColumnDriftStatus.StuckAtZero
                : psi > settings.Threshold ? ColumnDriftStatus.Drifted
                : ColumnDriftStatus.Stable;
            result.Add(new ColumnDrift(training, recent, psi, mean, zeros, present, status));
        }

        return new FeatureDriftReport(settings, rows.Count, rows.Count == 0 ? null : rows[0].Timestamp, rows.Count == 0 ? null : rows[^1].Timestamp, result);
    }
}
