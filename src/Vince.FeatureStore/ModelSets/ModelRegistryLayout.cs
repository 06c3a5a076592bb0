using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;

namespace Vince.FeatureStore.ModelSets;

/// <summary>
/// The model registry's layout in a bucket (FORMATS, "Model registry"): <c>runs/&lt;id&gt;/</c> holds every file of one
/// training and its <c>run.json</c> manifest; <c>latest.json</c> at the root is a copy of the manifest of the run every
/// instance installs, written last; a refused run has <c>rejected.json</c> next to its manifest. The one place these
/// names, the run id and the two JSON documents are defined.
/// </summary>
internal static class ModelRegistryLayout
{
    /// <summary>The folder of the runs, <c>runs</c>.</summary>
    public const string RunsFolder = "runs";

    /// <summary>The pointer to the current run, at the bucket root: <c>latest.json</c>.</summary>
    public const string LatestFileName = "latest.json";

    /// <summary>A run's manifest: <c>run.json</c> (same document as <c>latest.json</c>).</summary>
    public const string ManifestFileName = "run.json";

    /// <summary>The quality gate's verdict on a refused run: <c>rejected.json</c>.</summary>
    public const string RejectedFileName = "rejected.json";

    /// <summary>The run id of a flat (original bot) bucket.</summary>
    public const string FlatRunId = "flat";

    /// <summary>The version of the two documents' layout (<c>format</c>).</summary>
    public const int Format = 1;

    private const string TimeFormat = "yyyyMMdd'T'HHmmssfff'Z'";

    private static readonly JsonWriterOptions Indented = new() { Indented = true };

    /// <summary>The files of a set directory that a run holds: the model-set files and <c>last_train_at.txt</c>.</summary>
    public static bool IsRunFile(string fileName)
        => ModelSetInstaller.IsModelSetFile(fileName) || string.Equals(fileName, LastTrainAt.FileName, StringComparison.Ordinal);

    /// <summary><c>&lt;trained_at&gt;-&lt;sha12&gt;</c>: the UTC training time to the millisecond, then the first 12 hex digits of the metadata's SHA-256.</summary>
    public static string RunId(DateTimeOffset trainedAt, string metadataSha256)
        => trainedAt.UtcDateTime.ToString(TimeFormat, CultureInfo.InvariantCulture) + "-" + metadataSha256[..12].ToLowerInvariant();

    /// <summary>Reads the training time out of a run id; <see langword="false"/> for anything that is not one.</summary>
    public static bool TryParseRunId(string? id, out DateTimeOffset trainedAt)
    {
        trainedAt = default;
        if (id is not { Length: 19 + 1 + 12 } || id[19] != '-' || !id[20..].All(char.IsAsciiHexDigitLower))
        {
            return false;
        }

        if (!DateTime.TryParseExact(id[..19], TimeFormat, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal, out DateTime utc))
        {
            return false;
        }

        trainedAt = new DateTimeOffset(utc, TimeSpan.Zero);
        return true;
    }

    /// <summary>The object name of <paramref name="fileName"/> in run <paramref name="runId"/>.</summary>
    public static string RunObject(string runId, string fileName) => $"{RunsFolder}/{runId}/{fileName}";

    /// <summary>Lower-case hex SHA-256.</summary>
    public static string Sha256(ReadOnlySpan<byte> bytes) => Convert.ToHexString(SHA256.HashData(bytes)).ToLowerInvariant();

    /// <summary>Writes a run manifest (<c>run.json</c> / <c>latest.json</c>).</summary>
    public static byte[] WriteManifest(RunManifest manifest)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteNumber("format", Format);
            json.WriteString("run", manifest.Run);
            json.WriteString("path", $"{RunsFolder}/{manifest.Run}/");
            json.WriteString("trained_at", manifest.TrainedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("metadata_sha256", manifest.MetadataSha256);
            json.WriteStartObject("files");
            foreach ((string file, string sha256) in manifest.Files)
            {
                json.WriteString(file, sha256);
            }

            json.WriteEndObject();
            if (manifest.HoldoutAuc is { } auc && double.IsFinite(auc))
            {
                json.WriteNumber("signal_quality_holdout_auc", auc);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>Reads a run manifest.</summary>
    /// <exception cref="InvalidOperationException">The document is not a manifest of this layout; the message names <paramref name="source"/>.</exception>
    public static RunManifest ReadManifest(ReadOnlySpan<byte> utf8Json, string source)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object
                || !root.TryGetProperty("format", out JsonElement format) || !format.TryGetInt32(out int version)
                || !root.TryGetProperty("run", out JsonElement run) || run.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("trained_at", out JsonElement trainedAt) || trainedAt.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("metadata_sha256", out JsonElement metadata) || metadata.ValueKind != JsonValueKind.String
                || !root.TryGetProperty("files", out JsonElement files) || files.ValueKind != JsonValueKind.Object)
            {
                throw new InvalidOperationException($"{source} is not a run manifest (format, run, trained_at, metadata_sha256 and files are required).");
            }

            if (version != Format)
            {
                throw new InvalidOperationException($"{source} has format {version}; this version reads format {Format}. Update the package.");
            }

            string id = run.GetString()!;
            if (!TryParseRunId(id, out _))
            {
                throw new InvalidOperationException($"{source} names the run '{id}', which is not a run id (<yyyyMMddTHHmmssfffZ>-<12 hex digits>).");
            }

            var list = new SortedDictionary<string, string>(StringComparer.Ordinal);
            foreach (JsonProperty file in files.EnumerateObject())
            {
                if (!IsPlainFileName(file.Name) || file.Value.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidOperationException($"{source} lists '{file.Name}', which is not a plain file name with a SHA-256.");
                }

                list[file.Name] = file.Value.GetString()!.ToLowerInvariant();
            }

            double? auc = root.TryGetProperty("signal_quality_holdout_auc", out JsonElement a) && a.ValueKind == JsonValueKind.Number ? a.GetDouble() : null;
            return new RunManifest(
                id,
                DateTimeOffset.Parse(trainedAt.GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal),
                metadata.GetString()!.ToLowerInvariant(),
                list,
                auc);
        }
        catch (Exception ex) when (ex is JsonException or FormatException)
        {
            throw new InvalidOperationException($"{source} does not parse: {ex.Message}", ex);
        }
    }

    /// <summary>Writes <c>rejected.json</c>.</summary>
    public static byte[] WriteRejection(string runId, DateTimeOffset rejectedAt, ModelGateResult gate)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, Indented))
        {
            json.WriteStartObject();
            json.WriteNumber("format", Format);
            json.WriteString("run", runId);
            json.WriteString("rejected_at", rejectedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
            json.WriteString("reason", gate.Reason);
            Number(json, "challenger_auc", gate.ChallengerAuc);
            Number(json, "champion_auc", gate.ChampionAuc);
            if (gate.Champion is not null)
            {
                json.WriteString("champion", gate.Champion);
            }

            json.WriteNumber("tolerance", gate.Tolerance);
            json.WriteNumber("holdout_rows", gate.HoldoutRows);
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    /// <summary>The reason of a <c>rejected.json</c>, or <see langword="null"/> when it has none.</summary>
    public static string? ReadRejectionReason(ReadOnlySpan<byte> utf8Json)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            return document.RootElement.ValueKind == JsonValueKind.Object && document.RootElement.TryGetProperty("reason", out JsonElement reason) && reason.ValueKind == JsonValueKind.String
                ? reason.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>A file name without directories or a leading dot, of the characters model sets use.</summary>
    public static bool IsPlainFileName(string name)
        => name.Length is > 0 and <= 200 && !name.StartsWith('.') && name.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.');

    private static void Number(Utf8JsonWriter json, string name, double? value)
    {
        if (value is { } v && double.IsFinite(v))
        {
            json.WriteNumber(name, v);
        }
        else
        {
            json.WriteNull(name);
        }
    }
}

/// <summary>A run manifest: <c>runs/&lt;id&gt;/run.json</c>, and <c>latest.json</c> for the current run.</summary>
/// <param name="Run">The run id.</param>
/// <param name="TrainedAt">When it was trained (UTC).</param>
/// <param name="MetadataSha256">The SHA-256 of its <c>training_metadata.json</c>: what tells whether a local set is this run.</param>
/// <param name="Files">Every file of the run with its SHA-256.</param>
/// <param name="HoldoutAuc">The signal-quality holdout AUC the gate measured, when it did.</param>
internal sealed record RunManifest(string Run, DateTimeOffset TrainedAt, string MetadataSha256, IReadOnlyDictionary<string, string> Files, double? HoldoutAuc);
