using System.Buffers;
using System.Text.Json;

namespace Vince.FeatureStore.Export;

/// <summary>Mean and standard deviation of one column over the exported rows.</summary>
/// <param name="Mean">Arithmetic mean.</param>
/// <param name="Std">Population standard deviation (divides by n, like scikit-learn's StandardScaler).</param>
public sealed record ColumnScaling(double Mean, double Std);

/// <summary>
/// <c>feature_manifest.json</c>, written beside an exported CSV: the column order, the label, the row count
/// and the per-column scaling a trainer needs and a scorer must reuse.
/// </summary>
public sealed record FeatureManifest
{
    /// <summary>The file name written beside the CSV.</summary>
    public const string FileName = "feature_manifest.json";

    /// <summary>The model name (<c>signal_quality</c> …) or <c>all</c>.</summary>
    public required string Model { get; init; }

    /// <summary>The label column (last CSV column), or <see langword="null"/> for an export of all columns.</summary>
    public string? Label { get; init; }

    /// <summary>The feature columns in CSV (and model input) order, label excluded.</summary>
    public required IReadOnlyList<string> Columns { get; init; }

    /// <summary>Rows written.</summary>
    public int RowCount { get; init; }

    /// <summary>Records read (all of them feed lag columns; only labelled ones become rows).</summary>
    public int RecordCount { get; init; }

    /// <summary>Mean/std of each numeric feature column over the rows (model exports only).</summary>
    public IReadOnlyDictionary<string, ColumnScaling> Scaling { get; init; } = new Dictionary<string, ColumnScaling>();

    /// <summary>When the export was made (UTC).</summary>
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>Writes the manifest as indented JSON.</summary>
    /// <returns>UTF-8 JSON.</returns>
    public byte[] ToJsonUtf8()
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            writer.WriteStartObject();
            writer.WriteString("model", Model);
            if (Label is null)
            {
                writer.WriteNull("label");
            }
            else
            {
                writer.WriteString("label", Label);
            }

            writer.WriteStartArray("columns");
            foreach (string column in Columns)
            {
                writer.WriteStringValue(column);
            }

            writer.WriteEndArray();
            writer.WriteNumber("rowCount", RowCount);
            writer.WriteNumber("recordCount", RecordCount);
            writer.WriteStartObject("scaling");
            foreach (string column in Columns)
            {
                if (Scaling.TryGetValue(column, out ColumnScaling? scaling))
                {
                    writer.WriteStartObject(column);
                    writer.WriteNumber("mean", scaling.Mean);
                    writer.WriteNumber("std", scaling.Std);
                    writer.WriteEndObject();
                }
            }

            writer.WriteEndObject();
            writer.WriteString("createdAt", CreatedAt);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Reads a manifest.</summary>
    /// <param name="utf8Json">The file content.</param>
    /// <returns>The manifest.</returns>
    /// <exception cref="JsonException">The content is not a manifest.</exception>
    public static FeatureManifest Parse(ReadOnlySpan<byte> utf8Json)
    {
        using JsonDocument document = JsonDocument.Parse(utf8Json.ToArray());
        JsonElement root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new JsonException("A feature manifest must be a JSON object.");
        }

        string model = root.TryGetProperty("model", out JsonElement m) && m.ValueKind == JsonValueKind.String ? m.GetString()! : throw new JsonException("The manifest has no 'model'.");
        if (!root.TryGetProperty("columns", out JsonElement columns) || columns.ValueKind != JsonValueKind.Array)
        {
            throw new JsonException("The manifest has no 'columns' array.");
        }

        var scaling = new Dictionary<string, ColumnScaling>(StringComparer.Ordinal);
        if (root.TryGetProperty("scaling", out JsonElement s) && s.ValueKind == JsonValueKind.Object)
        {
            foreach (JsonProperty column in s.EnumerateObject())
            {
                scaling[column.Name] = new ColumnScaling(column.Value.GetProperty("mean").GetDouble(), column.Value.GetProperty("std").GetDouble());
            }
        }

        return new FeatureManifest
        {
            Model = model,
            Label = root.TryGetProperty("label", out JsonElement l) && l.ValueKind == JsonValueKind.String ? l.GetString() : null,
            Columns = columns.EnumerateArray().Select(c => c.GetString() ?? throw new JsonException("Column names must be strings.")).ToArray(),
            RowCount = root.TryGetProperty("rowCount", out JsonElement rc) ? rc.GetInt32() : 0,
            RecordCount = root.TryGetProperty("recordCount", out JsonElement rec) ? rec.GetInt32() : 0,
            Scaling = scaling,
            CreatedAt = root.TryGetProperty("createdAt", out JsonElement c) && c.ValueKind == JsonValueKind.String ? c.GetDateTimeOffset() : default,
        };
    }
}
