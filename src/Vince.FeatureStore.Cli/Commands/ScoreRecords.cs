using System.Globalization;
using System.Text;
using System.Text.Json;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>
/// <c>score --records</c>: many records through every model of the set in one process, the history built once as the
/// store's serving history holds it (each record scored against the records before it in decision-time order, then added).
/// </summary>
internal static class ScoreRecords
{
    public static readonly OptionSpec Records = OptionSpec.Value("records", "PATH",
        "Score many records instead, with every model of the set: a JSONL file or a feature data directory. Each is scored against the records " +
        "before it in decision-time order (as serving does) and printed on one line; with --json one JSON object per line.");

    public static async Task<int> RunAsync(CliContext context, ParsedOptions options, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(options.Required(Records.Name));
        double? threshold = options.Double("threshold", 0, 1);
        string directory = context.ModelsDirectory(options.Value("models"));
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"the models directory {directory} does not exist (pass --models DIR or set {OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}).");
        }

        OnnxModelSet models;
        try
        {
            models = OnnxModelSet.Load(directory, new ServingHistory(), new OnnxScoringOptions { ModelsDirectory = directory, WatchForChanges = false, Threshold = threshold });
        }
        catch (OnnxModelLoadException ex)
        {
            throw new CommandFailedException(ex.Message, ex);
        }

        using (models)
        {
            bool json = options.Flag(CommonOptions.Json.Name);
            var history = new FeatureHistory();
            int scored = 0, cold = 0;
            await foreach (FeatureRecord record in Scorers.ReadInTimeOrderAsync(context, path, "records", cancellationToken).ConfigureAwait(false))
            {
                bool recordCold = false;
                var line = new StringBuilder();
                var buffer = new System.Buffers.ArrayBufferWriter<byte>(512);
                using (var writer = new Utf8JsonWriter(buffer))
                {
                    writer.WriteStartObject();
                    writer.WriteString("id", record.Id);
                    writer.WriteString("asset", record.Asset);
                    writer.WriteNumber("timestamp", record.Timestamp);
                    writer.WriteStartObject("scores");
                    line.Append(CultureInfo.InvariantCulture, $"{record.Id} {record.Asset} {Format.Time(record.Timestamp)}");
                    foreach (OnnxModelScorer model in models.Models)
                    {
                        ModelScore score = model.Score(record, history);
                        recordCold |= score.ColdLags;
                        WriteScore(writer, model, score);
                        line.Append(CultureInfo.InvariantCulture, $" {model.Name}={Format.Number(score.Value)}");
                        if (score.Threshold is not null)
                        {
                            line.Append(score.PassesThreshold ? " (pass)" : " (fail)");
                        }
                    }

                    writer.WriteEndObject();
                    writer.WriteBoolean("coldHistory", recordCold);
                    writer.WriteEndObject();
                }

                context.Out.WriteLine(json ? Encoding.UTF8.GetString(buffer.WrittenSpan) : line.Append(recordCold ? " cold-history" : "").ToString());
                history.Add(record); // after scoring, as the store adds a decision once it is recorded
                scored++;
                cold += recordCold ? 1 : 0;
            }

            context.WriteError($"scored {scored} records, {cold} with cold history");
            return VinceFeaturesCli.Success;
        }
    }

    private static void WriteScore(Utf8JsonWriter json, OnnxModelScorer model, ModelScore score)
    {
        json.WriteStartObject(model.Name);
        json.WriteNumberOrNull("value", score.Value);
        json.WriteNumberOrNull("modelValue", score.ModelValue);
        if (score.Threshold is { } threshold)
        {
            json.WriteNumber("threshold", threshold);
            json.WriteBoolean("passes", score.PassesThreshold);
        }

        json.WriteString("sha256", model.ModelSha256);
        json.WriteString("inputHash", score.InputHashText);
        json.WriteBoolean("coldLags", score.ColdLags);
        json.WriteEndObject();
    }
}
