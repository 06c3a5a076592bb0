namespace Vince.FeatureStore.Cli.Tests.Support;

/// <summary>
/// A trading history written with the real feature store: decisions on BTC and ETH whose values vary with the index,
/// most of them completed later (a second version with execution, outcome and labels), some avoided (decision only).
/// The expected training columns are written out by hand here from FORMATS.md §6, not by the flattener.
/// </summary>
public static class TradeData
{
    public const long BaseTime = 1_769_100_000_000;

    public static string Asset(int i) => i % 3 == 2 ? "ETH" : "BTC";

    public static bool IsCompleted(int i) => i % 5 != 4;

    public static bool IsProfitable(int i) => i % 3 != 0;

    public static double PriceChange(int i) => -2 + (0.13 * (i % 29));

    public static double VolumeRatio(int i) => 0.8 + (0.05 * (i % 11));

    public static double FundingPercentile(int i) => 10 + (3 * (i % 30));

    public static double LongShortRatio(int i) => 0.9 + (0.01 * (i % 17));

    public static double AtrPct(int i) => 1 + (0.1 * (i % 7));

    public static string Volatility(int i) => (i % 3) switch { 0 => "low", 1 => "normal", _ => "high" };

    public static string MarketRegime(int i) => (i % 4) switch { 0 => "bullish", 1 => "bearish", _ => "neutral" };

    public static string Macro(int i) => (i % 3) switch { 0 => "risk_on", 1 => "risk_off", _ => "neutral" };

    public static FeatureRecord Decision(int i) => new()
    {
        Id = $"t-{i:D4}",
        Timestamp = BaseTime + (i * 60_000L),
        Asset = Asset(i),
        Market = new MarketFeatures
        {
            Price = 97_000 + i,
            PriceChange24h = PriceChange(i),
            VolumeRatio = VolumeRatio(i),
            FundingPercentile = FundingPercentile(i),
            LongShortRatio = LongShortRatio(i),
            AtrPct = AtrPct(i),
        },
        Session = new SessionFeatures { Session = "us", UtcHour = i % 24, DayOfWeek = i % 7, IsWeekend = i % 7 >= 5, IsOpenWindow = i % 4 == 0 },
        Signal = new SignalFeatures
        {
            Direction = i % 2 == 0 ? "long" : "short",
            Strength = 40 + (i % 50),
            Confidence = 30 + (i * 7 % 60),
            Sources = i % 5 == 0 ? ["A"] : ["A", "B", "C"],
            SourceCount = 9, // signal_source_count is the length of sources, not this
            HasCascadeSignal = i % 6 == 0,
            HasFundingExtreme = i % 4 == 1,
            HasWhaleSignal = i % 9 == 0,
        },
        Regime = new RegimeFeatures { VolatilityRegime = Volatility(i), MarketRegime = MarketRegime(i) },
        News = new NewsFeatures { MacroRiskEnvironment = Macro(i) },
    };

    public static FeatureRecord Complete(int i)
    {
        ExecutionFeatures execution = TestRecords.Execution();
        OutcomeFeatures outcome = TestRecords.Win(IsProfitable(i) ? 120 + i : -40 - i);
        return Decision(i) with { Execution = execution, Outcome = outcome, Labels = FeatureLabels.Derive(execution, outcome) };
    }

    /// <summary>Writes <paramref name="count"/> trades with the real store; each completion is written two decisions later. Returns the lines written (versions).</summary>
    public static async Task<int> WriteAsync(string directory, int count)
    {
        int lines = 0;
        await using var store = new FeatureStore(TestStores.Options(directory), []);
        await store.StartAsync();
        for (int i = 0; i < count + 2; i++)
        {
            if (i < count)
            {
                store.Record(Decision(i));
                lines++;
            }

            if (i >= 2 && IsCompleted(i - 2))
            {
                store.Record(Complete(i - 2));
                lines++;
            }
        }

        await store.FlushAsync();
        return lines;
    }

    /// <summary>The signal-quality columns of this data (two assets; every market column of the lag list it has), in the documented order.</summary>
    public static readonly string[] SignalQualityColumns =
    [
        "market_priceChange24h", "market_volumeRatio", "market_fundingPercentile", "market_longShortRatio",
        "signal_strength", "signal_confidence", "signal_source_count", "signal_hasCascadeSignal",
        "signal_hasFundingExtreme", "signal_hasWhaleSignal", "session_isWeekend", "session_isOpenWindow", "session_utcHour",
        "news_macro_risk_on", "news_macro_risk_off",
        "regime_volatility_high", "regime_bullish", "regime_bearish",
        "asset_BTC", "asset_ETH",
        "market_priceChange24h_lag1", "market_priceChange24h_lag2", "market_priceChange24h_lag3", "market_priceChange24h_roll3",
        "market_volumeRatio_lag1", "market_volumeRatio_lag2", "market_volumeRatio_lag3", "market_volumeRatio_roll3",
        "market_fundingPercentile_lag1", "market_fundingPercentile_lag2", "market_fundingPercentile_lag3", "market_fundingPercentile_roll3",
        "market_longShortRatio_lag1", "market_longShortRatio_lag2", "market_longShortRatio_lag3", "market_longShortRatio_roll3",
        "market_atrPct_lag1", "market_atrPct_lag2", "market_atrPct_lag3", "market_atrPct_roll3",
    ];

    /// <summary>The signal-quality row of trade <paramref name="i"/>, by hand: lags from the earlier trades of its asset.</summary>
    public static double[] SignalQualityRow(int i)
    {
        int[] earlier = Enumerable.Range(0, i).Where(k => Asset(k) == Asset(i)).Reverse().Take(3).ToArray();
        static double B(bool value) => value ? 1 : 0;
        var row = new List<double>
        {
            PriceChange(i), VolumeRatio(i), FundingPercentile(i), LongShortRatio(i),
            40 + (i % 50), 30 + (i * 7 % 60), i % 5 == 0 ? 1 : 3, B(i % 6 == 0),
            B(i % 4 == 1), B(i % 9 == 0), B(i % 7 >= 5), B(i % 4 == 0), i % 24,
            B(Macro(i) == "risk_on"), B(Macro(i) == "risk_off"),
            B(Volatility(i) == "high"), B(MarketRegime(i) == "bullish"), B(MarketRegime(i) == "bearish"),
            B(Asset(i) == "BTC"), B(Asset(i) == "ETH"),
        };
        foreach (Func<int, double> column in new Func<int, double>[] { PriceChange, VolumeRatio, FundingPercentile, LongShortRatio, AtrPct })
        {
            for (int lag = 0; lag < 3; lag++)
            {
                row.Add(lag < earlier.Length ? column(earlier[lag]) : 0);
            }

            row.Add(earlier.Length == 0 ? 0 : earlier.Select(column).Average());
        }

        return [.. row];
    }
}
