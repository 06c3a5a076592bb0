using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Cli.Reporting;
using Vince.FeatureStore.Drift;
using Vince.FeatureStore.ModelSets;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>report</c>: the model set as one self-contained HTML page.</summary>
internal static class ReportCommand
{
    private static readonly OptionSpec Out = OptionSpec.Value("out", "FILE", "The HTML file to write (replaced when it exists).") with { Required = true };

    public static CommandSpec Spec { get; } = new()
    {
        Name = "report",
        Summary = "Write the model report: one self-contained HTML file with, per trained model, the holdout ROC curve and AUC, calibration before and after Platt scaling, feature importances, the input columns' training distribution against the recent records, and the TP-level table.",
        Details =
        [
            $"The numbers come from the model set: training_metadata.json (metrics, importances, TP levels), {ModelSetReport.FileName} (holdout ROC and " +
            $"calibration tables) and {FeatureBins.FileName} (training distributions), all written by the .NET trainer. A set trained by the Python script has " +
            "only the metadata: the page says which charts cannot be drawn instead of inventing them.",
            "With a data directory (--data, or the default one when it exists) the recent records are compared with training as by 'drift'. " +
            "The page has no script and loads no font or image: it can be mailed or archived as it is.",
        ],
        Options = [CommonOptions.Models, CommonOptions.Data, Out, DriftWindowOptions.Threshold, DriftWindowOptions.Recent, DriftWindowOptions.Since],
        Examples =
        [
            "vince-features report --models .elizadb/vince-paper-bot/models --data .elizadb/vince-paper-bot/features --out report.html",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        FeatureDriftSettings settings = DriftWindowOptions.Settings(options, DateTimeOffset.UtcNow);
        string output = Path.GetFullPath(options.Required(Out.Name));
        string models = context.ModelsDirectory(options.Value(CommonOptions.Models.Name));
        string metadataPath = Path.Combine(models, TrainingMetadata.FileName);
        if (!File.Exists(metadataPath))
        {
            throw new CommandFailedException($"{models} holds no {TrainingMetadata.FileName}: not a model set (pass --models DIR).");
        }

        TrainingMetadata metadata = TrainingMetadata.Load(metadataPath);
        ModelSetReport? curves;
        FeatureBins? bins;
        try
        {
            curves = ModelSetReport.TryLoad(models);
            bins = FeatureBins.TryLoad(models);
        }
        catch (InvalidDataException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }

        FeatureDriftReport? drift = null;
        if (bins is not null && RecordSource.Open(context, options, required: false, cancellationToken) is ({ } records, string description))
        {
            drift = await DriftCommand.AnalyzeAsync(context, models, bins, records, description, settings, cancellationToken).ConfigureAwait(false);
        }

        string html = ModelReportPage.Render(new ModelReportInput(models, metadata, curves, bins, drift, DateTimeOffset.UtcNow));
        string? directory = Path.GetDirectoryName(output);
        if (!string.IsNullOrEmpty(directory))
        {
            Directory.CreateDirectory(directory);
        }

        string temp = output + ".tmp";
        await File.WriteAllTextAsync(temp, html, cancellationToken).ConfigureAwait(false);
        File.Move(temp, output, overwrite: true);
        context.Out.WriteLine($"wrote {output} ({Format.Bytes(new FileInfo(output).Length)}): {metadata.ModelsTrained?.Count ?? 0} model(s)" +
            (curves is null ? $"; no {ModelSetReport.FileName}: ROC and calibration not drawn" : "") +
            (bins is null ? $"; no {FeatureBins.FileName}: distributions not drawn" : drift is null ? "; no recent records read" : $"; {drift.RecentRecords} recent record(s)"));
        return VinceFeaturesCli.Success;
    }
}
