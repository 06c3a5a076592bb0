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
/// Why: the serializer buffers the init-only properties as boxed constructor arguments and goes through its
/// converter machinery per value; this reader assigns locals and builds each section once. What it mirrors:
/// camelCase keys matched case-sensitively; unknown keys into <c>ExtensionData</c> (last duplicate wins, first
/// position kept); <c>[JsonIgnore]</c> keys skipped; a missing section or value leaves its property at the
/// constructor-argument default (a record without <c>id</c> or <c>asset</c> goes to the serializer, whose versions
/// differ there); <c>null</c> for a non-nullable <see cref="double"/> is NaN; integers through
/// <see cref="LenientIntegers"/>; <c>signal.sources</c> through the converter's own code.
/// </remarks>
internal sealed class FeatureRecordReader
{
    // The serializer's reader options: no comments, no trailing commas, depth 64.
    private static readonly JsonReaderOptions ReaderOptions = new() { MaxDepth = 64 };

    internal static readonly KeyTable RecordKeys = new(
        ["id", "timestamp", "asset", "market", "session", "signal", "regime", "news", "decisionDrivers", "execution", "outcome", "labels", "avoided"],
        ignored: ["isComplete", "timestampUtc"]);

    internal static readonly KeyTable MarketKeys = new(
    [
        "price", "priceChange1h", "priceChange24h", "volume24h", "volumeRatio", "fundingRate", "fundingPercentile",
        "fundingDelta", "openInterest", "oiChange24h", "longShortRatio", "fearGreedIndex", "bookImbalance",
        "bidAskSpread", "dvol", "atrPct", "rsi14", "priceVsSma20",
    ]);

    internal static readonly KeyTable SessionKeys = new(["session", "utcHour", "dayOfWeek", "isWeekend", "isOpenWindow", "minutesSinceSessionStart"]);

    internal static readonly KeyTable SignalKeys = new(
    [
        "direction", "strength", "confidence", "sourceCount", "sources", "strategyName", "openWindowBoost",
        "conflictingCount", "hasCascadeSignal", "hasFundingExtreme", "hasWhaleSignal", "hasOICap",
        "highestWeightSource", "avgSentiment", "xSentimentScore", "factors",
    ]);

    internal static readonly KeyTable RegimeKeys = new(["volatilityRegime", "marketRegime", "fundingTrend", "volumeSpike", "oiCapRisk", "sentiment"]);

    internal static readonly KeyTable NewsKeys = new(
    [
        "etfFlowBtc", "etfFlowEth", "macroRiskEnvironment", "nasdaqChange", "sentimentScore", "sentimentDirection",
        "hasActiveRiskEvents", "highestRiskSeverity", "assetSentimentScore", "assetSentimentDirection", "assetHasHighRiskEvent",
    ],
    ignored: ["legacyList"]);

    internal static readonly KeyTable ExecutionKeys = new(
    [
        "executed", "entryPrice", "leverage", "positionSizeUsd", "positionSizePct", "stopLossPrice", "stopLossDistancePct",
        "takeProfitPrices", "takeProfitDistancesPct", "entryAtrPct", "streakMultiplier", "rejectionReason", "usedPullbackEntry",
    ]);

    internal static readonly KeyTable OutcomeKeys = new(
    [
        "exitPrice", "realizedPnl", "realizedPnlPct", "feesUsd", "holdingPeriodMinutes", "exitReason",
        "maxFavorableExcursion", "maxAdverseExcursion", "partialProfitsTaken", "trailingStopActivated", "trailingStopPrice",
    ]);

    internal static readonly KeyTable LabelsKeys = new(
        ["profitable", "winAmount", "lossAmount", "rMultiple", "optimalTpLevel", "stopTooTight", "betterEntryAvailable", "benchScore"]);

    internal static readonly KeyTable AvoidedKeys = new(["reason", "timestamp"]);

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
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, RecordKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: id = Id(ref reader); hasId = true; break;
                case 1: timestamp = Int64(ref reader); break;
                case 2: asset = String(ref reader); hasAsset = true; break;
                case 3: market = StartSection(ref reader) ? ReadMarket(ref reader) : null; break;
                case 4: session = StartSection(ref reader) ? ReadSession(ref reader) : null; break;
                case 5: signal = StartSection(ref reader) ? ReadSignal(ref reader) : null; break;
                case 6: regime = StartSection(ref reader) ? ReadRegime(ref reader) : null; break;
                case 7: news = ReadNewsValue(ref reader); break;
                case 8: decisionDrivers = StringList(ref reader); break;
                case 9: execution = StartSection(ref reader) ? ReadExecution(ref reader) : null; break;
                case 10: outcome = StartSection(ref reader) ? ReadOutcome(ref reader) : null; break;
                case 11: labels = StartSection(ref reader) ? ReadLabels(ref reader) : null; break;
                case 12: avoided = StartSection(ref reader) ? ReadAvoided(ref reader) : null; break;
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
            ExtensionData = extension,
        };
    }

    private static MarketFeatures ReadMarket(ref Utf8JsonReader reader)
    {
        double? price = null, priceChange1h = null, priceChange24h = null, volume24h = null, volumeRatio = null;
        double? fundingRate = null, fundingPercentile = null, fundingDelta = null, openInterest = null, oiChange24h = null;
        double? longShortRatio = null, fearGreedIndex = null, bookImbalance = null, bidAskSpread = null, dvol = null;
        double? atrPct = null, rsi14 = null, priceVsSma20 = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, MarketKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: price = NullableDouble(ref reader); break;
                case 1: priceChange1h = NullableDouble(ref reader); break;
                case 2: priceChange24h = NullableDouble(ref reader); break;
                case 3: volume24h = NullableDouble(ref reader); break;
                case 4: volumeRatio = NullableDouble(ref reader); break;
                case 5: fundingRate = NullableDouble(ref reader); break;
                case 6: fundingPercentile = NullableDouble(ref reader); break;
                case 7: fundingDelta = NullableDouble(ref reader); break;
                case 8: openInterest = NullableDouble(ref reader); break;
                case 9: oiChange24h = NullableDouble(ref reader); break;
                case 10: longShortRatio = NullableDouble(ref reader); break;
                case 11: fearGreedIndex = NullableDouble(ref reader); break;
                case 12: bookImbalance = NullableDouble(ref reader); break;
                case 13: bidAskSpread = NullableDouble(ref reader); break;
                case 14: dvol = NullableDouble(ref reader); break;
                case 15: atrPct = NullableDouble(ref reader); break;
                case 16: rsi14 = NullableDouble(ref reader); break;
                case 17: priceVsSma20 = NullableDouble(ref reader); break;
            }
        }

        return new MarketFeatures
        {
            Price = price,
            PriceChange1h = priceChange1h,
            PriceChange24h = priceChange24h,
            Volume24h = volume24h,
            VolumeRatio = volumeRatio,
            FundingRate = fundingRate,
            FundingPercentile = fundingPercentile,
            FundingDelta = fundingDelta,
            OpenInterest = openInterest,
            OiChange24h = oiChange24h,
            LongShortRatio = longShortRatio,
            FearGreedIndex = fearGreedIndex,
            BookImbalance = bookImbalance,
            BidAskSpread = bidAskSpread,
            Dvol = dvol,
            AtrPct = atrPct,
            Rsi14 = rsi14,
            PriceVsSma20 = priceVsSma20,
            ExtensionData = extension,
        };
    }

    private SessionFeatures ReadSession(ref Utf8JsonReader reader)
    {
        string? session = null;
        int? utcHour = null, dayOfWeek = null;
        bool? isWeekend = null, isOpenWindow = null;
        double? minutesSinceSessionStart = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, SessionKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: session = String(ref reader); break;
                case 1: utcHour = NullableInt32(ref reader); break;
                case 2: dayOfWeek = NullableInt32(ref reader); break;
                case 3: isWeekend = NullableBoolean(ref reader); break;
                case 4: isOpenWindow = NullableBoolean(ref reader); break;
                case 5: minutesSinceSessionStart = NullableDouble(ref reader); break;
            }
        }

        return new SessionFeatures
        {
            Session = session,
            UtcHour = utcHour,
            DayOfWeek = dayOfWeek,
            IsWeekend = isWeekend,
            IsOpenWindow = isOpenWindow,
            MinutesSinceSessionStart = minutesSinceSessionStart,
            ExtensionData = extension,
        };
    }

    private SignalFeatures ReadSignal(ref Utf8JsonReader reader)
    {
        string? direction = null, strategyName = null, highestWeightSource = null;
        double? strength = null, confidence = null, openWindowBoost = null, avgSentiment = null, xSentimentScore = null;
        int? sourceCount = null, conflictingCount = null;
        bool? hasCascadeSignal = null, hasFundingExtreme = null, hasWhaleSignal = null, hasOICap = null;
        List<SignalSource>? sources = null;
        List<string>? factors = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, SignalKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: direction = String(ref reader); break;
                case 1: strength = NullableDouble(ref reader); break;
                case 2: confidence = NullableDouble(ref reader); break;
                case 3: sourceCount = NullableInt32(ref reader); break;
                case 4: sources = reader.TokenType == JsonTokenType.Null ? null : SignalSourceListConverter.ReadList(ref reader); break;
                case 5: strategyName = String(ref reader); break;
                case 6: openWindowBoost = NullableDouble(ref reader); break;
                case 7: conflictingCount = NullableInt32(ref reader); break;
                case 8: hasCascadeSignal = NullableBoolean(ref reader); break;
                case 9: hasFundingExtreme = NullableBoolean(ref reader); break;
                case 10: hasWhaleSignal = NullableBoolean(ref reader); break;
                case 11: hasOICap = NullableBoolean(ref reader); break;
                case 12: highestWeightSource = String(ref reader); break;
                case 13: avgSentiment = NullableDouble(ref reader); break;
                case 14: xSentimentScore = NullableDouble(ref reader); break;
                case 15: factors = StringList(ref reader); break;
            }
        }

        return new SignalFeatures
        {
            Direction = direction,
            Strength = strength,
            Confidence = confidence,
            SourceCount = sourceCount,
            Sources = sources,
            StrategyName = strategyName,
            OpenWindowBoost = openWindowBoost,
            ConflictingCount = conflictingCount,
            HasCascadeSignal = hasCascadeSignal,
            HasFundingExtreme = hasFundingExtreme,
            HasWhaleSignal = hasWhaleSignal,
            HasOICap = hasOICap,
            HighestWeightSource = highestWeightSource,
            AvgSentiment = avgSentiment,
            XSentimentScore = xSentimentScore,
            Factors = factors,
            ExtensionData = extension,
        };
    }

    private RegimeFeatures ReadRegime(ref Utf8JsonReader reader)
    {
        string? volatilityRegime = null, marketRegime = null, fundingTrend = null, sentiment = null;
        bool? volumeSpike = null;
        JsonElement? oiCapRisk = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, RegimeKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: volatilityRegime = String(ref reader); break;
                case 1: marketRegime = String(ref reader); break;
                case 2: fundingTrend = String(ref reader); break;
                case 3: volumeSpike = NullableBoolean(ref reader); break;
                case 4: oiCapRisk = reader.TokenType == JsonTokenType.Null ? null : JsonElement.ParseValue(ref reader); break;
                case 5: sentiment = String(ref reader); break;
            }
        }

        return new RegimeFeatures
        {
            VolatilityRegime = volatilityRegime,
            MarketRegime = marketRegime,
            FundingTrend = fundingTrend,
            VolumeSpike = volumeSpike,
            OiCapRisk = oiCapRisk,
            Sentiment = sentiment,
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

        return StartSection(ref reader) ? ReadNews(ref reader) : null;
    }

    private NewsFeatures ReadNews(ref Utf8JsonReader reader)
    {
        double? etfFlowBtc = null, etfFlowEth = null, nasdaqChange = null, sentimentScore = null, assetSentimentScore = null;
        string? macroRiskEnvironment = null, sentimentDirection = null, highestRiskSeverity = null, assetSentimentDirection = null;
        bool? hasActiveRiskEvents = null, assetHasHighRiskEvent = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, NewsKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: etfFlowBtc = NullableDouble(ref reader); break;
                case 1: etfFlowEth = NullableDouble(ref reader); break;
                case 2: macroRiskEnvironment = String(ref reader); break;
                case 3: nasdaqChange = NullableDouble(ref reader); break;
                case 4: sentimentScore = NullableDouble(ref reader); break;
                case 5: sentimentDirection = String(ref reader); break;
                case 6: hasActiveRiskEvents = NullableBoolean(ref reader); break;
                case 7: highestRiskSeverity = String(ref reader); break;
                case 8: assetSentimentScore = NullableDouble(ref reader); break;
                case 9: assetSentimentDirection = String(ref reader); break;
                case 10: assetHasHighRiskEvent = NullableBoolean(ref reader); break;
            }
        }

        return new NewsFeatures
        {
            EtfFlowBtc = etfFlowBtc,
            EtfFlowEth = etfFlowEth,
            MacroRiskEnvironment = macroRiskEnvironment,
            NasdaqChange = nasdaqChange,
            SentimentScore = sentimentScore,
            SentimentDirection = sentimentDirection,
            HasActiveRiskEvents = hasActiveRiskEvents,
            HighestRiskSeverity = highestRiskSeverity,
            AssetSentimentScore = assetSentimentScore,
            AssetSentimentDirection = assetSentimentDirection,
            AssetHasHighRiskEvent = assetHasHighRiskEvent,
            ExtensionData = extension,
        };
    }

    private ExecutionFeatures ReadExecution(ref Utf8JsonReader reader)
    {
        bool? executed = null, usedPullbackEntry = null;
        double? entryPrice = null, leverage = null, positionSizeUsd = null, positionSizePct = null, stopLossPrice = null;
        double? stopLossDistancePct = null, entryAtrPct = null, streakMultiplier = null;
        List<double>? takeProfitPrices = null, takeProfitDistancesPct = null;
        string? rejectionReason = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, ExecutionKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: executed = NullableBoolean(ref reader); break;
                case 1: entryPrice = NullableDouble(ref reader); break;
                case 2: leverage = NullableDouble(ref reader); break;
                case 3: positionSizeUsd = NullableDouble(ref reader); break;
                case 4: positionSizePct = NullableDouble(ref reader); break;
                case 5: stopLossPrice = NullableDouble(ref reader); break;
                case 6: stopLossDistancePct = NullableDouble(ref reader); break;
                case 7: takeProfitPrices = DoubleList(ref reader); break;
                case 8: takeProfitDistancesPct = DoubleList(ref reader); break;
                case 9: entryAtrPct = NullableDouble(ref reader); break;
                case 10: streakMultiplier = NullableDouble(ref reader); break;
                case 11: rejectionReason = String(ref reader); break;
                case 12: usedPullbackEntry = NullableBoolean(ref reader); break;
            }
        }

        return new ExecutionFeatures
        {
            Executed = executed,
            EntryPrice = entryPrice,
            Leverage = leverage,
            PositionSizeUsd = positionSizeUsd,
            PositionSizePct = positionSizePct,
            StopLossPrice = stopLossPrice,
            StopLossDistancePct = stopLossDistancePct,
            TakeProfitPrices = takeProfitPrices,
            TakeProfitDistancesPct = takeProfitDistancesPct,
            EntryAtrPct = entryAtrPct,
            StreakMultiplier = streakMultiplier,
            RejectionReason = rejectionReason,
            UsedPullbackEntry = usedPullbackEntry,
            ExtensionData = extension,
        };
    }

    private OutcomeFeatures ReadOutcome(ref Utf8JsonReader reader)
    {
        double? exitPrice = null, realizedPnl = null, realizedPnlPct = null, feesUsd = null, holdingPeriodMinutes = null;
        double? maxFavorableExcursion = null, maxAdverseExcursion = null, partialProfitsTaken = null, trailingStopPrice = null;
        string? exitReason = null;
        bool? trailingStopActivated = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, OutcomeKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: exitPrice = NullableDouble(ref reader); break;
                case 1: realizedPnl = NullableDouble(ref reader); break;
                case 2: realizedPnlPct = NullableDouble(ref reader); break;
                case 3: feesUsd = NullableDouble(ref reader); break;
                case 4: holdingPeriodMinutes = NullableDouble(ref reader); break;
                case 5: exitReason = String(ref reader); break;
                case 6: maxFavorableExcursion = NullableDouble(ref reader); break;
                case 7: maxAdverseExcursion = NullableDouble(ref reader); break;
                case 8: partialProfitsTaken = NullableDouble(ref reader); break;
                case 9: trailingStopActivated = NullableBoolean(ref reader); break;
                case 10: trailingStopPrice = NullableDouble(ref reader); break;
            }
        }

        return new OutcomeFeatures
        {
            ExitPrice = exitPrice,
            RealizedPnl = realizedPnl,
            RealizedPnlPct = realizedPnlPct,
            FeesUsd = feesUsd,
            HoldingPeriodMinutes = holdingPeriodMinutes,
            ExitReason = exitReason,
            MaxFavorableExcursion = maxFavorableExcursion,
            MaxAdverseExcursion = maxAdverseExcursion,
            PartialProfitsTaken = partialProfitsTaken,
            TrailingStopActivated = trailingStopActivated,
            TrailingStopPrice = trailingStopPrice,
            ExtensionData = extension,
        };
    }

    private static FeatureLabels ReadLabels(ref Utf8JsonReader reader)
    {
        bool profitable = false, stopTooTight = false, betterEntryAvailable = false;
        double winAmount = 0, lossAmount = 0, rMultiple = 0;
        int optimalTpLevel = 0;
        double? benchScore = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, LabelsKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: profitable = Boolean(ref reader); break;
                case 1: winAmount = Double(ref reader); break;
                case 2: lossAmount = Double(ref reader); break;
                case 3: rMultiple = Double(ref reader); break;
                case 4: optimalTpLevel = Int32(ref reader); break;
                case 5: stopTooTight = Boolean(ref reader); break;
                case 6: betterEntryAvailable = Boolean(ref reader); break;
                case 7: benchScore = NullableDouble(ref reader); break;
            }
        }

        return new FeatureLabels
        {
            Profitable = profitable,
            WinAmount = winAmount,
            LossAmount = lossAmount,
            RMultiple = rMultiple,
            OptimalTpLevel = optimalTpLevel,
            StopTooTight = stopTooTight,
            BetterEntryAvailable = betterEntryAvailable,
            BenchScore = benchScore,
            ExtensionData = extension,
        };
    }

    private AvoidedDecision ReadAvoided(ref Utf8JsonReader reader)
    {
        string? reason = null;
        long? timestamp = null;
        Dictionary<string, JsonElement>? extension = null;
        int next = 0;
        while (NextProperty(ref reader, ref extension, AvoidedKeys, ref next, out int key))
        {
            switch (key)
            {
                case 0: reason = String(ref reader); break;
                case 1: timestamp = reader.TokenType == JsonTokenType.Null ? null : Int64(ref reader); break;
            }
        }

        return new AvoidedDecision { Reason = reason, Timestamp = timestamp, ExtensionData = extension };
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
