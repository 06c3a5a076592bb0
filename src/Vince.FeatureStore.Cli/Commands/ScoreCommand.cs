using System.Globalization;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary><c>score</c>: one record through the signal-quality scorer, with the input vector it built.</summary>
internal static class ScoreCommand
{
    public static CommandSpec Spec { get; } = new()
    {
        Name = "score",
        Summary = "Score one record with the signal-quality model: the probability (model and calibrated), the input vector with its column names in the model's order, the threshold and the decision.",
        Details =
        [
            "The vector is built exactly as the bot's scorer builds it (same flattener, column order from training_metadata.json, scaling when " +
            "the metadata has it). Lag columns (…_lag1/2/3, …_roll3) come from the earlier records of the record's asset: give them with " +
            "--history (a JSONL file, or a data directory); without it they are 0, and the output says so.",
        ],
        Options =
        [
            CommonOptions.Models,
            OptionSpec.Value("record", "FILE", "The record to score: a JSON file holding one feature record (one line of the log). Required unless --records is given."),
            ScoreRecords.Records,
            OptionSpec.Value("history", "PATH", "Earlier records for the lag columns: a JSONL file or a feature data directory. Records after the scored one, and the record itself, are ignored."),
            RecordSource.Kind with { Description = "Where --history's records come from: jsonl (the PATH given with --history), or postgres / supabase (the sink's table, instead of --history)." },
            RecordSource.PostgresUrl,
            CommonOptions.Url,
            OptionSpec.Value("threshold", "P", "The probability a signal must reach (0..1).") with { DefaultText = "the metadata's suggested threshold, else 0.6" },
            CommonOptions.Json,
        ],
        Examples =
        [
            "vince-features score --models .elizadb/vince-paper-bot/models --record decision.json",
            "vince-features score --record decision.json --history .elizadb/vince-paper-bot/features --json",
            "vince-features score --records .elizadb/vince-paper-bot/features --json",
        ],
        Run = RunAsync,
    };

    private static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        if (options.Value(ScoreRecords.Records.Name) is not null)
        {
            return options.Value("record") is null && options.Value("history") is null
                ? await ScoreRecords.RunAsync(context, options, cancellationToken).ConfigureAwait(false)
                : throw new UsageException("--records scores each record against the ones before it: give it without --record and --history.") { Command = Spec.Name };
        }

        double? threshold = options.Double("threshold", 0, 1);
        string recordPath = Path.GetFullPath(options.Value("record")
            ?? throw new UsageException("missing required option --record FILE (or --records PATH).") { Command = Spec.Name });
        await using OpenedSource? table = RecordSource.OpenTable(context, options, "history");
        string? historyPath = table?.Location ?? (options.Value("history") is { } h ? Path.GetFullPath(h) : null);
        string directory = context.ModelsDirectory(options.Value("models"));
        FeatureRecord record = Scorers.ReadRecord(recordPath);

        var history = new FeatureHistory();
        string asset = record.Asset ?? "";
        int historyRecords = 0;
        int assetRecords = 0;
        if (historyPath is not null)
        {
            IAsyncEnumerable<FeatureRecord> earlierRecords = table is not null
                ? table.Query.ReadRecordsAsync(new FeatureQuery { To = DateTimeOffset.FromUnixTimeMilliseconds(record.Timestamp + 1) }, cancellationToken)
                : Scorers.ReadInTimeOrderAsync(context, historyPath, "history", cancellationToken);
            await foreach (FeatureRecord earlier in earlierRecords.ConfigureAwait(false))
            {
                if (earlier.Timestamp > record.Timestamp)
                {
                    break; // time order: the rest is later than the scored record
                }

                if (!string.Equals(earlier.Id, record.Id, StringComparison.Ordinal))
                {
                    history.Add(earlier);
                    historyRecords++;
                    assetRecords += string.Equals(earlier.Asset ?? "", asset, StringComparison.Ordinal) ? 1 : 0;
                }
            }
        }

        using OnnxSignalQualityScorer scorer = Scorers.Load(context, directory, threshold);
        ScoringInput input = scorer.BuildInput(record, history)
            ?? throw new CommandFailedException("the model was unloaded while scoring.");
        SignalQualityScore score = scorer.Score(record, history);
        OnnxModelInfo model = input.Model;
        string historyNote = historyPath is null
            ? $"none given (--history): the lag columns of {Asset(asset)} are 0"
            : $"{historyRecords} earlier record(s) from {historyPath}; {Math.Min(assetRecords, FeatureHistory.Depth)} of {Asset(asset)} feed the lag columns" +
              (assetRecords == 0 ? " (none: they are 0)" : "");

        if (options.Flag("json"))
        {
            WriteJson(context.Out, record, model, input, score, historyPath, historyRecords, Math.Min(assetRecords, FeatureHistory.Depth));
        }
        else
        {
            WriteText(context.Out, record, model, input, score, historyNote);
        }

        return VinceFeaturesCli.Success;
    }

    private static string Asset(string asset) => asset.Length == 0 ? "records without an asset" : asset;

    private static void WriteText(TextWriter output, FeatureRecord record, OnnxModelInfo model, ScoringInput input, SignalQualityScore score, string historyNote)
    {
        output.WriteLine($"model:       {model.ModelPath} (sha256 {model.ModelSha256[..12]}, {model.FeatureNames.Count} features from {Path.GetFileName(model.FeatureNamesSource)})");
        output.WriteLine($"record:      {record.Id} ({Asset(record.Asset ?? "")}, {Format.Time(record.Timestamp)})");
        output.WriteLine($"history:     {historyNote}");
        output.WriteLine();
        bool scaled = model.ScaledColumnCount > 0;
        output.WriteLine($"input vector ({input.FeatureNames.Count} columns, in the model's order{(scaled ? "; model input standardised with the metadata's mean/std" : "")}):");
        var unknown = new HashSet<string>(model.UnknownFeatureNames, StringComparer.Ordinal);
        var rows = new List<string[]>();
        for (int i = 0; i < input.FeatureNames.Count; i++)
        {
            string name = input.FeatureNames[i] + (unknown.Contains(input.FeatureNames[i]) ? " (unknown column: fed 0)" : "");
            rows.Add(scaled
                ? [i.ToString(CultureInfo.InvariantCulture), name, Format.Number(input.Values[i]), Format.Number(input.ModelInput[i])]
                : [i.ToString(CultureInfo.InvariantCulture), name, Format.Number(input.Values[i])]);
        }

        TextTable.Write(output, "  ", scaled ? ["#", "column", "value", "model input"] : ["#", "column", "value"], rows, scaled ? new HashSet<int> { 0, 2, 3 } : new HashSet<int> { 0, 2 });
        output.WriteLine();
        string calibration = model.Calibration is { } c
            ? string.Create(CultureInfo.InvariantCulture, $"calibrated (Platt scale {c.Scale}, intercept {c.Intercept}) from the model's {score.ModelProbability:0.######}")
            : "not calibrated (the metadata has no calibration)";
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probability: {score.Probability:0.######} ({calibration})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"threshold:   {score.Threshold} (from {ThresholdSourceText(model.ThresholdSource)})"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"decision:    {(score.PassesThreshold ? "pass" : "fail")} ({score.Probability:0.######} {(score.PassesThreshold ? ">=" : "<")} {score.Threshold})"));
    }

    private static string ThresholdSourceText(ThresholdSource source) => source switch
    {
        ThresholdSource.Options => "--threshold",
        ThresholdSource.Metadata => "the metadata's suggested_signal_quality_threshold",
        _ => "the default",
    };

    private static void WriteJson(TextWriter output, FeatureRecord record, OnnxModelInfo model, ScoringInput input, SignalQualityScore score, string? historyPath, int historyRecords, int lagRecords)
        => Format.Json(output, json =>
        {
            json.WriteStartObject();
            json.WriteStartObject("model");
            json.WriteString("path", model.ModelPath);
            json.WriteString("sha256", model.ModelSha256);
            json.WriteString("featureNamesSource", model.FeatureNamesSource);
            json.WriteEndObject();
            json.WriteStartObject("record");
            json.WriteString("id", record.Id);
            json.WriteString("asset", record.Asset);
            json.WriteNumber("timestamp", record.Timestamp);
            json.WriteEndObject();
            json.WriteStartObject("history");
            if (historyPath is null)
            {
                json.WriteNull("source");
            }
            else
            {
                json.WriteString("source", historyPath);
            }

            json.WriteNumber("records", historyRecords);
            json.WriteNumber("assetRecordsUsed", lagRecords);
            json.WriteEndObject();
            var unknown = new HashSet<string>(model.UnknownFeatureNames, StringComparer.Ordinal);
            json.WriteStartArray("features");
            for (int i = 0; i < input.FeatureNames.Count; i++)
            {
                json.WriteStartObject();
                json.WriteString("name", input.FeatureNames[i]);
                json.WriteNumberOrNull("value", input.Values[i]);
                json.WriteNumberOrNull("modelInput", input.ModelInput[i]);
                json.WriteBoolean("known", !unknown.Contains(input.FeatureNames[i]));
                json.WriteEndObject();
            }

            json.WriteEndArray();
            json.WriteNumberOrNull("probability", score.Probability);
            json.WriteNumberOrNull("modelProbability", score.ModelProbability);
            json.WriteBoolean("calibrated", model.Calibration is not null);
            json.WriteNumberOrNull("threshold", score.Threshold);
            json.WriteString("thresholdSource", model.ThresholdSource.ToString());
            json.WriteString("decision", score.PassesThreshold ? "pass" : "fail");
            json.WriteEndObject();
        });
}
