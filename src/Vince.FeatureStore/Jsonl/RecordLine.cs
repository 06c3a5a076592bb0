using System.Text.Json;

namespace Vince.FeatureStore.Jsonl;

/// <summary>The top-level facts of one JSONL line, read without materialising the record.</summary>
internal readonly record struct RecordHeader(string Id, long Timestamp, string Asset, bool IsComplete, bool IsOpen, byte Rows = 0);

/// <summary>Parsing of one JSONL line, shared by the reader, the sink shippers and the writer's recovery.</summary>
internal static class RecordLine
{
    // Top-level keys the header scan acts on: 0..7 are the sections in the order of Flattening.ColumnPresence.Sections.
    private const int OutcomeSection = 6;
    private const int LabelsSection = 7;
    private const int WttKey = 8;
    private const int IdKey = 9;
    private const int TimestampKey = 10;
    private const int AssetKey = 11;
    private const int AvoidedKey = 12;
    private const int OtherKey = -1;

    /// <summary>Which top-level key the reader is on (compared unescaped, like the serializer).</summary>
    private static int TopLevelKey(ref Utf8JsonReader reader)
    {
        if (reader.ValueIsEscaped || reader.HasValueSequence)
        {
            return EscapedTopLevelKey(ref reader);
        }

        ReadOnlySpan<byte> name = reader.ValueSpan;
        return name.Length switch
        {
            2 when name.SequenceEqual("id"u8) => IdKey,
            3 when name.SequenceEqual("wtt"u8) => WttKey,
            4 when name.SequenceEqual("news"u8) => 4,
            5 when name.SequenceEqual("asset"u8) => AssetKey,
            6 when name.SequenceEqual("market"u8) => 0,
            6 when name.SequenceEqual("signal"u8) => 2,
            6 when name.SequenceEqual("regime"u8) => 3,
            6 when name.SequenceEqual("labels"u8) => LabelsSection,
            7 when name.SequenceEqual("session"u8) => 1,
            7 when name.SequenceEqual("outcome"u8) => OutcomeSection,
            7 when name.SequenceEqual("avoided"u8) => AvoidedKey,
            9 when name.SequenceEqual("timestamp"u8) => TimestampKey,
            9 when name.SequenceEqual("execution"u8) => 5,
            _ => OtherKey,
        };
    }

    // Rare: ValueTextEquals compares the unescaped text without decoding it.
    private static int EscapedTopLevelKey(ref Utf8JsonReader reader)
    {
        ReadOnlySpan<string> names = ["market", "session", "signal", "regime", "news", "execution", "outcome", "labels", "wtt", "id", "timestamp", "asset", "avoided"];
        for (int key = 0; key < names.Length; key++)
        {
            if (reader.ValueTextEquals(names[key]))
            {
                return key;
            }
        }

        return OtherKey;
    }

    // InvalidOperationException: e.g. invalid UTF-8 inside a string, or a token of the wrong type.
    private static bool IsBadJson(Exception ex) => ex is JsonException or InvalidOperationException;

    private static ReadOnlySpan<byte> WithoutBom(ReadOnlySpan<byte> line)
        => line.StartsWith((ReadOnlySpan<byte>)[0xEF, 0xBB, 0xBF]) ? line[3..] : line;

    /// <summary>Parses a full record; returns an error text instead of throwing for a bad line.</summary>
    public static bool TryParse(ReadOnlySpan<byte> line, out FeatureRecord? record, out string? error)
    {
        record = null;
        line = WithoutBom(line);
        if (line.IsEmpty)
        {
            error = "empty line";
            return false;
        }

        // The hand-written reader takes the usual shapes; the serializer decides everything else, with its own message.
        if (!FeatureRecordReader.TryRead(line, out record))
        {
            try
            {
                record = FeatureJson.Deserialize(line);
            }
            catch (Exception ex) when (IsBadJson(ex))
            {
                error = ex.Message;
                return false;
            }
        }

        if (string.IsNullOrEmpty(record.Id))
        {
            record = null;
            error = "the record has no id";
            return false;
        }

        if (record.Timestamp <= 0)
        {
            record = null;
            error = "the record has no timestamp";
            return false;
        }

        // Beyond what a sink can store (and so would retry forever): skipped, as an invalid line.
        if (RecordLimits.Check(record.Id, record.Asset, record.Timestamp) is { } beyond)
        {
            error = beyond;
            record = null;
            return false;
        }

        error = null;
        return true;
    }

    /// <summary>
    /// Reads only the top-level keys the reader needs to resolve versions and filter. Validates the whole
    /// line's JSON syntax on the way (nested values are skipped, not materialised).
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> line, out RecordHeader header, out string? error)
        => TryReadHeader(line, out header, out error, presence: null);

    /// <summary>
    /// As <see cref="TryReadHeader(ReadOnlySpan{byte}, out RecordHeader, out string?)"/>; with
    /// <paramref name="presence"/>, the sections are walked instead of skipped to note which columns the line has.
    /// </summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> line, out RecordHeader header, out string? error, Flattening.ColumnPresence? presence)
    {
        header = default;
        line = WithoutBom(line);
        string? id = null;
        long timestamp = 0;
        bool hasTimestamp = false;
        string asset = "";
        bool hasOutcome = false, hasLabels = false, hasAvoided = false;
        try
        {
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = RecordLimits.MaxJsonDepth });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }

            presence?.BeginLine();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                int key = TopLevelKey(ref reader);
                reader.Read();
                if (presence is not null && key is >= 0 and <= LabelsSection)
                {
                    hasOutcome |= key == OutcomeSection && reader.TokenType != JsonTokenType.Null;
                    hasLabels |= key == LabelsSection && reader.TokenType != JsonTokenType.Null;
                    presence.Section(ref reader, key);
                    continue;
                }

                if (presence is not null && key == WttKey)
                {
                    presence.Wtt(ref reader);
                    continue;
                }

                switch (key)
                {
                    case IdKey:
                        id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                        break;
                    case TimestampKey when reader.TokenType == JsonTokenType.Number:
                        timestamp = LenientIntegers.ReadInt64(ref reader);
                        hasTimestamp = true;
                        break;
                    case AssetKey:
                        asset = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
                        break;
                    case OutcomeSection:
                        hasOutcome = reader.TokenType != JsonTokenType.Null;
                        break;
                    case LabelsSection:
                        hasLabels = reader.TokenType != JsonTokenType.Null;
                        break;
                    case AvoidedKey:
                        hasAvoided = reader.TokenType != JsonTokenType.Null;
                        break;
                }

                reader.Skip(); // no-op on a scalar
            }

            if (reader.TokenType != JsonTokenType.EndObject || reader.Read())
            {
                error = "unexpected content after the JSON object";
                return false;
            }
        }
        catch (Exception ex) when (IsBadJson(ex))
        {
            error = ex.Message;
            return false;
        }

        if (string.IsNullOrEmpty(id))
        {
            error = "the record has no id";
            return false;
        }

        if (!hasTimestamp || timestamp <= 0)
        {
            error = "the record has no numeric timestamp";
            return false;
        }

        if (RecordLimits.Check(id, asset, timestamp) is { } beyond)
        {
            error = beyond;
            return false;
        }

        header = new RecordHeader(id, timestamp, asset, hasOutcome && hasLabels, !hasOutcome && !hasAvoided, presence?.LineRows() ?? 0);
        error = null;
        return true;
    }
}
