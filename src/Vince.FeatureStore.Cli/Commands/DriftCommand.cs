using System.Globalization;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Drift;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>drift</c>: the population stability index of each model input column, recent records against the training bins.</summary>
internal static class DriftCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "drift",
        Summary = "Compare the recent records with the model set's training distribution: PSI per input column, lag columns stuck at 0, columns missing. Exits 1 when a column drifted.",
        Details =
        [
            "The bins are fixed at training time and stored with the model set (feature_bins.json, written by the .NET trainer). Every record of the " +
            "data directory is read in decision-time order, so the recent records' lag columns come from the records before them, exactly as the " +
            "scorer computes them. A column is flagged when its PSI is above the threshold, when a lag column that was mostly non-zero in training " +
            "is 0 in every recent record, or when a column mostly present in training has no value in any recent record.",
            $"Fewer than {FeatureDriftReport.MinimumRecentRecords} recent records give no verdict (exit 0, with a warning). Exit codes: 0 no drift, 1 drift (or an error).",
        ],
        Options = [CommonOptions.Models, CommonOptions.Data, DriftWindowOptions.Threshold, DriftWindowOptions.Recent, DriftWindowOptions.Since, CommonOptions.Json],
        Examples =
        [
            "vince-features drift --models .elizadb/vince-paper-bot/models --data .elizadb/vince-paper-bot/features",
            "vince-features drift --since 24h --threshold 0.25 --json",
        ],
        Run = RunAsync,
    };

    /// <summary>Loads the model set's bins and measures the drift of the records <see cref="RecordSource"/> opens.</summary>
    /// <exception cref="CommandFailedException">The model set has no bins, or there are no records.</exception>
    public static async Task<FeatureDriftReport> AnalyzeAsync(CliContext context, string modelsDirectory, FeatureBins bins, IAsyncEnumerable<FeatureRecord> records, string source, FeatureDriftSettings settings, CancellationToken cancellationToken)
    {
        context.Info(settings.Since is { } since
            ? $"drift: records decided since {since:yyyy-MM-dd HH:mm:ss}Z from {source} against {bins.Columns.Count} column(s) of {modelsDirectory}"
            : $"drift: the newest {settings.RecentRecords} record(s) from {source} against {bins.Columns.Count} column(s) of {modelsDirectory}");
        FeatureDriftReport report = await FeatureDriftAnalyzer.AnalyzeAsync(bins, records, settings, cancellationToken).ConfigureAwait(false);
        if (!report.HasVerdict)
        {
            context.WriteError($"warning: {report.Describe()}");
        }

        return report;
    }

    /// <summary>The bins of the model set in <paramref name="modelsDirectory"/>.</summary>
    /// <exception cref="CommandFailedException">The set has no <c>feature_bins.json</c> or it is invalid.</exception>
    public static FeatureBins LoadBins(string modelsDirectory)
    {
        try
        {
            return FeatureBins.TryLoad(modelsDirectory)
                ?? throw new CommandFailedException($"{modelsDirectory} has no {FeatureBins.FileName}: the training bins are written by the .NET trainer (the default of vince-features train); a set trained by the Python script has none.");
        }
        catch (InvalidDataException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }
    }

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        FeatureDriftSettings settings = DriftWindowOptions.Settings(options, DateTimeOffset.UtcNow);
        string models = context.ModelsDirectory(options.Value(CommonOptions.Models.Name));
        FeatureBins bins = LoadBins(models);
        (IAsyncEnumerable<FeatureRecord> records, string source) = RecordSource.Open(context, options, required: true, cancellationToken)!.Value;
        FeatureDriftReport report = await AnalyzeAsync(context, models, bins, records, source, settings, cancellationToken).ConfigureAwait(false);
        if (report.RecentRecords == 0)
        {
            throw new CommandFailedException($"no recent record in {source}{(settings.Since is { } s ? $" since {s:O}" : "")}: nothing to compare with training.");
        }

        if (options.Flag(CommonOptions.Json.Name))
        {
            WriteJson(context.Out, models, source, report);
        }
        else
        {
            WriteText(context.Out, report);
        }

        return report.Alarms.Count > 0 ? VinceFeaturesCli.Failure : VinceFeaturesCli.Success;
    }

    /// <summary>Alarms first (worst PSI first), then the rest by PSI.</summary>
    private static IEnumerable<ColumnDrift> Ordered(FeatureDriftReport report)
        => report.Columns.OrderByDescending(c => c.IsAlarm).ThenByDescending(c => c.Psi).ThenBy(c => c.Name, StringComparer.Ordinal);

    private static void WriteText(TextWriter output, FeatureDriftReport report)
    {
        output.WriteLine(report.FirstTimestamp is { } first && report.LastTimestamp is { } last
            ? $"recent records: {Format.Count(report.RecentRecords)} ({Format.Time(first)} .. {Format.Time(last)}), PSI threshold {report.Settings.Threshold.ToString(CultureInfo.InvariantCulture)}"
            : $"recent records: 0, PSI threshold {report.Settings.Threshold.ToString(CultureInfo.InvariantCulture)}");
        output.WriteLine();
        TextTable.Write(output, "  ", ["column", "psi", "shift (sd)", "train mean", "recent mean", "recent zeros", "status"],
            Ordered(report).Select(c => new[]
            {
                c.Name,
                Fixed(c.Psi, "0.000"),
                Fixed(c.MeanShiftInStdDevs, "+0.00;-0.00;0.00"),
                Fixed(c.Training.Mean, "0.####"),
                Fixed(c.RecentMean, "0.####"),
                Fixed(c.RecentZeroFraction, "0%"),
                c.StatusName.Replace('_', ' '),
            }).ToList(),
            new HashSet<int> { 1, 2, 3, 4, 5 });
        output.WriteLine();
        output.WriteLine(report.Describe());
    }

    private static string Fixed(double value, string format) => value.ToString(format, CultureInfo.InvariantCulture);

    private static void WriteJson(TextWriter output, string models, string source, FeatureDriftReport report) => Format.Json(output, json =>
    {
        json.WriteStartObject();
        json.WriteString("modelsDirectory", models);
        json.WriteString("source", source);
        json.WriteNumber("threshold", report.Settings.Threshold);
        json.WriteNumber("recentRecords", report.RecentRecords);
        if (report.FirstTimestamp is { } first && report.LastTimestamp is { } last)
        {
            json.WriteString("firstDecisionAt", Format.Time(first));
            json.WriteString("lastDecisionAt", Format.Time(last));
        }

        json.WriteBoolean("verdict", report.HasVerdict);
        json.WriteBoolean("drift", report.Alarms.Count > 0);
        json.WriteStartArray("driftedColumns");
        foreach (ColumnDrift alarm in report.Alarms)
        {
            json.WriteStringValue(alarm.Name);
        }

        json.WriteEndArray();
        json.WriteStartArray("columns");
        foreach (ColumnDrift column in Ordered(report))
        {
            json.WriteStartObject();
            json.WriteString("name", column.Name);
            json.WriteString("status", column.StatusName);
            json.WriteNumberOrNull("psi", column.Psi);
            json.WriteNumberOrNull("meanShiftStdDevs", column.MeanShiftInStdDevs);
            json.WriteNumberOrNull("trainingMean", column.Training.Mean);
            json.WriteNumberOrNull("trainingStdDev", column.Training.StdDev);
            json.WriteNumberOrNull("recentMean", column.RecentMean);
            json.WriteNumberOrNull("recentZeroFraction", column.RecentZeroFraction);
            json.WriteNumberOrNull("recentPresentFraction", column.RecentPresentFraction);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });
}
