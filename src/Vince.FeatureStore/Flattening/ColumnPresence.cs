using System.Text;
using System.Text.Json;

namespace Vince.FeatureStore.Flattening;

/// <summary>
/// Decides which flattened columns a data set has while the log's version scan tokenizes each line, so a
/// training export need not deserialize every record a second time. It applies the presence rules of
/// <see cref="FeatureSchema.AddPresent"/> to raw JSON (a test holds the two to the same result) and, like the
/// Python script, counts every line, superseded versions included. A key whose value is null is a column too
/// (pandas keeps a column that is null in every row; a model matrix has 0 there), which typed records cannot
/// show: their null and missing keys look alike.
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
    private readonly Dictionary<(int Section, int Hash), SectionKey[]> _keys = [];

    // Per section, the keys of the last line in their order: lines of one log mostly share a shape, so a key
    // is usually found by one byte comparison with the key at the same position.
    private readonly List<SectionKey>[] _lastKeys = [.. Sections.Select(_ => new List<SectionKey>())];
    private bool _alwaysPresentAdded;
    private bool _labelsObjectColumnsAdded;

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
        if (!_alwaysPresentAdded)
        {
            _alwaysPresentAdded = true;
            foreach (string column in AlwaysPresent)
            {
                Add(column);
            }
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
            if (!_labelsObjectColumnsAdded)
            {
                _labelsObjectColumnsAdded = true;
                foreach (string column in LabelsObjectColumns)
                {
                    Add(column);
                }
            }
        }

        int position = 0;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            SectionKey key = Key(section, position++, ref reader);
            reader.Read();
            JsonTokenType value = reader.TokenType;
            switch (value)
            {
                case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False or JsonTokenType.String:
                    Scalar(key, value);
                    break;
                case JsonTokenType.Null:
                    if (key.Rule == KeyRule.LabelRMultiple)
                    {
                        _rMultipleNull = true;
                    }

                    // The key's own column only: the columns derived from a value (signal_avg_sentiment, label_profitable
                    // from the outcome, label_maxAdverseExcursion from the outcome) need one.
                    if (key.Rule is not (KeyRule.SignalSources or KeyRule.NotAColumn))
                    {
                        AddKey(key);
                    }

                    break;
                case JsonTokenType.StartArray when key.Rule == KeyRule.SignalSources:
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

            switch (key.Rule)
            {
                case KeyRule.LabelMae:
                    _labelsMae = value == JsonTokenType.Null ? _labelsMae : value;
                    break;
                case KeyRule.OutcomeMae:
                    _outcomeMae = value;
                    break;
                case KeyRule.OutcomeProfitable:
                    _outcomeProfitable = value;
                    break;
            }
        }
    }

    /// <summary>The section prefixes, in the order the version scan passes their indexes.</summary>
    public static readonly string[] Sections = ["market_", "session_", "signal_", "regime_", "news_", "exec_", "outcome_", "label_"];

    private void Scalar(SectionKey key, JsonTokenType value)
    {
        switch (key.Rule)
        {
            case KeyRule.SignalSources or KeyRule.NotAColumn:
                return; // never columns
            case KeyRule.SignalAvgSentiment when value == JsonTokenType.Number:
                Add("signal_avg_sentiment");
                break;
            case KeyRule.OutcomeMae when value == JsonTokenType.Number:
                Add("label_maxAdverseExcursion");
                break;
            case KeyRule.OutcomeProfitable when value is JsonTokenType.True or JsonTokenType.False or JsonTokenType.Number:
                Add("label_profitable");
                break;
        }

        AddKey(key);
    }

    private void AddKey(SectionKey key)
    {
        if (!key.Added)
        {
            key.Added = true;
            Add(key.Column);
        }
    }

    private void Add(string column)
    {
        if (_present.Add(column))
        {
            _order.Add(column);
        }
    }

    /// <summary>The key the reader is on, the <paramref name="position"/>-th of its section object; built once per distinct key.</summary>
    private SectionKey Key(int section, int position, ref Utf8JsonReader reader)
    {
        ReadOnlySpan<byte> name = reader.HasValueSequence || reader.ValueIsEscaped ? Encoding.UTF8.GetBytes(reader.GetString()!) : reader.ValueSpan;
        List<SectionKey> last = _lastKeys[section];
        if (position < last.Count && name.SequenceEqual(last[position].Utf8))
        {
            return last[position];
        }

        SectionKey key = Find(section, name);
        if (position < last.Count)
        {
            last[position] = key;
        }
        else
        {
            last.Add(key);
        }

        return key;
    }

    private SectionKey Find(int section, ReadOnlySpan<byte> name)
    {
        int hash = Hash(name);
        if (_keys.TryGetValue((section, hash), out SectionKey[]? candidates))
        {
            foreach (SectionKey candidate in candidates)
            {
                if (name.SequenceEqual(candidate.Utf8))
                {
                    return candidate;
                }
            }
        }

        string column = Sections[section] + Encoding.UTF8.GetString(name);
        var key = new SectionKey(column, name.ToArray(), RuleOf(column));
        _keys[(section, hash)] = candidates is null ? [key] : [.. candidates, key];
        return key;
    }

    private static KeyRule RuleOf(string column) => column switch
    {
        "signal_sources" => KeyRule.SignalSources,
        "signal_factors" => KeyRule.NotAColumn,
        "signal_avgSentiment" => KeyRule.SignalAvgSentiment,
        "outcome_maxAdverseExcursion" => KeyRule.OutcomeMae,
        "outcome_profitable" => KeyRule.OutcomeProfitable,
        "label_maxAdverseExcursion" => KeyRule.LabelMae,
        "label_rMultiple" => KeyRule.LabelRMultiple,
        _ => KeyRule.None,
    };

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

    /// <summary>The keys whose presence rules differ from "a scalar makes a column".</summary>
    private enum KeyRule : byte
    {
        None,
        NotAColumn,
        SignalSources,
        SignalAvgSentiment,
        OutcomeMae,
        OutcomeProfitable,
        LabelMae,
        LabelRMultiple,
    }

    /// <summary>One key of one section: its UTF-8 name, its column, its rule, and whether the column was added.</summary>
    private sealed class SectionKey(string column, byte[] utf8, KeyRule rule)
    {
        public string Column { get; } = column;

        public byte[] Utf8 { get; } = utf8;

        public KeyRule Rule { get; } = rule;

        public bool Added { get; set; }
    }
}
