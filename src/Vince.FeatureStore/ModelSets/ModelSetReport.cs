using System.Text.Encodings.Web;
using System.Text.Json;

namespace Vince.FeatureStore.ModelSets;

/// <summary>One point of a ROC curve.</summary>
internal sealed record RocPoint(double FalsePositiveRate, double TruePositiveRate);

/// <summary>One bin of a reliability (calibration) table: the holdout rows whose probability falls in [Lower, Upper).</summary>
internal sealed record ReliabilityBin(double Lower, double Upper, int Count, double MeanPredicted, double ObservedRate);

/// <summary>
/// The holdout curves of one binary model: the ROC curve with its AUC, and the reliability table of the model's
/// probability before and after the Platt calibration fitted on the same holdout.
/// </summary>
internal sealed record HoldoutCurves(
    int HoldoutRows, double? Auc, IReadOnlyList<RocPoint> Roc, PlattParameters? Platt, IReadOnlyList<ReliabilityBin> BeforeCalibration, IReadOnlyList<ReliabilityBin> AfterCalibration);

/// <summary>Platt scaling <c>p' = 1 / (1 + exp(−(scale × p + intercept)))</c>.</summary>
internal sealed record PlattParameters(double Scale, double Intercept);

/// <summary>
/// <c>model_report.json</c> of a model set: what the model report needs beyond <c>training_metadata.json</c>, i.e. the
/// holdout curves, computed by the trainer from the same holdout predictions as the metadata's metrics
/// (docs/formats.md). Written by the .NET trainer; the Python script does not write it.
/// </summary>
internal sealed class ModelSetReport
{
    /// <summary>The file name inside a model set.</summary>
    public const string FileName = "model_report.json";

    /// <summary>The version of the layout this code writes and reads.</summary>
    public const int FormatVersion = 1;

    private static readonly JsonWriterOptions WriterOptions = new() { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Curves per model name (<c>signal_quality</c>); models without curves (regressors, multi-class) are absent.</summary>
    public required IReadOnlyDictionary<string, HoldoutCurves> Models { get; init; }

    /// <summary>Reads the report of a model set, or <see langword="null"/> when it has none.</summary>
    /// <exception cref="InvalidDataException">The file exists but is not a valid report.</exception>
    public static ModelSetReport? TryLoad(string modelsDirectory)
    {
        return ModelSetJsonFile.TryLoad(modelsDirectory, FileName, Parse);
    }

    public static ModelSetReport Parse(ReadOnlyMemory<byte> utf8Json)
    {
        using JsonDocument document = JsonDocument.Parse(utf8Json);
        JsonElement root = document.RootElement;
        ModelSetJsonFile.EnsureFormat(root, FormatVersion);

        var models = new Dictionary<string, HoldoutCurves>(StringComparer.Ordinal);
        foreach (JsonProperty model in root.GetProperty("models").EnumerateObject())
        {
            JsonElement m = model.Value;
            JsonElement roc = m.GetProperty("roc");
            JsonElement calibration = m.GetProperty("calibration");
            PlattParameters? platt = calibration.GetProperty("platt") is { ValueKind: JsonValueKind.Object } p
                ? new PlattParameters(p.GetProperty("scale").GetDouble(), p.GetProperty("intercept").GetDouble())
                : null;
            models[model.Name] = new HoldoutCurves(
                m.GetProperty("holdout_rows").GetInt32(),
                roc.GetProperty("auc") is { ValueKind: JsonValueKind.Number } auc ? auc.GetDouble() : null,
                roc.GetProperty("points").EnumerateArray().Select(pt => new RocPoint(pt[0].GetDouble(), pt[1].GetDouble())).ToList(),
                platt,
                Bins(calibration.GetProperty("before")),
                Bins(calibration.GetProperty("after")));
        }

        return new ModelSetReport { Models = models };
    }

    public byte[] ToJson()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteNumber("format", FormatVersion);
            json.WriteString("holdout", "the newest rows of each model in decision-time order, never trained on; probabilities from the exported ONNX model");
            json.WriteStartObject("models");
            foreach ((string name, HoldoutCurves curves) in Models)
            {
                json.WriteStartObject(name);
                json.WriteNumber("holdout_rows", curves.HoldoutRows);
                json.WriteStartObject("roc");
                if (curves.Auc is { } auc && double.IsFinite(auc))
                {
                    json.WriteNumber("auc", auc);
                }
                else
                {
                    json.WriteNull("auc");
                }

                json.WriteStartArray("points");
                foreach (RocPoint point in curves.Roc)
                {
                    json.WriteStartArray();
                    json.WriteNumberValue(Math.Round(point.FalsePositiveRate, 6));
                    json.WriteNumberValue(Math.Round(point.TruePositiveRate, 6));
                    json.WriteEndArray();
                }

                json.WriteEndArray();
                json.WriteEndObject();
                json.WriteStartObject("calibration");
                if (curves.Platt is { } platt)
                {
                    json.WriteStartObject("platt");
                    json.WriteNumber("scale", platt.Scale);
                    json.WriteNumber("intercept", platt.Intercept);
                    json.WriteEndObject();
                }
                else
                {
                    json.WriteNull("platt");
                }

                WriteBins(json, "before", curves.BeforeCalibration);
                WriteBins(json, "after", curves.AfterCalibration);
                json.WriteEndObject();
                json.WriteEndObject();
            }

            json.WriteEndObject();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private static List<ReliabilityBin> Bins(JsonElement bins) => bins.EnumerateArray().Select(b => new ReliabilityBin(
        b.GetProperty("lower").GetDouble(), b.GetProperty("upper").GetDouble(), b.GetProperty("count").GetInt32(),
        b.GetProperty("mean_predicted").GetDouble(), b.GetProperty("observed_rate").GetDouble())).ToList();

    private static void WriteBins(Utf8JsonWriter json, string name, IReadOnlyList<ReliabilityBin> bins)
    {
        json.WriteStartArray(name);
        foreach (ReliabilityBin bin in bins)
        {
            json.WriteStartObject();
            json.WriteNumber("lower", bin.Lower);
            json.WriteNumber("upper", bin.Upper);
            json.WriteNumber("count", bin.Count);
            json.WriteNumber("mean_predicted", Math.Round(bin.MeanPredicted, 6));
            json.WriteNumber("observed_rate", Math.Round(bin.ObservedRate, 6));
            json.WriteEndObject();
        }

        json.WriteEndArray();
    }
}
