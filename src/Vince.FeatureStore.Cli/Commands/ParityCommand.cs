using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Cli.Parity;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>parity</c>: the training/serving skew detector (<see cref="ParityChecker"/>).</summary>
internal static class ParityCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "parity",
        Summary = "Check training/serving parity: for every training row of the signal-quality model, the scorer's input vector must equal the export row in the model's columns.",
        Details =
        [
            "Runs the training export of the data (the rows a training reads), then walks the log again in decision-time order with the same " +
            "per-asset history and builds the scorer's input for every labelled record. Fails (exit 1) on any value that differs, and on any " +
            "model column that no flattening rule produces, that the export of this data does not have, or that is out of the export's order.",
            "Mismatches are printed as record id, column, export value and scorer value (unscaled; scaling is applied after). Export columns the " +
            "model does not take are listed but do not fail the check: a new training would add them.",
            "With --served it checks what the bot served instead: counts of records with served scores, compared, differences and cold-history " +
            "scores; exit 1 on any difference, and when a score names a model (sha256) that --models does not hold (reported as model not available).",
        ],
        Options =
        [
            .. RecordSource.Options,
            CommonOptions.Models,
            OptionSpec.Value("max-listed", "N", "How many mismatches to print (all are counted).") with { DefaultText = "50" },
            ServedParity.Served,
            ServedParity.Tolerance,
            CommonOptions.Json,
        ],
        Examples =
        [
            "vince-features parity --data .elizadb/vince-paper-bot/features --models .elizadb/vince-paper-bot/models",
            "vince-features parity --served --data .elizadb/vince-paper-bot/features --models .elizadb/vince-paper-bot/models",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        if (options.Flag(ServedParity.Served.Name))
        {
            return await ServedParity.RunAsync(context, options, cancellationToken).ConfigureAwait(false);
        }

        int maxListed = options.Int("max-listed", 0) ?? 50;
        string models = context.ModelsDirectory(options.Value("models"));
        await using OpenedSource source = RecordSource.OpenStore(context, options);
        string data = source.Location;

        using OnnxSignalQualityScorer scorer = Scorers.Load(context, models);
        IFeatureQuery reader = source.Query;
        DirectoryInfo work = Directory.CreateTempSubdirectory("vince-features-parity-");
        ParityReport report;
        try
        {
            ProgressReporter exportProgress = context.Progress("parity: export");
            ProgressReporter checkProgress = context.Progress("parity: check");
            report = await ParityChecker.RunAsync(reader, scorer, work.FullName, maxListed,
                new ExportReporter(exportProgress), (read, total) => checkProgress.Report(read, total, "records"), cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            work.Delete(recursive: true);
        }

        if (report.RowsCompared == 0)
        {
            context.WriteError($"warning: no rows: the data has no record with a complete trade yet, so nothing was compared. {source.ReadNote}.");
        }

        OnnxModelInfo model = scorer.Model!;
        if (options.Flag("json"))
        {
            WriteJson(context.Out, report, model, data);
        }
        else
        {
            WriteText(context.Out, report, model, data, maxListed);
        }

        return report.Passed ? VinceFeaturesCli.Success : VinceFeaturesCli.Failure;
    }

    private static void WriteText(TextWriter output, ParityReport report, OnnxModelInfo model, string data, int maxListed)
    {
        output.WriteLine($"model:      {model.ModelPath} ({report.ModelColumns.Count} columns from {Path.GetFileName(model.FeatureNamesSource)})");
        output.WriteLine($"export:     signal_quality rows of {data} ({report.ExportColumns.Count} columns + label_profitable)");
        output.WriteLine($"records:    {Format.Count(report.RecordsRead)} read, {Format.Count(report.RowsCompared)} training rows compared");
        if (report.ExportOnlyColumns.Count > 0)
        {
            output.WriteLine($"note:       the export also has {report.ExportOnlyColumns.Count} column(s) the model does not take (a new training would add them): {string.Join(", ", report.ExportOnlyColumns)}");
        }

        output.WriteLine(report.Problems.Count == 0 ? "columns:    ok (every model column is exported, in the export's order)" : $"problems:   {report.Problems.Count}");
        foreach (string problem in report.Problems)
        {
            output.WriteLine($"  - {problem}");
        }

        output.WriteLine($"mismatches: {Format.Count(report.MismatchCount)}" + (report.MismatchCount == 0 ? "" : $" in {Format.Count(report.RecordsWithMismatches)} record(s)" +
            (report.MismatchCount > report.Mismatches.Count ? $", the first {maxListed} listed" : "")));
        if (report.Mismatches.Count > 0)
        {
            TextTable.Write(output, "  ", ["record", "column", "export", "scorer"],
                report.Mismatches.Select(m => new[] { m.RecordId, m.Column, m.ExportValue, m.ScorerValue }).ToList());
        }

        output.WriteLine(report.Passed
            ? "result:     PASS: the scorer feeds every training row's values to the model, in its columns and order"
            : "result:     FAIL: training/serving skew");
    }

    private static void WriteJson(TextWriter output, ParityReport report, OnnxModelInfo model, string data) => Format.Json(output, json =>
    {
        json.WriteStartObject();
        json.WriteBoolean("passed", report.Passed);
        json.WriteString("modelPath", model.ModelPath);
        json.WriteString("dataDirectory", data);
        json.WriteNumber("recordsRead", report.RecordsRead);
        json.WriteNumber("rowsCompared", report.RowsCompared);
        WriteList(json, "modelColumns", report.ModelColumns);
        WriteList(json, "exportColumns", report.ExportColumns);
        WriteList(json, "exportOnlyColumns", report.ExportOnlyColumns);
        WriteList(json, "problems", report.Problems);
        json.WriteNumber("mismatchCount", report.MismatchCount);
        json.WriteNumber("recordsWithMismatches", report.RecordsWithMismatches);
        json.WriteStartArray("mismatches");
        foreach (ParityMismatch mismatch in report.Mismatches)
        {
            json.WriteStartObject();
            json.WriteString("recordId", mismatch.RecordId);
            json.WriteString("column", mismatch.Column);
            json.WriteNumber("position", mismatch.Position);
            json.WriteString("exportValue", mismatch.ExportValue);
            json.WriteString("scorerValue", mismatch.ScorerValue);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });

    private static void WriteList(System.Text.Json.Utf8JsonWriter json, string name, IEnumerable<string> values)
    {
        json.WriteStartArray(name);
        foreach (string value in values)
        {
            json.WriteStringValue(value);
        }

        json.WriteEndArray();
    }

    private sealed class ExportReporter(ProgressReporter progress) : IProgress<TrainingExportProgress>
    {
        public void Report(TrainingExportProgress value) => progress.Report(value.RecordsRead, value.TotalRecords, "records");
    }
}
