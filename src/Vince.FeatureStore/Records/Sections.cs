using System.Text.Json;
using System.Text.Json.Serialization;

namespace Vince.FeatureStore;

/// <summary>Market state at decision time. Every number may be missing (<see langword="null"/>).</summary>
[RecordSection]
public sealed record MarketFeatures
{
    /// <summary>Last price.</summary>
    public double? Price { get; init; }
    /// <summary>Price change over one hour, percent.</summary>
    public double? PriceChange1h { get; init; }
    /// <summary>Price change over 24 hours, percent.</summary>
    public double? PriceChange24h { get; init; }
    /// <summary>24-hour volume.</summary>
    public double? Volume24h { get; init; }
    /// <summary>Volume relative to its average.</summary>
    public double? VolumeRatio { get; init; }
    /// <summary>Perpetual funding rate.</summary>
    public double? FundingRate { get; init; }
    /// <summary>Funding-rate percentile, 0–100.</summary>
    public double? FundingPercentile { get; init; }
    /// <summary>Change of funding rate.</summary>
    public double? FundingDelta { get; init; }
    /// <summary>Open interest.</summary>
    public double? OpenInterest { get; init; }
    /// <summary>Open-interest change over 24 hours, percent.</summary>
    public double? OiChange24h { get; init; }
    /// <summary>Long/short ratio.</summary>
    public double? LongShortRatio { get; init; }
    /// <summary>Fear and greed index.</summary>
    public double? FearGreedIndex { get; init; }
    /// <summary>Order-book imbalance, −1..1.</summary>
    public double? BookImbalance { get; init; }
    /// <summary>Bid/ask spread.</summary>
    public double? BidAskSpread { get; init; }
    /// <summary>Implied-volatility index (DVOL).</summary>
    public double? Dvol { get; init; }
    /// <summary>Average true range as percent of price.</summary>
    public double? AtrPct { get; init; }
    /// <summary>14-period RSI.</summary>
    public double? Rsi14 { get; init; }
    /// <summary>Price relative to its 20-period SMA, percent.</summary>
    public double? PriceVsSma20 { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>Trading-session context.</summary>
[RecordSection]
public sealed record SessionFeatures
{
    /// <summary>asia, europe, us, eu_us_overlap, off_hours or weekend.</summary>
    public string? Session { get; init; }
    /// <summary>Hour of day in UTC, 0–23.</summary>
    [JsonConverter(typeof(LenientNullableInt32Converter))]
    public int? UtcHour { get; init; }
    /// <summary>Day of week, 0 = Sunday.</summary>
    [JsonConverter(typeof(LenientNullableInt32Converter))]
    public int? DayOfWeek { get; init; }
    /// <summary>Saturday or Sunday (UTC).</summary>
    public bool? IsWeekend { get; init; }
    /// <summary>Inside the bot's preferred open window.</summary>
    public bool? IsOpenWindow { get; init; }
    /// <summary>Minutes since the current session started.</summary>
    public double? MinutesSinceSessionStart { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>The aggregated signal.</summary>
[RecordSection]
public sealed record SignalFeatures
{
    /// <summary>long, short or neutral.</summary>
    public string? Direction { get; init; }
    /// <summary>Strength, 0–100.</summary>
    public double? Strength { get; init; }
    /// <summary>Confidence, 0–100.</summary>
    public double? Confidence { get; init; }
    /// <summary>Number of sources as counted by the bot.</summary>
    [JsonConverter(typeof(LenientNullableInt32Converter))]
    public int? SourceCount { get; init; }
    /// <summary>Contributing sources; older writers emitted objects <c>{name, sentiment}</c>, newer ones strings.</summary>
    [JsonConverter(typeof(SignalSourceListConverter))]
    public IReadOnlyList<SignalSource>? Sources { get; init; }
    /// <summary>Name of the strategy.</summary>
    public string? StrategyName { get; init; }
    /// <summary>Boost applied in the open window.</summary>
    public double? OpenWindowBoost { get; init; }
    /// <summary>Number of sources that disagreed.</summary>
    [JsonConverter(typeof(LenientNullableInt32Converter))]
    public int? ConflictingCount { get; init; }
    /// <summary>A liquidation-cascade signal contributed.</summary>
    public bool? HasCascadeSignal { get; init; }
    /// <summary>Funding was at an extreme.</summary>
    public bool? HasFundingExtreme { get; init; }
    /// <summary>A whale signal contributed.</summary>
    public bool? HasWhaleSignal { get; init; }
    /// <summary>Open interest was at its cap.</summary>
    [JsonPropertyName("hasOICap")]
    public bool? HasOICap { get; init; }
    /// <summary>Name of the source with the highest weight.</summary>
    public string? HighestWeightSource { get; init; }
    /// <summary>Average sentiment, −100..100.</summary>
    public double? AvgSentiment { get; init; }
    /// <summary>Sentiment score from X.</summary>
    [JsonPropertyName("xSentimentScore")]
    public double? XSentimentScore { get; init; }
    /// <summary>Named factors some writers add.</summary>
    public IReadOnlyList<string>? Factors { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>
/// One contributing signal source. Newer writers store only the name (a JSON string); older ones an
/// object with an optional sentiment. The shape read is the shape written back.
/// </summary>
public sealed record SignalSource
{
    /// <summary>Creates a source known by name only (written as a JSON string).</summary>
    public SignalSource(string? name) => Name = name;

    /// <summary>Creates a source in the older object shape <c>{name, sentiment}</c>.</summary>
    public SignalSource(string? name, double? sentiment)
    {
        Name = name;
        Sentiment = sentiment;
        IsObject = true;
    }

    /// <summary>Source name.</summary>
    public string? Name { get; init; }

    /// <summary>Sentiment of the source (older object shape only).</summary>
    public double? Sentiment { get; init; }

    /// <summary>True when the source is in the older object shape; the flattener uses this to pick its sentiment rule.</summary>
    public bool IsObject { get; init; }

    /// <summary>Other keys of an object-shaped source; written back unchanged.</summary>
    public IReadOnlyDictionary<string, JsonElement>? ExtensionData { get; init; }

    /// <summary>Creates a source known by name only.</summary>
    public static implicit operator SignalSource(string name) => new(name);
}

/// <summary>Volatility and market regime.</summary>
[RecordSection]
public sealed record RegimeFeatures
{
    /// <summary>low, normal, high or extreme.</summary>
    public string? VolatilityRegime { get; init; }
    /// <summary>bullish, bearish, neutral or volatile.</summary>
    public string? MarketRegime { get; init; }
    /// <summary>Trend of funding.</summary>
    public string? FundingTrend { get; init; }
    /// <summary>Volume spiked.</summary>
    public bool? VolumeSpike { get; init; }
    /// <summary>Risk of hitting the open-interest cap.</summary>
    public JsonElement? OiCapRisk { get; init; }
    /// <summary>Sentiment label, may be null.</summary>
    public string? Sentiment { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>News and macro context.</summary>
[RecordSection]
public sealed record NewsFeatures
{
    /// <summary>BTC ETF flow.</summary>
    public double? EtfFlowBtc { get; init; }
    /// <summary>ETH ETF flow.</summary>
    public double? EtfFlowEth { get; init; }
    /// <summary>risk_on, risk_off, neutral or null.</summary>
    public string? MacroRiskEnvironment { get; init; }
    /// <summary>Nasdaq change, percent.</summary>
    public double? NasdaqChange { get; init; }
    /// <summary>Overall news sentiment score.</summary>
    public double? SentimentScore { get; init; }
    /// <summary>Overall news sentiment direction.</summary>
    public string? SentimentDirection { get; init; }
    /// <summary>There are active risk events.</summary>
    public bool? HasActiveRiskEvents { get; init; }
    /// <summary>Highest severity among active risk events.</summary>
    public string? HighestRiskSeverity { get; init; }
    /// <summary>Sentiment score for this asset.</summary>
    public double? AssetSentimentScore { get; init; }
    /// <summary>Sentiment direction for this asset.</summary>
    public string? AssetSentimentDirection { get; init; }
    /// <summary>A high-risk event concerns this asset.</summary>
    public bool? AssetHasHighRiskEvent { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }

    /// <summary>
    /// The whole <c>news</c> value when a legacy writer stored a list instead of an object; the list is
    /// written back as it was read and the other properties stay empty.
    /// </summary>
    [JsonIgnore]
    public JsonElement? LegacyList { get; init; }
}

/// <summary>How the trade was opened.</summary>
[RecordSection]
public sealed record ExecutionFeatures
{
    /// <summary>The order was executed.</summary>
    public bool? Executed { get; init; }
    /// <summary>Entry price.</summary>
    public double? EntryPrice { get; init; }
    /// <summary>Leverage.</summary>
    public double? Leverage { get; init; }
    /// <summary>Position size in USD (notional before leverage).</summary>
    public double? PositionSizeUsd { get; init; }
    /// <summary>Position size as percent of the account.</summary>
    public double? PositionSizePct { get; init; }
    /// <summary>Stop-loss price.</summary>
    public double? StopLossPrice { get; init; }
    /// <summary>Stop-loss distance from entry, percent.</summary>
    public double? StopLossDistancePct { get; init; }
    /// <summary>Take-profit prices, nearest first.</summary>
    public IReadOnlyList<double>? TakeProfitPrices { get; init; }
    /// <summary>Take-profit distances from entry, percent, nearest first.</summary>
    public IReadOnlyList<double>? TakeProfitDistancesPct { get; init; }
    /// <summary>ATR percent at entry.</summary>
    public double? EntryAtrPct { get; init; }
    /// <summary>Multiplier applied for the current win/loss streak.</summary>
    public double? StreakMultiplier { get; init; }
    /// <summary>Why the order was rejected, when it was.</summary>
    public string? RejectionReason { get; init; }
    /// <summary>A pullback entry was used.</summary>
    public bool? UsedPullbackEntry { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}

/// <summary>How the trade closed.</summary>
[RecordSection]
public sealed record OutcomeFeatures
{
    /// <summary>Exit price.</summary>
    public double? ExitPrice { get; init; }
    /// <summary>Realised profit and loss in USD, net of fees.</summary>
    public double? RealizedPnl { get; init; }
    /// <summary>Realised profit and loss, percent.</summary>
    public double? RealizedPnlPct { get; init; }
    /// <summary>Fees in USD.</summary>
    public double? FeesUsd { get; init; }
    /// <summary>Minutes the position was held.</summary>
    public double? HoldingPeriodMinutes { get; init; }
    /// <summary>Why the trade closed, e.g. <c>stop_loss</c>, <c>take_profit</c>.</summary>
    public string? ExitReason { get; init; }
    /// <summary>Maximum favourable excursion, percent.</summary>
    public double? MaxFavorableExcursion { get; init; }
    /// <summary>Maximum adverse excursion, percent (≥ 0).</summary>
    public double? MaxAdverseExcursion { get; init; }
    /// <summary>Partial profits taken.</summary>
    public double? PartialProfitsTaken { get; init; }
    /// <summary>The trailing stop was activated.</summary>
    public bool? TrailingStopActivated { get; init; }
    /// <summary>Trailing stop price.</summary>
    public double? TrailingStopPrice { get; init; }
    /// <summary>Keys this type does not model; written back unchanged.</summary>
    [JsonExtensionData]
    public Dictionary<string, JsonElement>? ExtensionData { get; set; }
}
