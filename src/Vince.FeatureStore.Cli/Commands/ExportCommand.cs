using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Export;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>export</c>: the library's training export (<see cref="TrainingExporter"/>) to a CSV and its manifest.</summary>
internal static class ExportCommand
{
    public const string AllModels = "all";

    public static IReadOnlyList<string> ModelChoices { get; } = [.. TrainingModels.All.Select(TrainingModels.Name), AllModels];

    public static CommandSpec Spec { get; } = new()
    {
        Name = "export",
        Summary = "Export training data: one CSV of a model's columns and label (or of every flattened column), plus feature_manifest.json beside it.",
        Details =
        [
            "Columns are decided the way the training script does: the model's base columns, optional columns only when present in the data, " +
            "asset dummies only when the data holds more than one asset, per-asset lag columns from the earlier records of the same asset. " +
            "A model's rows are the records it has a label for; 'all' writes every flattened column (id, timestamp and asset first) of the complete records.",
            "--source postgres or supabase exports from the sink's table (one row per id, its latest version), streamed in decision-time order; " +
            "the same records give a byte-identical CSV from any source.",
            "The CSV is RFC 4180 with invariant-culture numbers and is replaced atomically. feature_manifest.json (column order, label, row " +
            "count, per-column mean/std) is written into the CSV's directory, so export each model into its own directory to keep every manifest.",
        ],
        Options =
        [
            .. RecordSource.Options,
            OptionSpec.Value("model", "NAME", "The model whose columns and label to export, or 'all'.") with { Required = true, Choices = ModelChoices },
            OptionSpec.Value("out", "FILE", "The CSV file to write (its directory is created).") with { Required = true },
        ],
        Examples =
        [
            "vince-features export --model signal_quality --out exports/signal_quality/train.csv",
            "vince-features export --data ./features --model all --out all.csv",
            "POSTGRES_URL=postgresql://bot@db/app vince-features export --source postgres --model signal_quality --out train.csv",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string modelName = options.Required("model");
        TrainingModel? model = TrainingModels.TryParse(modelName, out TrainingModel parsed) ? parsed : null;
        string csvPath = Path.GetFullPath(options.Required("out"));
        if (Directory.Exists(csvPath))
        {
            throw new UsageException($"--out {csvPath} is a directory; give the CSV file to write.") { Command = Spec.Name };
        }

        await using OpenedSource source = RecordSource.OpenStore(context, options);
        ProgressReporter progress = context.Progress("export");
        TrainingExportResult result = await TrainingExporter.ExportAsync(
            source.Query, model, csvPath, new Reporter(progress), cancellationToken).ConfigureAwait(false);

        FeatureManifest manifest = result.Manifest;
        TextWriter output = context.Out;
        output.WriteLine($"csv: {result.CsvPath}");
        output.WriteLine($"manifest: {result.ManifestPath}");
        output.WriteLine($"model: {manifest.Model}");
        output.WriteLine($"label: {manifest.Label ?? "(none)"}");
        output.WriteLine($"columns: {manifest.Columns.Count}");
        output.WriteLine($"rows: {manifest.RowCount}");
        output.WriteLine($"records read: {manifest.RecordCount}");
        if (manifest.RowCount == 0)
        {
            context.WriteError($"warning: no rows: the data has no record with a {(manifest.Label is { } label ? $"'{label}' label" : "complete trade")} yet. {source.ReadNote}.");
        }

        return VinceFeaturesCli.Success;
    }

    /// <summary>Forwards the exporter's progress synchronously (a <see cref="Progress{T}"/> would post it to the thread pool, out of order).</summary>
    private sealed class Reporter(ProgressReporter progress) : IProgress<TrainingExportProgress>
    {
        public void Report(TrainingExportProgress value)
            => progress.Report(value.RecordsRead, value.TotalRecords, "records", $"{Format.Count(value.RowsWritten)} rows");
    }
}
