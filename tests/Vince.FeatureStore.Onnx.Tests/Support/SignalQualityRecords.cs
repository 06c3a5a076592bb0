namespace Vince.FeatureStore.Onnx.Tests.Support;

/// <summary>Records and the signal-quality columns of the training script (FORMATS.md §6), with their values written out by hand.</summary>
public static class SignalQualityRecords
{
    public const long BaseTime = 1_769_100_000_000;

    /// <summary>The base list, optional columns, regime encodings, asset dummies and one lagged column with its roll, in the script's order.</summary>
    public static readonly string[] FeatureNames =
    [
        "market_priceChange24h", "market_volumeRatio", "market_fundingPercentile", "market_longShortRatio",
        "signal_strength", "signal_confidence", "signal_source_count", "signal_hasCascadeSignal",
        "signal_hasFundingExtreme", "signal_hasWhaleSignal", "session_isWeekend", "session_isOpenWindow",
        "session_utcHour", "market_dvol", "market_rsi14", "signal_avg_sentiment",
        "news_macro_risk_on", "news_macro_risk_off", "regime_volatility_high", "regime_bullish", "regime_bearish",
        "asset_BTC", "asset_ETH",
        "market_priceChange24h_lag1", "market_priceChange24h_lag2", "market_priceChange24h_lag3", "market_priceChange24h_roll3",
    ];

    public static FeatureRecord Decision(int i, string asset = "BTC", double priceChange = -1.8, double strength = 68, double utcHour = 15) => new()
    {
        Id = $"{BaseTime + i}-test{i:00000}",
        Timestamp = BaseTime + (i * 60_000L),
        Asset = asset,
        Market = new MarketFeatures
        {
            Price = 97_250,
            PriceChange24h = priceChange,
            VolumeRatio = 1.35,
            FundingPercentile = 72,
            LongShortRatio = 1.12,
            Dvol = 48.5,
            Rsi14 = null,            // missing: fed 0
            AtrPct = 1.7,
        },
        Session = new SessionFeatures { Session = "us", UtcHour = (int)utcHour, DayOfWeek = 2, IsWeekend = false, IsOpenWindow = true },
        Signal = new SignalFeatures
        {
            Direction = "long",
            Strength = strength,
            Confidence = 61,
            SourceCount = 5,         // signal_source_count is the length of sources, not this
            Sources = ["CoinGlassOI", "XSentiment", "BinanceFunding"],
            HasCascadeSignal = false,
            HasFundingExtreme = true,
            HasWhaleSignal = false,
            AvgSentiment = 0.25,
        },
        Regime = new RegimeFeatures { VolatilityRegime = "high", MarketRegime = "bullish" },
        News = new NewsFeatures { MacroRiskEnvironment = "risk_off" },
    };

    /// <summary>The input row of <see cref="FeatureNames"/> for <see cref="Decision"/>, written out by hand (not by the flattener).</summary>
    public static float[] ExpectedVector(FeatureRecord r, params double?[] previousPriceChanges)
    {
        double lag(int k) => previousPriceChanges.Length >= k && previousPriceChanges[k - 1] is { } v ? v : 0;
        double[] present = previousPriceChanges.Take(3).Where(v => v is not null).Select(v => v!.Value).ToArray();
        double[] row =
        [
            r.Market!.PriceChange24h!.Value, r.Market.VolumeRatio!.Value, r.Market.FundingPercentile!.Value, r.Market.LongShortRatio!.Value,
            r.Signal!.Strength!.Value, r.Signal.Confidence!.Value, r.Signal.Sources!.Count, r.Signal.HasCascadeSignal == true ? 1 : 0,
            r.Signal.HasFundingExtreme == true ? 1 : 0, r.Signal.HasWhaleSignal == true ? 1 : 0, r.Session!.IsWeekend == true ? 1 : 0, r.Session.IsOpenWindow == true ? 1 : 0,
            r.Session.UtcHour!.Value, r.Market.Dvol!.Value, 0 /* rsi14 missing */, r.Signal.AvgSentiment!.Value,
            r.News!.MacroRiskEnvironment == "risk_on" ? 1 : 0, r.News.MacroRiskEnvironment == "risk_off" ? 1 : 0,
            r.Regime!.VolatilityRegime == "high" ? 1 : 0, r.Regime.MarketRegime == "bullish" ? 1 : 0, r.Regime.MarketRegime == "bearish" ? 1 : 0,
            r.Asset == "BTC" ? 1 : 0, r.Asset == "ETH" ? 1 : 0,
            lag(1), lag(2), lag(3), present.Length == 0 ? 0 : present.Average(),
        ];
        return row.Select(v => (float)v).ToArray();
    }

    /// <summary>Trees over <see cref="FeatureNames"/> with mixed-sign leaves, as XGBoost produces.</summary>
    public static readonly TreeNode[] Trees =
    [
        // strength < 60 ? (fundingExtreme < 0.5 ? -0.31 : 0.12) : (utcHour < 12 ? 0.05 : 0.42)
        new Split(4, 60f, new Split(8, 0.5f, new Leaf(-0.31f), new Leaf(0.12f)), new Split(12, 12f, new Leaf(0.05f), new Leaf(0.42f))),
        // priceChange24h < -1 ? (lag1 < 0 ? 0.21 : -0.08) : -0.27
        new Split(0, -1f, new Split(23, 0f, new Leaf(0.21f), new Leaf(-0.08f)), new Leaf(-0.27f)),
        // volatility_high < 0.5 ? -0.05 : (asset_BTC < 0.5 ? -0.11 : 0.16)
        new Split(18, 0.5f, new Leaf(-0.05f), new Split(21, 0.5f, new Leaf(-0.11f), new Leaf(0.16f))),
        // rsi14 < 30 ? 0.07 : -0.02  (rsi14 is missing: 0 < 30)
        new Split(14, 30f, new Leaf(0.07f), new Leaf(-0.02f)),
    ];
}
