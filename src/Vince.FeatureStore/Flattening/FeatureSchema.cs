using System.Text.Json;

namespace Vince.FeatureStore.Flattening;

/// <summary>
/// Reads one named column of a record. <paramref name="numericOnly"/> lets model-input callers skip
/// materialising strings (they count as 0 there anyway), which keeps scoring allocation-free.
/// </summary>
internal delegate FeatureValue ColumnAccessor(FeatureRecord record, FeatureHistory? history, bool numericOnly);

/// <summary>One section of the record (<c>market</c> → <c>market_*</c>): its known keys and its extension keys.</summary>
internal sealed class SectionSchema<T>(
    string prefix,
    Func<FeatureRecord, T?> select,
    Func<T, Dictionary<string, JsonElement>?> extensions,
    (string Key, Func<T, FeatureValue> Get)[] known,
    params string[] excludedKeys)
    where T : class
{
    private readonly Dictionary<string, Func<T, FeatureValue>> _byKey = known.ToDictionary(k => k.Key, k => k.Get, StringComparer.Ordinal);
    private readonly HashSet<string> _excluded = new(excludedKeys, StringComparer.Ordinal);
    private readonly string[] _knownNames = known.Select(k => prefix + k.Key).ToArray();

    // Column names of extension keys, built once per key: flattening runs per record.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, string> _extensionNames = new(StringComparer.Ordinal);

    public string Prefix { get; } = prefix;

    public ColumnAccessor? Resolve(string key)
    {
        if (_excluded.Contains(key))
        {
            return null;
        }

        if (_byKey.TryGetValue(key, out Func<T, FeatureValue>? get))
        {
            return (record, _, _) => select(record) is { } section ? get(section) : default;
        }

        return (record, _, numericOnly) => select(record) is { } section && extensions(section) is { } ext && ext.TryGetValue(key, out JsonElement value)
            ? FeatureSchema.FromJson(value, numericOnly)
            : default;
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
    public static readonly SectionSchema<MarketFeatures> Market = new("market_", r => r.Market, s => s.ExtensionData,
        SectionColumns.MarketFeatures, SectionColumns.MarketFeaturesOtherKeys);

    public static readonly SectionSchema<SessionFeatures> Session = new("session_", r => r.Session, s => s.ExtensionData,
        SectionColumns.SessionFeatures, SectionColumns.SessionFeaturesOtherKeys);

    public static readonly SectionSchema<SignalFeatures> Signal = new("signal_", r => r.Signal, s => s.ExtensionData,
        SectionColumns.SignalFeatures, SectionColumns.SignalFeaturesOtherKeys);

    public static readonly SectionSchema<RegimeFeatures> Regime = new("regime_", r => r.Regime, s => s.ExtensionData,
        SectionColumns.RegimeFeatures, SectionColumns.RegimeFeaturesOtherKeys);

    // A legacy list-shaped news section has no keys: select null so it contributes only news_avg_sentiment.
    public static readonly SectionSchema<NewsFeatures> News = new("news_", r => r.News is { LegacyList: null } n ? n : null, s => s.ExtensionData,
        SectionColumns.NewsFeatures, SectionColumns.NewsFeaturesOtherKeys);

    public static readonly SectionSchema<ExecutionFeatures> Execution = new("exec_", r => r.Execution, s => s.ExtensionData,
        SectionColumns.ExecutionFeatures, SectionColumns.ExecutionFeaturesOtherKeys);

    public static readonly SectionSchema<OutcomeFeatures> Outcome = new("outcome_", r => r.Outcome, s => s.ExtensionData,
        SectionColumns.OutcomeFeatures, SectionColumns.OutcomeFeaturesOtherKeys);

    // label_profitable and label_maxAdverseExcursion have fallbacks and are resolved as special columns.
    public static readonly SectionSchema<FeatureLabels> Labels = new("label_", r => r.Labels, s => s.ExtensionData,
        SectionColumns.FeatureLabels, [.. SectionColumns.FeatureLabelsOtherKeys, "maxAdverseExcursion"]);

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
        ["id"] = (r, _, _) => FeatureValue.Of(r.Id),
        ["timestamp"] = (r, _, _) => FeatureValue.Of((double)r.Timestamp),
        ["asset"] = (r, _, _) => FeatureValue.Of(r.Asset ?? ""),
        ["signal_source_count"] = (r, _, _) => FeatureValue.Of((double)(r.Signal?.Sources?.Count ?? 0)),
        ["signal_avg_sentiment"] = (r, _, _) => SignalAverageSentiment(r),
        ["news_avg_sentiment"] = (r, _, _) => NewsAverageSentiment(r),
        ["label_profitable"] = (r, _, _) => LabelProfitable(r),
        ["label_maxAdverseExcursion"] = (r, _, numericOnly) => LabelMaxAdverseExcursion(r, numericOnly),
        ["news_macro_risk_on"] = (r, _, _) => Flag(r.News?.MacroRiskEnvironment == "risk_on"),
        ["news_macro_risk_off"] = (r, _, _) => Flag(r.News?.MacroRiskEnvironment == "risk_off"),
        ["regime_volatility_high"] = (r, _, _) => Flag(r.Regime?.VolatilityRegime == "high"),
        ["regime_bullish"] = (r, _, _) => Flag(r.Regime?.MarketRegime == "bullish"),
        ["regime_bearish"] = (r, _, _) => Flag(r.Regime?.MarketRegime == "bearish"),
        ["volatility_level"] = (r, _, _) => FeatureValue.Of(r.Regime?.VolatilityRegime switch { "low" => 0.0, "high" => 2.0, _ => 1.0 }),
        ["market_regime_num"] = (r, _, _) => FeatureValue.Of(r.Regime?.MarketRegime switch { "bearish" => -1.0, "bullish" => 1.0, _ => 0.0 }),
        ["signal_direction_num"] = (r, _, _) => Flag(r.Signal?.Direction == "long"),
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

    private static readonly ISectionResolver[] Sections =
    [
        new SectionResolver<MarketFeatures>(Market), new SectionResolver<SessionFeatures>(Session),
        new SectionResolver<SignalFeatures>(Signal), new SectionResolver<RegimeFeatures>(Regime),
        new SectionResolver<NewsFeatures>(News), new SectionResolver<ExecutionFeatures>(Execution),
        new SectionResolver<OutcomeFeatures>(Outcome), new SectionResolver<FeatureLabels>(Labels),
    ];

    /// <summary>Finds the accessor of a column name, or <see langword="null"/> when no rule produces it.</summary>
    public static ColumnAccessor? Resolve(string name)
    {
        if (Special.TryGetValue(name, out ColumnAccessor? special))
        {
            return special;
        }

        if (name.StartsWith("asset_", StringComparison.Ordinal) && name.Length > "asset_".Length)
        {
            string ticker = name["asset_".Length..];
            return (r, _, _) => Flag(string.Equals(r.Asset, ticker, StringComparison.Ordinal));
        }

        if (name.StartsWith("wtt_", StringComparison.Ordinal) && Array.IndexOf(WttKeys, name["wtt_".Length..]) >= 0)
        {
            string key = name["wtt_".Length..];
            return (r, _, numericOnly) => Wtt(r, key, numericOnly);
        }

        if (TryResolveLag(name, out ColumnAccessor? lag))
        {
            return lag;
        }

        foreach (ISectionResolver section in Sections)
        {
            if (name.StartsWith(section.Prefix, StringComparison.Ordinal) && name.Length > section.Prefix.Length)
            {
                return section.Resolve(name[section.Prefix.Length..]);
            }
        }

        return null;
    }

    /// <summary>Whether <paramref name="name"/> is a lag or rolling column of a known column (<c>…_lag1..3</c>, <c>…_roll3</c>).</summary>
    public static bool IsLagColumn(string name) => TryResolveLag(name, out _);

    private static bool TryResolveLag(string name, out ColumnAccessor? accessor)
    {
        accessor = null;
        int underscore = name.LastIndexOf('_');
        if (underscore <= 0)
        {
            return false;
        }

        string suffix = name[(underscore + 1)..];
        string baseName = name[..underscore];
        int lag = suffix switch { "lag1" => 1, "lag2" => 2, "lag3" => 3, "roll3" => 0, _ => -1 };
        if (lag < 0 || Resolve(baseName) is not { } inner)
        {
            return false;
        }

        if (lag > 0)
        {
            accessor = (r, history, numericOnly) => history?.Previous(r.Asset ?? "", lag) is { } previous ? inner(previous, null, numericOnly) : default;
            return true;
        }

        // Mean of the three lags, ignoring missing ones (pandas mean skips NaN).
        accessor = (r, history, _) =>
        {
            if (history is null)
            {
                return default;
            }

            double sum = 0;
            int count = 0;
            for (int i = 1; i <= FeatureHistory.Depth; i++)
            {
                if (history.Previous(r.Asset ?? "", i) is { } previous && inner(previous, null, true) is { Kind: FeatureValueKind.Number or FeatureValueKind.Boolean } value)
                {
                    sum += value.Number;
                    count++;
                }
            }

            return count == 0 ? default : FeatureValue.Of(sum / count);
        };
        return true;
    }

    /// <summary>Every column the record has on its own (no lags, no asset dummies), in a stable order.</summary>
    public static void AddPresent(FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into)
    {
        into.Add(new("id", FeatureValue.Of(record.Id)));
        into.Add(new("timestamp", FeatureValue.Of((double)record.Timestamp)));
        into.Add(new("asset", FeatureValue.Of(record.Asset ?? "")));
        Market.AddPresent(record, into);
        Session.AddPresent(record, into);
        Signal.AddPresent(record, into);
        into.Add(new("signal_source_count", Special["signal_source_count"](record, null, false)));
        AddIfPresent("signal_avg_sentiment", record, into);
        Regime.AddPresent(record, into);
        News.AddPresent(record, into);
        AddIfPresent("news_avg_sentiment", record, into);
        Execution.AddPresent(record, into);
        Outcome.AddPresent(record, into);
        AddIfPresent("label_profitable", record, into);
        Labels.AddPresent(record, into);
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
            into.Add(new(derived, Special[derived](record, null, false)));
        }
    }

    private static void AddIfPresent(string name, FeatureRecord record, List<KeyValuePair<string, FeatureValue>> into)
    {
        FeatureValue value = Special[name](record, null, false);
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

    private interface ISectionResolver
    {
        string Prefix { get; }

        ColumnAccessor? Resolve(string key);
    }

    private sealed class SectionResolver<T>(SectionSchema<T> schema) : ISectionResolver
        where T : class
    {
        public string Prefix => schema.Prefix;

        public ColumnAccessor? Resolve(string key) => schema.Resolve(key);
    }
}
