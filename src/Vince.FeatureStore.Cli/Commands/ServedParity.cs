using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Cli.Parity;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>parity --served</c>: served scores against a recomputation (<see cref="ServedParityChecker"/>).</summary>
internal static class ServedParity
{
    public static readonly OptionSpec Served = OptionSpec.Flag("served",
        "Check the scores the bot served instead: every record keeping ml.<model> is scored again with the model its sha256 names (from --models: " +
        "the set there, and any set in a directory below it) against the history serving had, and value, calibrated value and input hash must match.");

    public static readonly OptionSpec Tolerance = OptionSpec.Value("tolerance", "T", "With --served: the largest difference accepted between a served and a recomputed value (relative, absolute below 1).")
        with
    { DefaultText = "1e-6" };

    public static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        int maxListed = options.Int("max-listed", 0) ?? 50;
        double tolerance = options.Double(Tolerance.Name, 0, 1) ?? 1e-6;
        string data = context.DataDirectory(options.Value("data"));
        string models = context.ModelsDirectory(options.Value("models"));
        CliContext.EnsureDataDirectoryExists(data);
        List<OnnxModelSet> sets = LoadSets(models);
        try
        {
            var bySha = new Dictionary<string, OnnxModelScorer>(StringComparer.Ordinal);
            foreach (OnnxModelScorer scorer in sets.SelectMany(s => s.Models))
            {
                bySha.TryAdd(scorer.ModelSha256, scorer);
            }

            FeatureLogReader reader = CommonOptions.Reader(context, options, data);
            ProgressReporter progress = context.Progress("parity --served");
            ServedParityReport report = await ServedParityChecker.RunAsync(reader.ReadRecordsAsync(null, cancellationToken), bySha, tolerance, maxListed,
                read => progress.Report(read, 0, "records"), cancellationToken).ConfigureAwait(false);
            if (report.RecordsWithServedScores == 0)
            {
                context.WriteError($"warning: no record keeps served scores (ml.<model>), so nothing was compared. Files: {CommonOptions.LookedAt(reader)}.");
            }

            if (options.Flag(CommonOptions.Json.Name))
            {
                WriteJson(context.Out, report, sets, data, tolerance);
            }
            else
            {
                WriteText(context.Out, report, sets, data, tolerance, maxListed);
            }

            return report.Passed ? VinceFeaturesCli.Success : VinceFeaturesCli.Failure;
        }
        finally
        {
            sets.ForEach(static s => s.Dispose());
        }
    }

    /// <summary>The set in <paramref name="directory"/> and every set below it (e.g. earlier runs kept side by side).</summary>
    private static List<OnnxModelSet> LoadSets(string directory)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"the models directory {directory} does not exist (pass --models DIR or set {OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}).");
        }

        var sets = new List<OnnxModelSet>();
        try
        {
            foreach (string candidate in Directory.EnumerateDirectories(directory, "*", SearchOption.AllDirectories).Prepend(directory))
            {
                if (TrainingModels.All.Any(m => File.Exists(Path.Combine(candidate, TrainingModels.Name(m) + ".onnx"))))
                {
                    sets.Add(OnnxModelSet.Load(candidate, new ServingHistory(), new OnnxScoringOptions { ModelsDirectory = candidate, WatchForChanges = false }));
                }
            }
        }
        catch (OnnxModelLoadException ex)
        {
            sets.ForEach(static s => s.Dispose());
            throw new CommandFailedException(ex.Message, ex);
        }

        return sets.Count > 0
            ? sets
            : throw new CommandFailedException($"no model: {directory} (and the directories below it) holds none of {string.Join(", ", TrainingModels.All.Select(m => TrainingModels.Name(m) + ".onnx"))}.");
    }

    private static void WriteText(TextWriter output, ServedParityReport report, List<OnnxModelSet> sets, string data, double tolerance, int maxListed)
    {
        foreach (OnnxModelSet set in sets)
        {
            output.WriteLine($"models:        {set.Directory} ({string.Join(", ", set.Models.Select(m => $"{m.Name} {m.ModelSha256[..12]}"))})");
        }

        output.WriteLine($"records:       {Format.Count(report.RecordsRead)} read from {data}, {Format.Count(report.RecordsWithServedScores)} with served scores");
        output.WriteLine($"compared:      {Format.Count(report.RecordsCompared)} records, {Format.Count(report.ScoresCompared)} scores (tolerance {Format.Number(tolerance)})");
        output.WriteLine($"cold history:  {Format.Count(report.ColdHistoryScores)} scores in {Format.Count(report.RecordsWithColdHistory)} records (served with a missing lag)");
        if (report.NotAvailableScores > 0)
        {
            output.WriteLine($"not available: {Format.Count(report.NotAvailableScores)} scores name a model the given sets do not hold (model not available):");
            foreach ((string sha, int count) in report.NotAvailable)
            {
                output.WriteLine($"  - sha256 {sha}: {Format.Count(count)} scores");
            }
        }

        output.WriteLine($"differences:   {Format.Count(report.DifferenceCount)}" + (report.DifferenceCount == 0 ? "" : $" in {Format.Count(report.RecordsWithDifferences)} record(s)" +
            (report.DifferenceCount > report.Differences.Count ? $", the first {maxListed} listed" : "")));
        if (report.Differences.Count > 0)
        {
            TextTable.Write(output, "  ", ["record", "model", "field", "served", "recomputed"],
                report.Differences.Select(d => new[] { d.RecordId, d.Model, d.Field, d.Served, d.Recomputed }).ToList());
        }

        output.WriteLine(report.Passed
            ? "result:        PASS: every served score is reproduced by its model from the log"
            : report.DifferenceCount > 0 ? "result:        FAIL: served scores differ from their recomputation" : "result:        FAIL: some served scores could not be checked (model not available)");
    }

    private static void WriteJson(TextWriter output, ServedParityReport report, List<OnnxModelSet> sets, string data, double tolerance) => Format.Json(output, json =>
    {
        json.WriteStartObject();
        json.WriteBoolean("passed", report.Passed);
        json.WriteString("dataDirectory", data);
        json.WriteStartArray("modelSets");
        foreach (OnnxModelSet set in sets)
        {
            json.WriteStartObject();
            json.WriteString("directory", set.Directory);
            json.WriteStartObject("models");
            foreach (OnnxModelScorer model in set.Models)
            {
                json.WriteString(model.Name, model.ModelSha256);
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteNumber("tolerance", tolerance);
        json.WriteNumber("recordsRead", report.RecordsRead);
        json.WriteNumber("recordsWithServedScores", report.RecordsWithServedScores);
        json.WriteNumber("recordsCompared", report.RecordsCompared);
        json.WriteNumber("scoresCompared", report.ScoresCompared);
        json.WriteNumber("coldHistoryScores", report.ColdHistoryScores);
        json.WriteNumber("recordsWithColdHistory", report.RecordsWithColdHistory);
        json.WriteNumber("notAvailableScores", report.NotAvailableScores);
        json.WriteStartObject("notAvailable");
        foreach ((string sha, int count) in report.NotAvailable)
        {
            json.WriteNumber(sha, count);
        }

        json.WriteEndObject();
        json.WriteNumber("differenceCount", report.DifferenceCount);
        json.WriteNumber("recordsWithDifferences", report.RecordsWithDifferences);
        json.WriteStartArray("differences");
        foreach (ServedDifference difference in report.Differences)
        {
            json.WriteStartObject();
            json.WriteString("recordId", difference.RecordId);
            json.WriteString("model", difference.Model);
            json.WriteString("field", difference.Field);
            json.WriteString("served", difference.Served);
            json.WriteString("recomputed", difference.Recomputed);
            json.WriteEndObject();
        }

        json.WriteEndArray();
        json.WriteEndObject();
    });
}
