using Vince.FeatureStore;


namespace Vince.FeatureStore.Testing;

/// <summary>Realistic records for tests. Shared by the test projects.</summary>
public static class TestRecords
{
    public const long BaseTime = 1_769_100_000_000;

    public static FeatureRecord Decision(string id, long timestamp = BaseTime, string asset = "BTC") => new()
    {
        Id = id,
        Timestamp = timestamp,
        Asset = asset,
        Market = new MarketFeatures { Price = 97_000, PriceChange24h = -1.2, FundingPercentile = 70, AtrPct = 1.5 },
        Session = new SessionFeatures { Session = "us", UtcHour = 15, DayOfWeek = 2, IsWeekend = false, IsOpenWindow = true },
        Signal = new SignalFeatures { Direction = "long", Strength = 65, Confidence = 60, Sources = ["A", "B"], SourceCount = 2 },
        Regime = new RegimeFeatures { VolatilityRegime = "normal", MarketRegime = "bullish" },
        News = new NewsFeatures { MacroRiskEnvironment = "risk_on" },
    };

    public static ExecutionFeatures Execution() => new()
    {
        Executed = true,
        EntryPrice = 97_000,
        Leverage = 5,
        PositionSizeUsd = 1000,
        StopLossDistancePct = 2,
        TakeProfitDistancesPct = [2, 4],
    };

    public static OutcomeFeatures Win(double pnl = 150) => new()
    {
        RealizedPnl = pnl,
        ExitReason = "take_profit",
        MaxFavorableExcursion = 2.5,
        MaxAdverseExcursion = 0.4,
    };

    public static FeatureRecord Complete(string id, long timestamp = BaseTime, string asset = "BTC", double pnl = 150)
    {
        FeatureRecord decision = Decision(id, timestamp, asset);
        ExecutionFeatures execution = Execution();
        OutcomeFeatures outcome = Win(pnl);
        return decision with { Execution = execution, Outcome = outcome, Labels = FeatureLabels.Derive(execution, outcome) };
    }

    /// <summary>The record as one JSONL line; equal records give equal lines (records hold lists, so == compares references).</summary>
    public static string Line(FeatureRecord record) => FeatureJson.Serialize(record);
}
