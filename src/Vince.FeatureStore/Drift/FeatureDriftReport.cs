namespace Vince.FeatureStore.Drift;

/// <summary>What is wrong with a column's live values, if anything.</summary>
internal enum ColumnDriftStatus
{
    /// <summary>Distributed as in training.</summary>
    Stable,

    /// <summary>The PSI passed the threshold.</summary>
    Drifted,

    /// <summary>A lag column that was mostly non-zero in training is 0 in every recent record (the history feeding it is lost).</summary>
    StuckAtZero,

    /// <summary>A column mostly present in training has no value in any recent record.</summary>
    Missing,
}

/// <summary>One column's drift: its bins, both distributions, the PSI and the verdict.</summary>
internal sealed record ColumnDrift(
    ColumnBins Training, IReadOnlyList<double> RecentProportions, double Psi, double RecentMean, double RecentZeroFraction, double RecentPresentFraction, ColumnDriftStatus Status)
{
    public string Name => Training.Name;

    /// <summary>How far the recent mean moved, in training standard deviations (0 when the training values are constant).</summary>
    public double MeanShiftInStdDevs => Training.StdDev > 0 ? (RecentMean - Training.Mean) / Training.StdDev : 0;

    public bool IsAlarm => Status != ColumnDriftStatus.Stable;

    /// <summary>The status as the CLI's JSON and the health check's data spell it.</summary>
    public string StatusName => Status switch
    {
        ColumnDriftStatus.Drifted => "drifted",
        ColumnDriftStatus.StuckAtZero => "stuck_at_zero",
        ColumnDriftStatus.Missing => "missing",
        _ => "stable",
    };
}

/// <summary>The drift of every column of a model set's bins over a window of recent records.</summary>
internal sealed record FeatureDriftReport(FeatureDriftSettings Settings, int RecentRecords, long? FirstTimestamp, long? LastTimestamp, IReadOnlyList<ColumnDrift> Columns)
{
    /// <summary>Fewer recent records than this give no verdict: with a handful of records every PSI is noise.</summary>
    public const int MinimumRecentRecords = 30;

    /// <summary>True when there were enough recent records for a verdict.</summary>
    public bool HasVerdict => RecentRecords >= MinimumRecentRecords;

    /// <summary>The columns with an alarm (drifted, stuck at 0 or missing), worst PSI first.</summary>
    public IReadOnlyList<ColumnDrift> Alarms => Columns.Where(c => c.IsAlarm).OrderByDescending(c => c.Psi).ToList();

    /// <summary>One line naming the alarmed columns, for a health check or a log event.</summary>
    public string Describe()
    {
        IReadOnlyList<ColumnDrift> alarms = Alarms;
        if (alarms.Count == 0)
        {
            return HasVerdict
                ? FormattableString.Invariant($"No feature drift over the last {RecentRecords} record(s): every PSI is at most {Settings.Threshold:0.###}.")
                : FormattableString.Invariant($"Too few recent records for a drift verdict ({RecentRecords}, at least {MinimumRecentRecords} needed).");
        }

        return FormattableString.Invariant($"Feature drift over the last {RecentRecords} record(s) in {alarms.Count} column(s): ")
            + string.Join(", ", alarms.Select(a => a.Status == ColumnDriftStatus.Drifted
                ? FormattableString.Invariant($"{a.Name} (PSI {a.Psi:0.00})")
                : $"{a.Name} ({a.StatusName.Replace('_', ' ')})"));
    }
}

/// <summary>How drift is judged: the PSI threshold and the window of recent records.</summary>
internal sealed record FeatureDriftSettings
{
    /// <summary>The PSI above which a column has drifted: 0.2, the common "significant shift" line.</summary>
    public const double DefaultThreshold = 0.2;

    /// <summary>The newest records compared with training by default.</summary>
    public const int DefaultRecentRecords = 500;

    public double Threshold { get; init; } = DefaultThreshold;

    /// <summary>The newest this many records; ignored when <see cref="Since"/> is set.</summary>
    public int RecentRecords { get; init; } = DefaultRecentRecords;

    /// <summary>Instead of a count: every record decided at or after this time.</summary>
    public DateTimeOffset? Since { get; init; }
}
