using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore;

/// <summary>
/// A hand-written <see cref="Utf8JsonReader"/> parser for one record line, the log reader's hot path. For the
/// shapes it accepts it builds exactly the <see cref="FeatureRecord"/> that <see cref="FeatureJson"/>'s
/// System.Text.Json deserialization builds (a parity test holds the two together, and a test holds its key
/// tables to the serializer's metadata). It returns <see langword="false"/> for anything it is not sure of
/// (a wrong token type, an escaped key, invalid JSON, a number the converters reject); the caller then
/// deserializes with <see cref="FeatureJson"/>, so edge cases and errors keep the serializer's exact outcome.
/// </summary>
/// <remarks>
/// The per-section parts (each section's key table and read method) are generated from the section records
/// (<c>[RecordSection]</c>) by Vince.FeatureStore.SchemaGenerator; this file holds the top level and the value helpers
/// the generated code calls (one per property type).
/// Why: the serializer buffers the init-only properties as boxed constructor arguments and goes through its
/// converter machinery per value; this reader assigns locals and builds each section once. What it mirrors:
/// camelCase keys matched case-sensitively; unknown keys into <c>ExtensionData</c> (last duplicate wins, first
/// position kept); <c>[JsonIgnore]</c> keys skipped; a missing section or value leaves its property at the
/// constructor-argument default (a record without <c>id</c> or <c>asset</c> goes to the serializer, whose versions
/// differ there); <c>null</c> for a non-nullable <see cref="double"/> is NaN; integers through
/// <see cref="LenientIntegers"/>; <c>signal.sources</c> through the converter's own code.
/// </remarks>
internal sealed partial class FeatureRecordReader
{
    // The serializer's reader options: no comments, no trailing commas, the records' depth limit.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = RecordLimits.MaxJsonDepth };

    internal static readonly KeyTable RecordKeys = new(
        ["id", "timestamp", "asset", "market", "session", "signal", "regime", "news", "decisionDrivers", "execution", "outcome", "labels", "avoided", "updatedAt"],
        ignored: ["isComplete", "timestampUtc"]);

    // One reader per thread: the log reader parses lines on all cores.
    [ThreadStatic]
    private static FeatureRecordReader? t_reader;

    private readonly StringCache _strings = new();

    /// <summary>Parses one record line, or returns <see langword="false"/> when the serializer must decide.</summary>
    /// <param name="utf8Json">The line (surrounding whitespace and the line end allowed; no BOM).</param>
    /// <param name="record">The record, when the result is <see langword="true"/>.</param>
    public static bool TryRead(ReadOnlySpan<byte> utf8Json, [NotNullWhen(true)] out FeatureRecord? record)
    {
        try
        {
            var reader = new Utf8JsonReader(utf8Json, ReaderOptions);
            if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
            {
                FeatureRecord parsed = (t_reader ??= new FeatureRecordReader()).ReadRecord(ref reader);

                // Like the serializer: only whitespace may follow (Read throws on anything else).
                if (!reader.Read())
                {
                    record = parsed;
                    return true;
                }
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException or FormatException)
        {
            // Invalid JSON, or a shape left to the serializer: it decides, with its own message.
        }

        record = null;
        return false;
    }

    private FeatureRecord ReadRecord(ref Utf8JsonReader reader)
    {
        string? id = null, asset = null;
        bool hasId = false, hasAsset = false;
        long timestamp = 0;
        MarketFeatures? market = null;
        SessionFeatures? session = null;
        SignalFeatures? signal = null;
        RegimeFeatures? regime = null;
        NewsFeatures? news = null;
        List<string>? decisionDrivers = null;
        ExecutionFeatures? execution = null;
        OutcomeFeatures? outcome = null;
        FeatureLabels? labels = null;
        AvoidedDecision? avoided = null;
        long? updatedAt = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, RecordKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: id = Id(ref reader); hasId = true; break;
                case 1: timestamp = Int64(ref reader); break;
                case 2: asset = String(ref reader); hasAsset = true; break;
                case 3: market = StartSection(ref reader) ? ReadMarketFeatures(ref reader) : null; break;
                case 4: session = StartSection(ref reader) ? ReadSessionFeatures(ref reader) : null; break;
                case 5: signal = StartSection(ref reader) ? ReadSignalFeatures(ref reader) : null; break;
                case 6: regime = StartSection(ref reader) ? ReadRegimeFeatures(ref reader) : null; break;
                case 7: news = ReadNewsValue(ref reader); break;
                case 8: decisionDrivers = StringList(ref reader); break;
                case 9: execution = StartSection(ref reader) ? ReadExecutionFeatures(ref reader) : null; break;
                case 10: outcome = StartSection(ref reader) ? ReadOutcomeFeatures(ref reader) : null; break;
                case 11: labels = StartSection(ref reader) ? ReadFeatureLabels(ref reader) : null; break;
                case 12: avoided = StartSection(ref reader) ? ReadAvoidedDecision(ref reader) : null; break;
                case 13: updatedAt = NullableInt64(ref reader); break;
            }
        }

        // A missing id or asset leaves the property initializer ("") or not, depending on the serializer's
        // version (System.Text.Json 10 passes null over it); it is rare, so the serializer decides.
        if (!hasId || !hasAsset)
        {
            throw Unsupported();
        }

        return new FeatureRecord
        {
            Id = id!,
            Timestamp = timestamp,
            Asset = asset!,
            Market = market,
            Session = session,
            Signal = signal,
            Regime = regime,
            News = news,
            DecisionDrivers = decisionDrivers,
            Execution = execution,
            Outcome = outcome,
            Labels = labels,
            Avoided = avoided,
            UpdatedAt = updatedAt,
            ExtensionData = extension,
        };
    }

    /// <summary>The <c>news</c> value as <see cref="NewsSectionConverter"/> reads it: an object, a legacy list kept whole, or null.</summary>
    private NewsFeatures? ReadNewsValue(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            return new NewsFeatures { LegacyList = JsonElement.ParseValue(ref reader) };
        }

        return StartSection(ref reader) ? ReadNewsFeatures(ref reader) : null;
    }

    /// <summary>
    /// Moves to the value of the next property of <paramref name="keys"/> and returns its index; false at the
    /// object's end. On the way, unknown keys go into <paramref name="extension"/> as the serializer stores
    /// them (last duplicate wins, first position kept) and ignored keys are skipped.
    /// </summary>
    private static bool NextProperty(ref Utf8JsonReader reader, ref Dictionary<string, JsonElement>? extension, KeyTable keys, ref int next, out int key)
    {
        while (true)
        {
            reader.Read();
            if (reader.TokenType == JsonTokenType.EndObject)
            {
                key = KeyTable.Unknown;
                return false;
            }

            // The serializer matches unescaped names; escapes are rare enough to leave to it.
            if (reader.ValueIsEscaped)
            {
                throw Unsupported();
            }

            key = keys.Find(reader.ValueSpan, ref next);
            if (key == KeyTable.Unknown)
            {
                string name = reader.GetString()!;
                reader.Read();
                extension ??= new Dictionary<string, JsonElement>();
                extension[name] = JsonElement.ParseValue(ref reader);
                continue;
            }

            reader.Read();
            if (key >= keys.PropertyCount)
            {
                reader.Skip();
                continue;
            }

            return true;
        }
    }

    /// <summary>True on a section object; false on null; the serializer decides anything else.</summary>
    private static bool StartSection(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.StartObject => true,
        JsonTokenType.Null => false,
        _ => throw Unsupported(),
    };

    private string? String(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => _strings.Get(ref reader),
        JsonTokenType.Null => null,
        _ => throw Unsupported(),
    };

    // The id is unique per record: not worth caching.
    private static string? Id(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.String => reader.GetString(),
        JsonTokenType.Null => null,
        _ => throw Unsupported(),
    };

    private static double? NullableDouble(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => GetDouble(ref reader),
        JsonTokenType.Null => null,
        _ => throw Unsupported(),
    };

    // FiniteDoubleConverter: null reads as NaN.
    private static double Double(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => GetDouble(ref reader),
        JsonTokenType.Null => double.NaN,
        _ => throw Unsupported(),
    };

    /// <summary><see cref="Utf8JsonReader.GetDouble"/>, with a shortcut for the usual short decimals.</summary>
    private static double GetDouble(ref Utf8JsonReader reader)
        => !reader.HasValueSequence && TryParseShortDecimal(reader.ValueSpan, out double value) ? value : reader.GetDouble();

    // 10^0 .. 10^22: every one is exactly a double.
    private static ReadOnlySpan<double> ExactPowersOf10 =>
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19,
        1e20, 1e21, 1e22,
    ];

    /// <summary>
    /// Parses a JSON number (the reader has checked its grammar) whose digits, without the point, form an
    /// integer w ≤ 2^53 and whose decimal exponent q is within ±22. Then w and 10^|q| are exact doubles and one
    /// IEEE multiplication or division rounds correctly, so the result is bit for bit what any correct parser
    /// (the reader's) returns. Anything else returns <see langword="false"/> and goes to the reader.
    /// </summary>
    internal static bool TryParseShortDecimal(ReadOnlySpan<byte> number, out double value)
    {
        value = 0;
        int i = 0;
        bool negative = number.Length > 0 && number[0] == (byte)'-';
        if (negative)
        {
            i = 1;
        }

        ulong digits = 0;
        int fractionDigits = 0;
        bool inFraction = false;
        for (; i < number.Length; i++)
        {
            uint digit = (uint)(number[i] - '0');
            if (digit <= 9)
            {
                if (digits > (1UL << 53) / 10)
                {
                    return false; // more digits than an exact double holds
                }

                digits = (digits * 10) + digit;
                fractionDigits += inFraction ? 1 : 0;
            }
            else if (number[i] == (byte)'.' && !inFraction)
            {
                inFraction = true;
            }
            else
            {
                break;
            }
        }

        int exponent = 0;
        if (i < number.Length)
        {
            if ((number[i] | 0x20) != (byte)'e')
            {
                return false;
            }

            i++;
            bool negativeExponent = i < number.Length && number[i] == (byte)'-';
            if (i < number.Length && number[i] is (byte)'-' or (byte)'+')
            {
                i++;
            }

            for (; i < number.Length; i++)
            {
                uint digit = (uint)(number[i] - '0');
                if (digit > 9 || exponent > 1000)
                {
                    return false;
                }

                exponent = (exponent * 10) + (int)digit;
            }

            exponent = negativeExponent ? -exponent : exponent;
        }

        if (digits > 1UL << 53)
        {
            return false;
        }

        int scale = exponent - fractionDigits;
        double result = digits;
        if (scale > 0)
        {
            if (scale > 22)
            {
                return false;
            }

            result *= ExactPowersOf10[scale];
        }
        else if (scale < 0)
        {
            if (scale < -22)
            {
                return false;
            }

            result /= ExactPowersOf10[-scale];
        }

        value = negative ? -result : result;
        return true;
    }

    private static long? NullableInt64(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Null ? null : Int64(ref reader);

    private static JsonElement? NullableElement(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader);

    private static List<SignalSource>? SignalSourceList(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Null ? null : SignalSourceListConverter.ReadList(ref reader);

    private static bool? NullableBoolean(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        JsonTokenType.Null => null,
        _ => throw Unsupported(),
    };

    private static bool Boolean(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw Unsupported(),
    };

    private static int? NullableInt32(ref Utf8JsonReader reader) => reader.TokenType switch
    {
        JsonTokenType.Number => LenientIntegers.ReadInt32(ref reader),
        JsonTokenType.Null => null,
        _ => throw Unsupported(),
    };

    private static int Int32(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Number ? LenientIntegers.ReadInt32(ref reader) : throw Unsupported();

    private static long Int64(ref Utf8JsonReader reader)
        => reader.TokenType == JsonTokenType.Number ? LenientIntegers.ReadInt64(ref reader) : throw Unsupported();

    private List<string>? StringList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Unsupported();
        }

        var list = new List<string>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(String(ref reader)!);
        }

        return list;
    }

    private static List<double>? DoubleList(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.Null)
        {
            return null;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw Unsupported();
        }

        var list = new List<double>();
        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
        {
            list.Add(Double(ref reader));
        }

        return list;
    }

    private static JsonException Unsupported() => new("Left to the serializer.");

    /// <summary>
    /// Shares one string per distinct short value (asset, session, direction, source and strategy names repeat on
    /// every line), saving the decoding and the allocation; strings are immutable, so a record cannot tell.
    /// </summary>
    private sealed class StringCache
    {
        private const int Slots = 512; // a power of two
        private const int MaxBytes = 64;

        private readonly byte[]?[] _keys = new byte[Slots][];
        private readonly string?[] _values = new string[Slots];

        /// <summary>The string the reader is on, as <see cref="Utf8JsonReader.GetString"/> returns it.</summary>
        public string Get(ref Utf8JsonReader reader)
        {
            ReadOnlySpan<byte> utf8 = reader.ValueSpan;
            if (reader.ValueIsEscaped || reader.HasValueSequence || utf8.Length > MaxBytes)
            {
                return reader.GetString()!;
            }

            uint hash = 2166136261; // FNV-1a
            foreach (byte b in utf8)
            {
                hash = (hash ^ b) * 16777619;
            }

            int slot = (int)(hash & (Slots - 1));
            if (_keys[slot] is { } key && utf8.SequenceEqual(key))
            {
                return _values[slot]!;
            }

            // A miss decodes through the reader, which also validates the UTF-8 (hits equal a validated key).
            string value = reader.GetString()!;
            _keys[slot] = utf8.ToArray();
            _values[slot] = value;
            return value;
        }
    }

    /// <summary>The JSON keys of one type: its properties in declaration order (the order the serializer writes them), then keys it ignores.</summary>
    internal sealed class KeyTable
    {
        public const int Unknown = -1;

        private readonly byte[][] _utf8;

        public KeyTable(string[] properties, string[]? ignored = null)
        {
            Properties = properties;
            Ignored = ignored ?? [];
            _utf8 = [.. properties.Concat(Ignored).Select(Encoding.UTF8.GetBytes)];
        }

        public IReadOnlyList<string> Properties { get; }

        public IReadOnlyList<string> Ignored { get; }

        public int PropertyCount => Properties.Count;

        /// <summary>Finds <paramref name="name"/>, trying the key after the previous match first (writers keep declaration order).</summary>
        public int Find(ReadOnlySpan<byte> name, ref int next)
        {
            byte[][] keys = _utf8;
            int expected = next;
            if ((uint)expected < (uint)keys.Length && name.SequenceEqual(keys[expected]))
            {
                next = expected + 1;
                return expected;
            }

            for (int i = 0; i < keys.Length; i++)
            {
                if (name.SequenceEqual(keys[i]))
                {
                    next = i + 1;
                    return i;
                }
            }

            return Unknown;
        }
    }
}
