using System.Text.Json;

namespace Vince.FeatureStore.Onnx;

/// <summary>
/// The <c>ml</c> object of a record with served scores (docs/formats.md): per model <c>value</c>, <c>calibrated</c>
/// (signal quality with a calibration: the calibrated probability, <c>value</c> then being the model's), <c>sha256</c>,
/// <c>inputHash</c> and <c>coldLags</c>. Written and read only here.
/// </summary>
internal static class ServedJson
{
    public static JsonElement Write(IReadOnlyList<ServedScore> scores)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(256);
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            foreach (ServedScore served in scores)
            {
                json.WriteStartObject(served.Model);
                json.WriteNumber("value", served.Score.ModelValue);
                if (served.Calibrated)
                {
                    json.WriteNumber("calibrated", served.Score.Value);
                }

                json.WriteString("sha256", served.ModelSha256);
                json.WriteString("inputHash", served.Score.InputHashText);
                json.WriteBoolean("coldLags", served.Score.ColdLags);
                json.WriteEndObject();
            }

            json.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>The served scores a record keeps, or none.</summary>
    public static IReadOnlyList<ServedEntry> Read(FeatureRecord record)
    {
        if (record.ExtensionData?.TryGetValue(ScoredDecision.ServedKey, out JsonElement ml) != true || ml.ValueKind != JsonValueKind.Object)
        {
            return [];
        }

        var entries = new List<ServedEntry>();
        foreach (JsonProperty model in ml.EnumerateObject())
        {
            JsonElement e = model.Value;
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty("value", out JsonElement value) || value.ValueKind != JsonValueKind.Number)
            {
                continue;
            }

            entries.Add(new ServedEntry(
                model.Name,
                value.GetDouble(),
                e.TryGetProperty("calibrated", out JsonElement c) && c.ValueKind == JsonValueKind.Number ? c.GetDouble() : null,
                e.TryGetProperty("sha256", out JsonElement sha) && sha.ValueKind == JsonValueKind.String ? sha.GetString()! : "",
                e.TryGetProperty("inputHash", out JsonElement hash) && hash.ValueKind == JsonValueKind.String ? hash.GetString()! : "",
                e.TryGetProperty("coldLags", out JsonElement cold) && cold.ValueKind == JsonValueKind.True));
        }

        return entries;
    }
}

/// <summary>One served score read back from a record.</summary>
internal sealed record ServedEntry(string Model, double Value, double? Calibrated, string Sha256, string InputHash, bool ColdLags);
