using System.Text.Json;

namespace Vince.FeatureStore.Flattening;

/// <summary>
/// Reads one named column of a record. <paramref name="numericOnly"/> lets model-input callers skip
/// materialising strings (they count as 0 there anyway), which keeps scoring allocation-free.
/// </summary>
internal delegate FeatureValue ColumnAccessor(FeatureRecord record, bool numericOnly);

/// <summary>
/// How a column is read: <see cref="Read"/> of the record itself (<see cref="Lag"/> 0), of the asset's record
/// <see cref="Lag"/> positions earlier (1..<see cref="FeatureHistory.Depth"/>), or, when <see cref="IsRollingMean"/>,
/// the mean of <see cref="Read"/> over the earlier records that have a number. <see cref="CompiledColumns"/> evaluates it.
/// A scalar property of a section also names <see cref="Section"/> and <see cref="Key"/>, which
/// <see cref="FeatureSchema.ReadKnown"/> reads without a delegate call.
/// </summary>
internal readonly record struct ColumnRule(ColumnAccessor Read, int Lag, bool IsRollingMean, SectionId Section = SectionId.None, int Key = 0)
{
    /// <summary>The column whose value this one reads: its own name, or the name without <c>_lagN</c> / <c>_roll3</c>.</summary>
    public string Base { get; init; } = "";

    /// <summary>Whether the column reads earlier records of the asset.</summary>
    public bool ReadsHistory => Lag > 0 || IsRollingMean;
}

/// <summary>The sections of a record that flatten to columns.</summary>
internal enum SectionId
{
    /// <summary>Not a section's scalar property.</summary>
    None = 0,
    Market,
    Session,
    Signal,
    Regime,
    News,
    Execution,
    Outcome,
    Labels,
}

/// <summary>A section's columns, whatever its type.</summary>
internal interface ISectionSchema
{
    /// <summary>Which section.</summary>
    SectionId Id { get; }

    /// <summary>The column prefix, e.g. <c>market_</c>.</summary>
    string Prefix { get; }

    /// <summary>The section object of the record, or null when it has none.</summary>
    object? SectionOf(FeatureRecord record);

    /// <summary>The rule of the column <see cref="Prefix"/> + <paramref name="key"/>, or null when it is no column.</summary>
    ColumnRule? Resolve(string key);

    /// <summary>Adds every present scalar key of the record's section as <c>prefix_key</c>.</summary>
    void AddPresent(FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into);
}

/// <summary>One section of the record (<c>market</c> → <c>market_*</c>): its known keys and its extension keys.</summary>
internal sealed class SectionSchema<T>(
    SectionId id,
    string prefix,
    Func<FeatureRecord, T?> select,
    Func<T, Dictionary<string, JsonElement>?> extensions,
    (string Key, Func<T, FeatureValue> Get)[] known,
    params string[] excludedKeys) : ISectionSchema
    where T : class
{
    private readonly Dictionary<string, int> _byKey = known.Select((k, i) => (k.Key, i)).ToDictionary(k => k.Key, k => k.i, StringComparer.Ordinal);
    private readonly HashSet<string> _excluded = new(excludedKeys, StringComparer.Ordinal);
    private readonly string[] _knownNames = known.Select(k => prefix + k.Key).ToArray();

    // Column names of extension keys, built once per key: flattening runs per record.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _extensionNames = new(StringComparer.Ordinal);

    public SectionId Id => id;

    public string Prefix { get; } = prefix;

    public object? SectionOf(FeatureRecord record) => select(record);

    public ColumnRule? Resolve(string key)
    {
        if (_excluded.Contains(key))
        {
            return null;
        }

        if (_byKey.TryGetValue(key, out int index))
        {
            Func<T, FeatureValue> get = known[index].Get;
            return new ColumnRule((record, _) => select(record) is { } section ? get(section) : default, 0, IsRollingMean: false, id, index);
        }

        return new ColumnRule(
            (record, numericOnly) => select(record) is { } section && extensions(section) is { } ext && ext.TryGetValue(key, out JsonElement value)
                ? FeatureSchema.FromJson(value, numericOnly)
                : default,
            0,
            IsRollingMean: false);
    }

    /// <summary>Adds every present scalar key of the record's section as <c>prefix_key</c>.</summary>
    public void AddPresent(FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into)
    {
        if (select(record) is not { } section)
        {
            return;
        }

        for (int i = 0; i < known.Length; i++)
        {
            FeatureValue value = known[i].Get(section);
            if (value.HasValue)
            {
                into.Add(new(_knownNames[i], value));
            }
        }

        if (extensions(section) is { } ext)
        {
            foreach (KeyValuePair<string, JsonElement> pair in ext)
            {
                if (!_excluded.Contains(pair.Key) && !_byKey.ContainsKey(pair.Key) && FeatureSchema.FromJson(pair.Value, false) is { HasValue: true } value)
                {
                    into.Add(new(_extensionNames.GetOrAdd(pair.Key, static (key, prefix) => prefix + key, Prefix), value));
                }
            }
        }
    }
}

/// <summary>
/// The flattening rules of the Python training script (FORMATS.md §6), as named column accessors.
/// Every path that turns a record into numbers (training export, scoring) resolves columns here.
/// </summary>
internal static class FeatureSchema
{
    // The known columns of each section are generated from its record (SectionColumns); a section's other keys are
    // its list-valued properties (skipped, as in the script) and those with a column rule of their own (Special).
    // The one map from a section to the record's property.
    internal static readonly ISectionSchema[] Sections =
    [
        new SectionSchema<MarketFeatures>(SectionId.Market, "market_", r => r.Market, s => s.ExtensionData,
            SectionColumns.MarketFeatures, SectionColumns.MarketFeaturesOtherKeys),
        new SectionSchema<SessionFeatures>(SectionId.Session, "session_", r => r.Session, s => s.ExtensionData,
            SectionColumns.SessionFeatures, SectionColumns.SessionFeaturesOtherKeys),
        new SectionSchema<SignalFeatures>(SectionId.Signal, "signal_", r => r.Signal, s => s.ExtensionData,
            SectionColumns.SignalFeatures, SectionColumns.SignalFeaturesOtherKeys),
        new SectionSchema<RegimeFeatures>(SectionId.Regime, "regime_", r => r.Regime, s => s.ExtensionData,
            SectionColumns.RegimeFeatures, SectionColumns.RegimeFeaturesOtherKeys),
        // A legacy list-shaped news section has no keys: select null so it contributes only news_avg_sentiment.
        new SectionSchema<NewsFeatures>(SectionId.News, "news_", r => r.News is { LegacyList: null } n ? n : null, s => s.ExtensionData,
            SectionColumns.NewsFeatures, SectionColumns.NewsFeaturesOtherKeys),
        new SectionSchema<ExecutionFeatures>(SectionId.Execution, "exec_", r => r.Execution, s => s.ExtensionData,
            SectionColumns.ExecutionFeatures, SectionColumns.ExecutionFeaturesOtherKeys),
        new SectionSchema<OutcomeFeatures>(SectionId.Outcome, "outcome_", r => r.Outcome, s => s.ExtensionData,
            SectionColumns.OutcomeFeatures, SectionColumns.OutcomeFeaturesOtherKeys),
        // label_profitable and label_maxAdverseExcursion have fallbacks and are resolved as special columns.
        new SectionSchema<FeatureLabels>(SectionId.Labels, "label_", r => r.Labels, s => s.ExtensionData,
            SectionColumns.FeatureLabels, [.. SectionColumns.FeatureLabelsOtherKeys, "maxAdverseExcursion"]),
    ];

    // Sections by SectionId (index 0, None, has none).
    private static readonly ISectionSchema?[] SectionsById = [null, .. Sections.OrderBy(s => s.Id)];

    private static ISectionSchema SchemaOf(SectionId section) => SectionsById[(int)section]!;


    /// <summary>The wtt keys, in the script's order; primary and invalidateHit are booleans (1/0).</summary>
    public static readonly string[] WttKeys = ["primary", "alignment", "edge", "payoffShape", "timingForgiveness", "invalidateHit"];

    /// <summary>The market columns that get lag and rolling-mean columns, in the script's order.</summary>
    public static readonly string[] LaggedColumns =
    [
        "market_priceChange24h", "market_volumeRatio", "market_fundingPercentile", "market_longShortRatio",
        "market_atrPct", "market_rsi14", "market_oiChange24h", "market_dvol",
    ];

    private static readonly Dictionary<string, ColumnAccessor> Special = new(StringComparer.Ordinal)
    {
        ["id"] = (r, _) => FeatureValue.Of(r.Id),
        ["timestamp"] = (r, _) => FeatureValue.Of((double)r.Timestamp),
        ["asset"] = (r, _) => FeatureValue.Of(r.Asset ?? ""),
        ["signal_source_count"] = (r, _) => FeatureValue.Of((double)(r.Signal?.Sources?.Count ?? 0)),
        ["signal_avg_sentiment"] = (r, _) => SignalAverageSentiment(r),
        ["news_avg_sentiment"] = (r, _) => NewsAverageSentiment(r),
        ["label_profitable"] = (r, _) => LabelProfitable(r),
        ["label_maxAdverseExcursion"] = (r, numericOnly) => LabelMaxAdverseExcursion(r, numericOnly),
        ["news_macro_risk_on"] = (r, _) => Flag(r.News?.MacroRiskEnvironment == "risk_on"),
        ["news_macro_risk_off"] = (r, _) => Flag(r.News?.MacroRiskEnvironment == "risk_off"),
        ["regime_volatility_high"] = (r, _) => Flag(r.Regime?.VolatilityRegime == "high"),
        ["regime_bullish"] = (r, _) => Flag(r.Regime?.MarketRegime == "bullish"),
        ["regime_bearish"] = (r, _) => Flag(r.Regime?.MarketRegime == "bearish"),
        ["volatility_level"] = (r, _) => FeatureValue.Of(r.Regime?.VolatilityRegime switch { "low" => 0.0, "high" => 2.0, _ => 1.0 }),
        ["market_regime_num"] = (r, _) => FeatureValue.Of(r.Regime?.MarketRegime switch { "bearish" => -1.0, "bullish" => 1.0, _ => 0.0 }),
        ["signal_direction_num"] = (r, _) => Flag(r.Signal?.Direction == "long"),
    };

    /// <summary>Derived columns and the raw column whose presence in the data makes them present.</summary>
    public static readonly (string Derived, string Source)[] DerivedColumns =
    [
        ("news_macro_risk_on", "news_macroRiskEnvironment"),
        ("news_macro_risk_off", "news_macroRiskEnvironment"),
        ("regime_volatility_high", "regime_volatilityRegime"),
        ("regime_bullish", "regime_marketRegime"),
        ("regime_bearish", "regime_marketRegime"),
        ("volatility_level", "regime_volatilityRegime"),
        ("market_regime_num", "regime_marketRegime"),
        ("signal_direction_num", "signal_direction"),
    ];

    /// <summary>Finds the rule of a column name, or <see langword="null"/> when no rule produces it.</summary>
    public static ColumnRule? Resolve(string name)
    {
        if (ResolveNamed(name) is { } named)
        {
            return new ColumnRule(named, 0, IsRollingMean: false) { Base = name };
        }

        // A lag or rolling column of a column the record has on its own: …_lag1..3, …_roll3.
        int underscore = name.LastIndexOf('_');
        int lag = underscore <= 0 ? -1 : name.AsSpan(underscore + 1) switch { "lag1" => 1, "lag2" => 2, "lag3" => 3, "roll3" => 0, _ => -1 };
        if (lag >= 0 && Resolve(name[..underscore]) is { } inner)
        {
            // A lag of a lag has no rule (the trainers never write one).
            return inner.ReadsHistory ? null : inner with { Lag = lag, IsRollingMean = lag == 0 };
        }

        foreach (ISectionSchema section in Sections)
        {
            if (name.StartsWith(section.Prefix, StringComparison.Ordinal) && name.Length > section.Prefix.Length)
            {
                return section.Resolve(name[section.Prefix.Length..]) is { } rule ? rule with { Base = name } : null;
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a lag or rolling column of a known column (<c>…_lag1..3</c>, <c>…_roll3</c>).</summary>
    public static bool IsLagColumn(string name) => Resolve(name) is { ReadsHistory: true };

    /// <summary>The special columns, asset dummies and wtt columns: matched before the lag suffix and the section prefixes.</summary>
    private static ColumnAccessor? ResolveNamed(string name)
    {
        if (Special.TryGetValue(name, out ColumnAccessor? special))
        {
            return special;
        }

        if (name.StartsWith("asset_", StringComparison.Ordinal) && name.Length > "asset_".Length)
        {
            string ticker = name["asset_".Length..];
            return (r, _) => Flag(string.Equals(r.Asset, ticker, StringComparison.Ordinal));
        }

        if (name.StartsWith("wtt_", StringComparison.Ordinal) && Array.IndexOf(WttKeys, name["wtt_".Length..]) >= 0)
        {
            string key = name["wtt_".Length..];
            return (r, numericOnly) => Wtt(r, key, numericOnly);
        }

        return null;
    }

    /// <summary>
    /// Writes the numbers of the scalar columns <paramref name="keys"/> of <paramref name="section"/> of
    /// <paramref name="record"/> to <c>numbers[slots[i]]</c>, as their values' <see cref="FeatureValue.NumberOrNaN"/>
    /// (all NaN when there is no record or no such section): one generated switch per section type, for scoring.
    /// </summary>
    public static void ReadKnown(FeatureRecord? record, SectionId section, ReadOnlySpan<int> keys, ReadOnlySpan<int> slots, Span<double> numbers)
    {
        switch (record is null ? null : SchemaOf(section).SectionOf(record))
        {
            case MarketFeatures s: SectionColumns.MarketFeaturesNumbers(s, keys, slots, numbers); break;
            case SessionFeatures s: SectionColumns.SessionFeaturesNumbers(s, keys, slots, numbers); break;
            case SignalFeatures s: SectionColumns.SignalFeaturesNumbers(s, keys, slots, numbers); break;
            case RegimeFeatures s: SectionColumns.RegimeFeaturesNumbers(s, keys, slots, numbers); break;
            case NewsFeatures s: SectionColumns.NewsFeaturesNumbers(s, keys, slots, numbers); break;
            case ExecutionFeatures s: SectionColumns.ExecutionFeaturesNumbers(s, keys, slots, numbers); break;
            case OutcomeFeatures s: SectionColumns.OutcomeFeaturesNumbers(s, keys, slots, numbers); break;
            case FeatureLabels s: SectionColumns.FeatureLabelsNumbers(s, keys, slots, numbers); break;
            default:
                foreach (int slot in slots)
                {
                    numbers[slot] = double.NaN;
                }

                break;
        }
    }

    /// <summary>Every column the record has on its own (no lags, no asset dummies), in a stable order.</summary>
    public static void AddPresent(FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into)
    {
        into.Add(new("id", FeatureValue.Of(record.Id)));
        into.Add(new("timestamp", FeatureValue.Of((double)record.Timestamp)));
        into.Add(new("asset", FeatureValue.Of(record.Asset ?? "")));
        SchemaOf(SectionId.Market).AddPresent(record, into);
        SchemaOf(SectionId.Session).AddPresent(record, into);
        SchemaOf(SectionId.Signal).AddPresent(record, into);
        into.Add(new("signal_source_count", Special["signal_source_count"](record, false)));
        AddIfPresent("signal_avg_sentiment", record, into);
        SchemaOf(SectionId.Regime).AddPresent(record, into);
        SchemaOf(SectionId.News).AddPresent(record, into);
        AddIfPresent("news_avg_sentiment", record, into);
        SchemaOf(SectionId.Execution).AddPresent(record, into);
        SchemaOf(SectionId.Outcome).AddPresent(record, into);
        AddIfPresent("label_profitable", record, into);
        SchemaOf(SectionId.Labels).AddPresent(record, into);
        AddIfPresent("label_maxAdverseExcursion", record, into);
        if (record.ExtensionData?.TryGetValue("wtt", out JsonElement wtt) == true && wtt.ValueKind == JsonValueKind.Object)
        {
            foreach (string key in WttKeys)
            {
                into.Add(new("wtt_" + key, Wtt(record, key, false)));
            }
        }

        foreach ((string derived, _) in DerivedColumns)
        {
            into.Add(new(derived, Special[derived](record, false)));
        }
    }

    private static void AddIfPresent(string name, FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into)
    {
        FeatureValue value = Special[name](record, false);
        if (value.HasValue)
        {
            into.Add(new(name, value));
        }
    }

    internal static FeatureValue FromJson(JsonElement value, bool numericOnly) => value.ValueKind switch
    {
        JsonValueKind.Number => FeatureValue.Of(value.GetDouble()),
        JsonValueKind.True => FeatureValue.Of(true),
        JsonValueKind.False => FeatureValue.Of(false),
        // Text is 0 in a model matrix; model callers need not allocate the string.
        JsonValueKind.String => numericOnly ? FeatureValue.Of("") : FeatureValue.Of(value.GetString()),
        _ => default, // null, objects and lists are not columns
    };

    private static FeatureValue Flag(bool value) => FeatureValue.Of(value ? 1.0 : 0.0);

    private static FeatureValue SignalAverageSentiment(FeatureRecord record)
    {
        SignalFeatures? signal = record.Signal;
        if (signal?.Sources is { Count: > 0 } sources && sources[0].IsObject)
        {
            double sum = 0;
            int count = 0;
            // Indexing, not foreach: enumerating the interface would allocate on the scoring path.
            for (int i = 0; i < sources.Count; i++)
            {
                SignalSource source = sources[i];
                if (source.IsObject && source.Sentiment is { } s && !double.IsNaN(s))
                {
                    sum += s;
                    count++;
                }
            }

            return FeatureValue.Of(count == 0 ? 0.0 : sum / count);
        }

        return FeatureValue.Of(signal?.AvgSentiment);
    }

    private static FeatureValue NewsAverageSentiment(FeatureRecord record)
    {
        if (record.News?.LegacyList is not { ValueKind: JsonValueKind.Array } list)
        {
            return default;
        }

        double sum = 0;
        int count = 0;
        foreach (JsonElement item in list.EnumerateArray())
        {
            if (item.ValueKind == JsonValueKind.Object && item.TryGetProperty("sentiment", out JsonElement s) && s.ValueKind == JsonValueKind.Number)
            {
                sum += s.GetDouble();
                count++;
            }
        }

        return FeatureValue.Of(count == 0 ? 0.0 : sum / count);
    }

    private static FeatureValue LabelProfitable(FeatureRecord record)
    {
        if (record.Labels is { } labels)
        {
            return FeatureValue.Of(labels.Profitable);
        }

        return record.Outcome?.ExtensionData?.TryGetValue("profitable", out JsonElement value) == true
            ? FromJson(value, true)
            : default;
    }

    private static FeatureValue LabelMaxAdverseExcursion(FeatureRecord record, bool numericOnly)
    {
        if (record.Labels?.ExtensionData?.TryGetValue("maxAdverseExcursion", out JsonElement value) == true && value.ValueKind != JsonValueKind.Null)
        {
            return FromJson(value, numericOnly);
        }

        return FeatureValue.Of(record.Outcome?.MaxAdverseExcursion);
    }

    private static FeatureValue Wtt(FeatureRecord record, string key, bool numericOnly)
    {
        if (record.ExtensionData?.TryGetValue("wtt", out JsonElement wtt) != true || wtt.ValueKind != JsonValueKind.Object)
        {
            return default;
        }

        if (!wtt.TryGetProperty(key, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return FeatureValue.Of(0.0); // the script fills a missing wtt key with 0
        }

        if (key is "primary" or "invalidateHit")
        {
            return Flag(value.ValueKind == JsonValueKind.True || (value.ValueKind == JsonValueKind.Number && value.GetDouble() != 0));
        }

        return FromJson(value, numericOnly);
    }
}
