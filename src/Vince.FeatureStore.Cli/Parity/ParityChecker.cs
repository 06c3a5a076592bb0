using System.Globalization;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Parity;

/// <summary>One value the scorer feeds differently from the training row.</summary>
internal sealed record ParityMismatch(string RecordId, string Column, int Position, string ExportValue, string ScorerValue);

/// <summary>What a parity check found.</summary>
internal sealed class ParityReport
{
    public required IReadOnlyList<string> ModelColumns { get; init; }

    public required IReadOnlyList<string> ExportColumns { get; init; }

    /// <summary>Problems with the columns themselves (missing, unknown, order) or with the rows' alignment; each fails the check.</summary>
    public List<string> Problems { get; } = [];

    /// <summary>Export columns the model does not take (not a failure: a new training would add them).</summary>
    public required IReadOnlyList<string> ExportOnlyColumns { get; init; }

    /// <summary>The first mismatches (as many as asked to list).</summary>
    public List<ParityMismatch> Mismatches { get; } = [];

    public long MismatchCount { get; set; }

    public int RecordsWithMismatches { get; set; }

    public int RecordsRead { get; set; }

    public int RowsCompared { get; set; }

    public bool Passed => Problems.Count == 0 && MismatchCount == 0;
}

/// <summary>
/// Training/serving skew detector: runs the library's training export for the signal-quality model (the same code a
/// training reads its rows from), then walks the log again in the same order with the same per-asset history and
/// checks, for every training row, that the vector the scorer builds (<see cref="OnnxSignalQualityScorer.BuildInput"/>)
/// holds the row's values in the model's columns, and that those columns are the export's, in the export's order.
/// </summary>
internal static class ParityChecker
{
    private const TrainingModel Model = TrainingModel.SignalQuality;

    public static async Task<ParityReport> RunAsync(
        IFeatureQuery reader, OnnxSignalQualityScorer scorer, string workDirectory, int maxListed,
        IProgress<TrainingExportProgress>? exportProgress, Action<int, int>? checkProgress, CancellationToken cancellationToken)
    {
        string csvPath = Path.Combine(workDirectory, "signal_quality.csv");
        TrainingExportResult export = await TrainingExporter.ExportAsync(reader, Model, csvPath, exportProgress, cancellationToken).ConfigureAwait(false);
        int total = export.Manifest.RecordCount;
        return await CompareAsync(csvPath, reader.ReadRecordsAsync(null, cancellationToken), scorer, maxListed,
            checkProgress is null ? null : read => checkProgress(read, total), cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// Compares a signal-quality export CSV with the scorer's input for <paramref name="records"/>: every record of the
    /// log in decision-time order (each feeds the lag history; the labelled ones are the CSV's rows, in order).
    /// </summary>
    public static async Task<ParityReport> CompareAsync(
        string csvPath, IAsyncEnumerable<FeatureRecord> records, OnnxSignalQualityScorer scorer, int maxListed,
        Action<int>? progress, CancellationToken cancellationToken)
    {
        OnnxModelInfo model = scorer.Model ?? throw new InvalidOperationException("The scorer has no model.");
        using var file = new StreamReader(csvPath);
        var csv = new CsvRecordReader(file);
        List<string> header = csv.Read() ?? throw new InvalidDataException($"{csvPath} is empty: the export wrote no header.");
        string label = TrainingModels.LabelColumn(Model);
        if (header.Count == 0 || header[^1] != label)
        {
            throw new InvalidDataException($"{csvPath} is not a {TrainingModels.Name(Model)} export: its last column is '{header.LastOrDefault()}', not '{label}'.");
        }

        List<string> exportColumns = header.GetRange(0, header.Count - 1);
        var exportIndex = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int j = 0; j < exportColumns.Count; j++)
        {
            exportIndex.TryAdd(exportColumns[j], j);
        }

        IReadOnlyList<string> names = model.FeatureNames;
        var report = new ParityReport
        {
            ModelColumns = names,
            ExportColumns = exportColumns,
            ExportOnlyColumns = exportColumns.Except(names, StringComparer.Ordinal).ToList(),
        };
        int[] map = CheckColumns(model, exportIndex, report);

        var history = new FeatureHistory();
        int row = 0;
        await foreach (FeatureRecord record in records.WithCancellation(cancellationToken).ConfigureAwait(false))
        {
            report.RecordsRead++;
            if (TrainingModels.LabelOf(Model, record) is { } value)
            {
                row++;
                List<string>? fields = csv.Read();
                if (fields is null)
                {
                    report.Problems.Add($"the log has more {label} rows than the export ({row - 1}): it changed during the check; run it again.");
                    break;
                }

                if (fields.Count != header.Count || !TryParse(fields[^1], out double exported) || exported != value)
                {
                    report.Problems.Add($"row {row} of the export does not belong to record {record.Id} (label {Format.Number(value)} vs {fields[^1]}): the log changed during the check; run it again.");
                    break;
                }

                ScoringInput input = scorer.BuildInput(record, history) ?? throw new InvalidOperationException("The scorer's model was unloaded during the check.");
                Compare(record.Id, fields, input, map, report, maxListed);
                report.RowsCompared++;
            }

            history.Add(record);
            progress?.Invoke(report.RecordsRead);
        }

        if (report.Problems.Count == 0 && csv.Read() is { } extra && !(extra.Count == 1 && extra[0].Length == 0))
        {
            report.Problems.Add($"the export has more rows than the log's {label} records ({row}): the log changed during the check; run it again.");
        }

        return report;
    }

    /// <summary>Maps each model column to its export column (−1: not comparable) and records structural problems.</summary>
    private static int[] CheckColumns(OnnxModelInfo model, Dictionary<string, int> exportIndex, ParityReport report)
    {
        IReadOnlyList<string> names = model.FeatureNames;
        var unknown = new HashSet<string>(model.UnknownFeatureNames, StringComparer.Ordinal);
        int[] map = new int[names.Count];
        for (int i = 0; i < names.Count; i++)
        {
            map[i] = -1;
            if (unknown.Contains(names[i]))
            {
                report.Problems.Add($"model column {i} '{names[i]}' ({model.FeatureNamesSource}) is produced by no flattening rule: the scorer feeds it 0, " +
                    "but the model was trained on real values. The metadata does not match this library's columns (renamed or misspelt?).");
            }
            else if (!exportIndex.TryGetValue(names[i], out int j))
            {
                report.Problems.Add($"model column {i} '{names[i]}' is not in the training export of this data: the data the model was trained on had it, this data does not " +
                    "(an optional column, or asset dummies with one asset), so the scorer's values for it cannot be checked. Retrain on this data.");
            }
            else
            {
                map[i] = j;
            }
        }

        // The model was trained on the export's column order: the model's columns must keep it.
        var inExportOrder = Enumerable.Range(0, names.Count).Where(i => map[i] >= 0).OrderBy(i => map[i]).ToList();
        var inModelOrder = Enumerable.Range(0, names.Count).Where(i => map[i] >= 0).ToList();
        for (int k = 0; k < inModelOrder.Count; k++)
        {
            if (inModelOrder[k] != inExportOrder[k])
            {
                int position = inModelOrder[k];
                report.Problems.Add($"column order: model input {position} is '{names[position]}', but in the training export's order that place holds " +
                    $"'{names[inExportOrder[k]]}' (export column {map[inExportOrder[k]]}): the scorer feeds the model its columns in a different order than it was trained with.");
            }
        }

        return map;
    }

    private static void Compare(string recordId, List<string> fields, ScoringInput input, int[] map, ParityReport report, int maxListed)
    {
        bool any = false;
        for (int i = 0; i < map.Length; i++)
        {
            if (map[i] < 0)
            {
                continue;
            }

            string text = fields[map[i]];
            float scorer = input.Values[i];
            if (TryParse(text, out double exported) && ((float)exported).Equals(scorer))
            {
                continue;
            }

            any = true;
            report.MismatchCount++;
            if (report.Mismatches.Count < maxListed)
            {
                report.Mismatches.Add(new ParityMismatch(recordId, input.FeatureNames[i], i, text, Format.Number(scorer)));
            }
        }

        report.RecordsWithMismatches += any ? 1 : 0;
    }

    private static bool TryParse(string text, out double value)
        => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out value);
}
