using System.Globalization;
using System.Text.Json;

namespace Vince.FeatureStore.Onnx.Metadata;

/// <summary>
/// Reading JSON written by Python's <c>json.dump</c>: it writes the bare tokens <c>NaN</c>, <c>Infinity</c> and
/// <c>-Infinity</c> (not JSON) for non-finite floats, e.g. an undefined AUC. They are read as <c>null</c>.
/// Values of an unexpected type read as missing, with a note in the warnings list.
/// </summary>
internal static class PythonJson
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        AllowTrailingCommas = true,
        CommentHandling = JsonCommentHandling.Skip,
        MaxDepth = 256,
    };

    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8Json)
    {
        byte[]? sanitized = ReplaceNonFiniteLiterals(utf8Json.Span);
        return JsonDocument.Parse(sanitized ?? utf8Json, DocumentOptions);
    }

    /// <summary>Replaces <c>NaN</c>, <c>Infinity</c> and <c>-Infinity</c> outside strings by <c>null</c>; <see langword="null"/> when there are none.</summary>
    internal static byte[]? ReplaceNonFiniteLiterals(ReadOnlySpan<byte> json)
    {
        List<byte>? output = null;
        bool inString = false;
        int copiedUpTo = 0;
        for (int i = 0; i < json.Length; i++)
        {
            byte b = json[i];
            if (inString)
            {
                if (b == (byte)'\\')
                {
                    i++;
                }
                else if (b == (byte)'"')
                {
                    inString = false;
                }

                continue;
            }

            if (b == (byte)'"')
            {
                inString = true;
                continue;
            }

            int length = json[i..].StartsWith("NaN"u8) ? 3
                : json[i..].StartsWith("Infinity"u8) ? 8
                : json[i..].StartsWith("-Infinity"u8) ? 9
                : 0;
            if (length == 0)
            {
                continue;
            }

            output ??= new List<byte>(json.Length + 16);
            output.AddRange(json[copiedUpTo..i]);
            output.AddRange("null"u8);
            i += length - 1;
            copiedUpTo = i + 1;
        }

        if (output is null)
        {
            return null;
        }

        output.AddRange(json[copiedUpTo..]);
        return output.ToArray();
    }

    public static bool TryParseNumber(JsonElement value, out double number)
    {
        number = 0;
        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                number = value.GetDouble();
                return true;
            case JsonValueKind.String when double.TryParse(value.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double parsed) && double.IsFinite(parsed):
                number = parsed;
                return true;
            default:
                return false;
        }
    }
}

/// <summary>An object of a tolerantly read JSON file: typed getters that note, rather than throw on, unexpected types.</summary>
/// <param name="Element">The object.</param>
/// <param name="Path">Its dotted path for messages (empty at the top level).</param>
/// <param name="Warnings">Where problems are noted.</param>
internal readonly record struct JsonSection(JsonElement Element, string Path, List<string> Warnings)
{
    public string Name(string property) => Path.Length == 0 ? property : Path + "." + property;

    public bool Has(string property) => Element.TryGetProperty(property, out JsonElement value) && value.ValueKind != JsonValueKind.Null;

    public string? String(string property)
    {
        if (!Element.TryGetProperty(property, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            return value.GetString();
        }

        Warnings.Add($"'{Name(property)}' is not a string ({value.ValueKind}); ignored.");
        return null;
    }

    public double? Number(string property)
    {
        if (!Element.TryGetProperty(property, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (PythonJson.TryParseNumber(value, out double number))
        {
            return number;
        }

        Warnings.Add($"'{Name(property)}' is not a number ({value.ValueKind}); ignored.");
        return null;
    }

    public int? Integer(string property)
    {
        if (Number(property) is not { } n)
        {
            return null;
        }

        if (n != Math.Floor(n) || n < int.MinValue || n > int.MaxValue)
        {
            Warnings.Add($"'{Name(property)}' is not an integer ({n.ToString(CultureInfo.InvariantCulture)}); ignored.");
            return null;
        }

        return (int)n;
    }

    public IReadOnlyList<string>? StringList(string property)
    {
        if (!Element.TryGetProperty(property, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Array)
        {
            Warnings.Add($"'{Name(property)}' is not a list ({value.ValueKind}); ignored.");
            return null;
        }

        var list = new List<string>(value.GetArrayLength());
        foreach (JsonElement item in value.EnumerateArray())
        {
            if (item.ValueKind != JsonValueKind.String)
            {
                Warnings.Add($"'{Name(property)}' holds a non-string item ({item.ValueKind}); the list is ignored.");
                return null;
            }

            list.Add(item.GetString()!);
        }

        return list;
    }

    public JsonElement? Raw(string property)
        => Element.TryGetProperty(property, out JsonElement value) && value.ValueKind != JsonValueKind.Null ? value.Clone() : null;

    public JsonSection? Object(string property)
    {
        if (!Element.TryGetProperty(property, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind != JsonValueKind.Object)
        {
            Warnings.Add($"'{Name(property)}' is not an object ({value.ValueKind}); ignored.");
            return null;
        }

        return new JsonSection(value, Name(property), Warnings);
    }

    public IEnumerable<(string Name, JsonSection? Section)> Objects()
    {
        foreach (JsonProperty property in Element.EnumerateObject())
        {
            if (property.Value.ValueKind == JsonValueKind.Object)
            {
                yield return (property.Name, new JsonSection(property.Value, Name(property.Name), Warnings));
            }
            else
            {
                Warnings.Add($"'{Name(property.Name)}' is not an object ({property.Value.ValueKind}); ignored.");
                yield return (property.Name, null);
            }
        }
    }

    public Dictionary<string, JsonElement> Unknown(IReadOnlySet<string> known)
    {
        var unknown = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach (JsonProperty property in Element.EnumerateObject())
        {
            if (!known.Contains(property.Name))
            {
                unknown[property.Name] = property.Value.Clone();
            }
        }

        return unknown;
    }
}
