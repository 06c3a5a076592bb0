using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Vince.FeatureStore.Cli.CommandLine;
using Vince.FeatureStore.Onnx;

namespace Vince.FeatureStore.Cli.Commands;

/// <summary>Loading the signal-quality scorer of a models directory, and records from files, for <c>score</c> and <c>parity</c>.</summary>
internal static class Scorers
{
    /// <summary>A scorer over <paramref name="directory"/> that does not watch for changes; fails when there is no model.</summary>
    public static OnnxSignalQualityScorer Load(CliContext context, string directory, double? threshold = null)
    {
        if (!Directory.Exists(directory))
        {
            throw new CommandFailedException($"the models directory {directory} does not exist (pass --models DIR or set {OnnxScoringOptions.ModelsDirectoryEnvironmentVariable}).");
        }

        var options = new OnnxScoringOptions { ModelsDirectory = directory, WatchForChanges = false, Threshold = threshold };
        var scorer = new OnnxSignalQualityScorer(options, context.LoggerFactory);
        if (scorer.Model is null)
        {
            scorer.Dispose();
            throw new CommandFailedException(
                $"no model: {Path.Combine(directory, options.ModelFileName)} does not exist (train one, or fetch the latest with 'vince-features models pull').");
        }

        return scorer;
    }

    /// <summary>One record from a JSON file (a single object, as one line of the log holds).</summary>
    public static FeatureRecord ReadRecord(string path)
    {
        if (!File.Exists(path))
        {
            throw new CommandFailedException($"the record file {path} does not exist.");
        }

        byte[] bytes = File.ReadAllBytes(path);
        ReadOnlySpan<byte> json = bytes.AsSpan();
        if (json.StartsWith("\xEF\xBB\xBF"u8))
        {
            json = json[3..];
        }

        try
        {
            return FeatureJson.Deserialize(json);
        }
        catch (JsonException ex)
        {
            throw new CommandFailedException($"{path} is not one feature record (a single JSON object): {ex.Message}", ex);
        }
    }

    /// <summary>
    /// The records of a JSONL file or a data directory in decision-time order, as the exporter feeds them (a data
    /// directory streams; a file's ties keep file order). <paramref name="what"/> names them in the error.
    /// </summary>
    public static async IAsyncEnumerable<FeatureRecord> ReadInTimeOrderAsync(CliContext context, string path, string what, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        if (Directory.Exists(path))
        {
            var reader = new FeatureLogReader(path, null, context.LoggerFactory.CreateLogger<FeatureLogReader>());
            await foreach (FeatureRecord record in reader.ReadRecordsAsync(null, cancellationToken).ConfigureAwait(false))
            {
                yield return record;
            }

            yield break;
        }

        if (!File.Exists(path))
        {
            throw new CommandFailedException($"the {what} {path} is neither a JSONL file nor a data directory.");
        }

        // Stable: file order breaks ties.
        foreach (FeatureRecord record in ReadJsonl(context, path).OrderBy(r => r.Timestamp))
        {
            yield return record;
        }
    }

    /// <summary>
    /// The records of a JSONL file in file order, the latest version of each id; invalid lines are reported and skipped
    /// as the log reader does.
    /// </summary>
    public static List<FeatureRecord> ReadJsonl(CliContext context, string path)
    {
        var byId = new Dictionary<string, int>(StringComparer.Ordinal);
        var records = new List<FeatureRecord>();
        int number = 0;
        foreach (string line in File.ReadLines(path))
        {
            number++;
            string text = line.Trim().TrimStart('\uFEFF');
            if (text.Length == 0)
            {
                continue;
            }

            FeatureRecord record;
            try
            {
                record = FeatureJson.Deserialize(text);
            }
            catch (JsonException ex)
            {
                context.WriteError($"warning: {Path.GetFileName(path)} line {number} skipped: {ex.Message}");
                continue;
            }

            if (byId.TryGetValue(record.Id, out int index))
            {
                records[index] = record;
            }
            else
            {
                byId[record.Id] = records.Count;
                records.Add(record);
            }
        }

        return records;
    }
}
