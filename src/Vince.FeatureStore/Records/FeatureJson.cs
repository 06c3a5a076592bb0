using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Vince.FeatureStore;

/// <summary>
/// The JSON wire format of <see cref="FeatureRecord"/>: camelCase, nulls omitted, NaN and ±Infinity
/// written as <c>null</c>, unknown keys kept. Uses source-generated metadata, so no reflection at run time.
/// </summary>
public static class FeatureJson
{
    /// <summary>Type information for <see cref="FeatureRecord"/>; pass it to <see cref="JsonSerializer"/> overloads.</summary>
    public static JsonTypeInfo<FeatureRecord> RecordTypeInfo => FeatureJsonContext.Default.FeatureRecord;

    /// <summary>Serializes a record to one line of compact UTF-8 JSON (no trailing newline).</summary>
    /// <param name="record">The record.</param>
    /// <returns>The UTF-8 bytes.</returns>
    public static byte[] SerializeToUtf8Bytes(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JsonSerializer.SerializeToUtf8Bytes(record, RecordTypeInfo);
    }

    /// <summary>Serializes a record to a compact JSON string.</summary>
    /// <param name="record">The record.</param>
    /// <returns>The JSON text.</returns>
    public static string Serialize(FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return JsonSerializer.Serialize(record, RecordTypeInfo);
    }

    /// <summary>Writes a record with an existing writer.</summary>
    /// <param name="writer">The writer.</param>
    /// <param name="record">The record.</param>
    public static void Serialize(Utf8JsonWriter writer, FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(record);
        JsonSerializer.Serialize(writer, record, RecordTypeInfo);
    }

    /// <summary>Parses one record.</summary>
    /// <param name="utf8Json">One JSON object.</param>
    /// <returns>The record.</returns>
    /// <exception cref="JsonException">The text is not a JSON object of the record shape.</exception>
    public static FeatureRecord Deserialize(ReadOnlySpan<byte> utf8Json)
        => JsonSerializer.Deserialize(utf8Json, RecordTypeInfo)
           ?? throw new JsonException("Expected a JSON object, found null.");

    /// <summary>Parses one record.</summary>
    /// <param name="json">One JSON object.</param>
    /// <returns>The record.</returns>
    /// <exception cref="JsonException">The text is not a JSON object of the record shape.</exception>
    public static FeatureRecord Deserialize(string json)
    {
        ArgumentNullException.ThrowIfNull(json);
        return JsonSerializer.Deserialize(json, RecordTypeInfo)
               ?? throw new JsonException("Expected a JSON object, found null.");
    }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    MaxDepth = RecordLimits.MaxJsonDepth,
    Converters = [typeof(FiniteDoubleConverter)])]
[JsonSerializable(typeof(FeatureRecord))]
[JsonSerializable(typeof(NewsFeatures))]
[JsonSerializable(typeof(JsonElement))]
internal sealed partial class FeatureJsonContext : JsonSerializerContext;

/// <summary>Writes NaN and ±Infinity as <c>null</c> (JSON has no such numbers) and reads <c>null</c> back as NaN.</summary>
internal sealed class FiniteDoubleConverter : JsonConverter<double>
{
    public override bool HandleNull => true;

    public override double Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? double.NaN : reader.GetDouble();

    public override void Write(Utf8JsonWriter writer, double value, JsonSerializerOptions options)
    {
        if (double.IsFinite(value))
        {
            writer.WriteNumberValue(value);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>Reads integral numbers also when a writer emitted them as <c>3.0</c>.</summary>
internal static class LenientIntegers
{
    public static long ReadInt64(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.Number)
        {
            throw new JsonException($"Expected a number, found {reader.TokenType}.");
        }

        if (reader.TryGetInt64(out long value))
        {
            return value;
        }

        double d = reader.GetDouble();
        if (d != Math.Floor(d) || d < long.MinValue || d > long.MaxValue)
        {
            throw new JsonException($"Expected an integer, found {d}.");
        }

        return (long)d;
    }

    public static int ReadInt32(ref Utf8JsonReader reader)
    {
        long value = ReadInt64(ref reader);
        if (value is < int.MinValue or > int.MaxValue)
        {
            throw new JsonException($"Integer {value} is out of range.");
        }

        return (int)value;
    }
}

internal sealed class LenientInt64Converter : JsonConverter<long>
{
    public override long Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => LenientIntegers.ReadInt64(ref reader);

    public override void Write(Utf8JsonWriter writer, long value, JsonSerializerOptions options)
        => writer.WriteNumberValue(value);
}

internal sealed class LenientNullableInt64Converter : JsonConverter<long?>
{
    public override long? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? null : LenientIntegers.ReadInt64(ref reader);

    public override void Write(Utf8JsonWriter writer, long? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

internal sealed class LenientInt32Converter : JsonConverter<int>
{
    public override int Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => LenientIntegers.ReadInt32(ref reader);

    public override void Write(Utf8JsonWriter writer, int value, JsonSerializerOptions options)
        => writer.WriteNumberValue(value);
}

internal sealed class LenientNullableInt32Converter : JsonConverter<int?>
{
    public override int? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => reader.TokenType == JsonTokenType.Null ? null : LenientIntegers.ReadInt32(ref reader);

    public override void Write(Utf8JsonWriter writer, int? value, JsonSerializerOptions options)
    {
        if (value is { } v)
        {
            writer.WriteNumberValue(v);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>Reads <c>signal.sources</c> as strings (current writers) or objects (older writers) and writes each back in its own shape.</summary>
internal sealed class SignalSourceListConverter : JsonConverter<IReadOnlyList<SignalSource>>
{
    public override IReadOnlyList<SignalSource>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        => ReadList(ref reader);

    /// <summary>Reads the array the reader is on; shared with <see cref="FeatureRecordReader"/> so both readers build the same list.</summary>
    internal static List<SignalSource> ReadList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new JsonException($"signal.sources: expected an array, found {reader.TokenType}.");
        }

        var sources = new List<SignalSource>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            switch (reader.TokenType)
            {
                case JsonTokenType.String:
                    sources.Add(new SignalSource(reader.GetString()));
                    break;
                case JsonTokenType.Null:
                    sources.Add(new SignalSource(null));
                    break;
                case JsonTokenType.StartObject:
                    sources.Add(ReadObject(ref reader));
                    break;
                default:
                    throw new JsonException($"signal.sources: expected strings or objects, found {reader.TokenType}.");
            }
        }

        return sources;
    }

    private static SignalSource ReadObject(ref Utf8JsonReader reader)
    {
        string? name = null;
        double? sentiment = null;
        Dictionary<string, JsonElement>? extra = null;
        while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
        {
            string key = reader.GetString()!;
            reader.Read();
            if (key == "name" && reader.TokenType is JsonTokenType.String or JsonTokenType.Null)
            {
                name = reader.GetString();
            }
            else if (key == "sentiment" && reader.TokenType is JsonTokenType.Number)
            {
                sentiment = reader.GetDouble();
            }
            else
            {
                // Anything else (including a non-numeric sentiment) is kept verbatim.
                extra ??= new Dictionary<string, JsonElement>(StringComparer.Ordinal);
                extra[key] = JsonElement.ParseValue(ref reader);
            }
        }

        return new SignalSource(name, sentiment) { ExtensionData = extra };
    }

    public override void Write(Utf8JsonWriter writer, IReadOnlyList<SignalSource> value, JsonSerializerOptions options)
    {
        writer.WriteStartArray();
        foreach (SignalSource source in value)
        {
            if (!source.IsObject)
            {
                writer.WriteStringValue(source.Name);
                continue;
            }

            writer.WriteStartObject();
            if (source.Name is not null)
            {
                writer.WriteString("name", source.Name);
            }

            if (source.Sentiment is { } sentiment)
            {
                writer.WritePropertyName("sentiment");
                if (double.IsFinite(sentiment))
                {
                    writer.WriteNumberValue(sentiment);
                }
                else
                {
                    writer.WriteNullValue();
                }
            }

            if (source.ExtensionData is not null)
            {
                foreach (KeyValuePair<string, JsonElement> pair in source.ExtensionData)
                {
                    writer.WritePropertyName(pair.Key);
                    pair.Value.WriteTo(writer);
                }
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
    }
}

/// <summary>Reads <c>news</c> as the usual object, or keeps a legacy list verbatim.</summary>
internal sealed class NewsSectionConverter : JsonConverter<NewsFeatures>
{
    public override NewsFeatures? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return new NewsFeatures { LegacyList = JsonElement.ParseValue(ref reader) };
        }

        return JsonSerializer.Deserialize(ref reader, FeatureJsonContext.Default.NewsFeatures);
    }

    public override void Write(Utf8JsonWriter writer, NewsFeatures value, JsonSerializerOptions options)
    {
        if (value.LegacyList is { } list)
        {
            list.WriteTo(writer);
            return;
        }

        JsonSerializer.Serialize(writer, value, FeatureJsonContext.Default.NewsFeatures);
    }
}
