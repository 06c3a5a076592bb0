using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Flattening;

/// <summary>
/// Decides which flattened columns a data set has while the log's version scan tokenizes each line, so a
/// training export need not deserialize every record a second time. It applies the presence rules of
/// <see cref="FeatureSchema.AddPresent"/> to raw JSON (a test holds the two to the same result) and, like the
/// Python script, counts every line, superseded versions included.
/// </summary>
internal sealed class ColumnPresence
{
    /// <summary>Bits of <see cref="LineRows"/>: the line is a training row of that model (bit = (int)model).</summary>
    private const byte SignalQualityRow = 1 << (int)TrainingModel.SignalQuality;
    private const byte PositionSizingRow = 1 << (int)TrainingModel.PositionSizing;
    private const byte TpOptimizerRow = 1 << (int)TrainingModel.TpOptimizer;
    private const byte SlOptimizerRow = 1 << (int)TrainingModel.SlOptimizer;

    private static readonly string[] AlwaysPresent =
    [
        "id", "timestamp", "asset", "signal_source_count",
        .. FeatureSchema.DerivedColumns.Select(d => d.Derived),
    ];

    // Labels whose typed properties are not nullable: present whenever a labels object is.
    private static readonly string[] LabelsObjectColumns =
    [
        "label_profitable", "label_winAmount", "label_lossAmount", "label_rMultiple", "label_optimalTpLevel",
        "label_stopTooTight", "label_betterEntryAvailable",
    ];

    private readonly HashSet<string> _present = new(StringComparer.Ordinal);
    private readonly List<string> _order = [];
    private readonly Dictionary<(int Section, int Hash), string[]> _names = [];

    // State of the line being scanned.
    private bool _labels;
    private bool _rMultipleNull;
    private JsonTokenType? _labelsMae;
    private JsonTokenType? _outcomeMae;
    private JsonTokenType? _outcomeProfitable;

    /// <summary>Columns seen, in order of first appearance.</summary>
    public IReadOnlyList<string> Columns => _order;

    public bool Contains(string column) => _present.Contains(column);

    /// <summary>Adds the columns another scan saw (a later file's), keeping first-appearance order.</summary>
    public void Merge(ColumnPresence other)
    {
        foreach (string column in other._order)
        {
            Add(column);
        }
    }

    public void BeginLine()
    {
        _labels = false;
        _rMultipleNull = false;
        _labelsMae = null;
        _outcomeMae = null;
        _outcomeProfitable = null;
        foreach (string column in AlwaysPresent)
        {
            Add(column);
        }
    }

    /// <summary>The models this line is a training row of, as bits of <see cref="TrainingModel"/>.</summary>
    public byte LineRows()
    {
        byte rows = 0;
        if (_labels || _outcomeProfitable is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Number)
        {
            rows |= SignalQualityRow;
        }

        if (_labels && !_rMultipleNull)
        {
            rows |= PositionSizingRow;
        }

        if (_labels)
        {
            rows |= TpOptimizerRow;
        }

        // labels.maxAdverseExcursion wins when it is there (even as a non-number); else the outcome's.
        bool mae = _labelsMae is { } labelsMae
            ? labelsMae is JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False
            : _outcomeMae is JsonTokenType.Number;
        if (mae)
        {
            rows |= SlOptimizerRow;
        }

        return rows;
    }

    /// <summary>Scans the top-level <c>wtt</c> value (the reader is on its first token).</summary>
    public void Wtt(ref Utf8JsonReader reader)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            foreach (string key in FeatureSchema.WttKeys)
            {
                Add("wtt_" + key);
            }
        }

        reader.Skip();
    }

    /// <summary>Scans a section value (the reader is on its first token) and leaves the reader on its last token.</summary>
    /// <param name="reader">The reader.</param>
    /// <param name="section">Index into <see cref="Sections"/>.</param>
    public void Section(ref Utf8JsonReader reader, int section)
    {
        string prefix = Sections[section];
        if (reader.TokenType == JsonTokenType.StartArray && prefix == "news_")
        {
            Add("news_avg_sentiment"); // a legacy list-shaped news section
            reader.Skip();
            return;
        }

        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.Skip();
            return;
        }

        if (prefix == "label_")
        {
            _labels = true;
            foreach (string column in LabelsObjectColumns)
            {
                Add(column);
            }
        }

        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            string name = ColumnName(section, prefix, ref reader);
            reader.Read();
            JsonTokenType value = reader.TokenType;
            switch (value)
            {
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.String:
                    Scalar(name, value);
                    break;
                case JsonTokenType.Null:
                    if (name == "label_rMultiple")
                    {
                        _rMultipleNull = true;
                    }

                    break;
                case JsonTokenType.StartArray when name == "signal_sources":
                    // Object-shaped sources give signal_avg_sentiment (their mean sentiment).
                    int depth = reader.CurrentDepth;
                    if (reader.Read() && reader.TokenType == JsonTokenType.StartObject)
                    {
                        Add("signal_avg_sentiment");
                    }

                    while (!(reader.TokenType == JsonTokenType.EndArray && reader.CurrentDepth == depth))
                    {
                        reader.Skip();
                        reader.Read();
                    }

                    break;
                default:
                    reader.Skip(); // objects and lists are not columns
                    break;
            }

            if (name == "label_maxAdverseExcursion")
            {
                _labelsMae = value == JsonTokenType.Null ? _labelsMae : value;
            }
            else if (name == "outcome_maxAdverseExcursion")
            {
                _outcomeMae = value;
            }
            else if (name == "outcome_profitable")
            {
                _outcomeProfitable = value;
            }
        }
    }

    /// <summary>The section prefixes, in the order the version scan passes their indexes.</summary>
    public static readonly string[] Sections = ["market_", "session_", "signal_", "regime_", "news_", "exec_", "outcome_", "label_"];

    private void Scalar(string name, JsonTokenType value)
    {
        switch (name)
        {
            case "signal_sources" or "signal_factors":
                return; // never columns
            case "signal_avgSentiment" when value == JsonTokenType.Number:
                Add("signal_avg_sentiment");
                break;
            case "outcome_maxAdverseExcursion" when value == JsonTokenType.Number:
                Add("label_maxAdverseExcursion");
                break;
            case "outcome_profitable" when value is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Number:
                Add("label_profitable");
                break;
        }

        Add(name);
    }

    private void Add(string column)
    {
        if (_present.Add(column))
        {
            _order.Add(column);
        }
    }

    /// <summary>The column name of the property the reader is on, built once per distinct key.</summary>
    private string ColumnName(int section, string prefix, ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> key = reader.HasValueSequence || reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        int hash = Hash(key);
        if (_names.TryGetValue((section, hash), out string[]? candidates))
        {
            foreach (string candidate in candidates)
            {
                if (Matches(candidate, prefix.Length, key))
                {
                    return candidate;
                }
            }
        }

        string name = prefix + Encoding.UTF8.GetString(key);
        _names[(section, hash)] = candidates is null ? [name] : [.. candidates, name];
        return name;
    }

    private static bool Matches(string candidate, int prefixLength, ReadOnlySpan<byte> key)
    {
        ReadOnlySpan<char> suffix = candidate.AsSpan(prefixLength);
        if (!Ascii.IsValid(key))
        {
            return suffix.SequenceEqual(Encoding.UTF8.GetString(key)); // rare: compare decoded
        }

        if (suffix.Length != key.Length)
        {
            return false;
        }

        for (int i = 0; i < key.Length; i++)
        {
            if (suffix[i] != key[i])
            {
                return false;
            }
        }

        return true;
    }

    private static int Hash(ReadOnlySpan<byte> key)
    {
        // FNV-1a: stable and cheap for short keys.
        uint hash = 2166136261;
        foreach (byte b in key)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)hash;
    }
}
