using System.Text.Json;

namespace Vince.FeatureStore.Jsonl;

/// <summary>The top-level facts of one JSONL line, read without materialising the record.</summary>
internal readonly record struct RecordHeader(string Id, long Timestamp, string Asset, bool IsComplete, bool IsOpen, byte Rows = 0);

/// <summary>Parsing of one JSONL line, shared by the reader, the sink shippers and the writer's recovery.</summary>
internal static class RecordLine
{
    private const int OutcomeSection = 6;
    private const int LabelsSection = 7;

    /// <summary>The index in <see cref="Flattening.ColumnPresence.Sections"/> of the section the reader's property names, or −1.</summary>
    private static int SectionIndex(ref Utf8JsonReader reader)
    {
        if (reader.ValueTextEquals("market"u8)) { return 0; }
        if (reader.ValueTextEquals("session"u8)) { return 1; }
        if (reader.ValueTextEquals("signal"u8)) { return 2; }
        if (reader.ValueTextEquals("regime"u8)) { return 3; }
        if (reader.ValueTextEquals("news"u8)) { return 4; }
        if (reader.ValueTextEquals("execution"u8)) { return 5; }
        if (reader.ValueTextEquals("outcome"u8)) { return OutcomeSection; }
        return reader.ValueTextEquals("labels"u8) ? LabelsSection : -1;
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

        try
        {
            record = FeatureJson.Deserialize(line);
        }
        catch (Exception ex) when (IsBadJson(ex))
        {
            error = ex.Message;
            return false;
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
            var reader = new Utf8JsonReader(line, new JsonReaderOptions { MaxDepth = 256 });
            if (!reader.Read() || reader.TokenType != JsonTokenType.StartObject)
            {
                error = "not a JSON object";
                return false;
            }

            presence?.BeginLine();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (presence is not null && SectionIndex(ref reader) is int section and >= 0)
                {
                    reader.Read();
                    hasOutcome |= section == OutcomeSection && reader.TokenType != JsonTokenType.Null;
                    hasLabels |= section == LabelsSection && reader.TokenType != JsonTokenType.Null;
                    presence.Section(ref reader, section);
                }
                else if (presence is not null && reader.ValueTextEquals("wtt"u8))
                {
                    reader.Read();
                    presence.Wtt(ref reader);
                }
                else if (reader.ValueTextEquals("id"u8))
                {
                    reader.Read();
                    id = reader.TokenType == JsonTokenType.String ? reader.GetString() : null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("timestamp"u8))
                {
                    reader.Read();
                    if (reader.TokenType == JsonTokenType.Number)
                    {
                        timestamp = LenientIntegers.ReadInt64(ref reader);
                        hasTimestamp = true;
                    }
                    else
                    {
                        reader.Skip();
                    }
                }
                else if (reader.ValueTextEquals("asset"u8))
                {
                    reader.Read();
                    asset = reader.TokenType == JsonTokenType.String ? reader.GetString() ?? "" : "";
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("outcome"u8))
                {
                    reader.Read();
                    hasOutcome = reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("labels"u8))
                {
                    reader.Read();
                    hasLabels = reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                }
                else if (reader.ValueTextEquals("avoided"u8))
                {
                    reader.Read();
                    hasAvoided = reader.TokenType != JsonTokenType.Null;
                    reader.Skip();
                }
                else
                {
                    reader.Read();
                    reader.Skip();
                }
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
