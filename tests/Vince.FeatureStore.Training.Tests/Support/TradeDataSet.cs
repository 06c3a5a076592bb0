using Vince.FeatureStore;

using Vince.FeatureStore.ModelSets;

namespace Vince.FeatureStore.Training.Tests.Support;

/// <summary>
/// Writes a realistic trade history with a known signal through the real <see cref="FeatureStore"/> (JSONL log):
/// a trade is profitable with probability 0.85 when the signal strength is above 60 and funding is not extreme
/// (percentile between 15 and 85), else 0.2. Every fifth decision is avoided (no trade); three assets. The first
/// <c>noEdgeBefore</c> trades win with probability 0.5 whatever their features: a history whose outcomes carry no signal.
/// </summary>
internal static class TradeDataSet
{
    public const long Start = 1_769_100_000_000;

    private static readonly string[] Assets = ["BTC", "ETH", "SOL"];
    private static readonly string[] VolatilityRegimes = ["low", "normal", "high"];
    private static readonly string[] MarketRegimes = ["bullish", "bearish", "neutral"];
    private static readonly string[] Drivers = ["funding_reversion", "oi_rising", "whale_buy", "cascade_fade", "breakout"];

    /// <summary>The standard deviation of <c>market.volumeRatio</c>, uniform on [0, 3]: 3 / √12.</summary>
    public static readonly double VolumeRatioStdDev = 3 / Math.Sqrt(12);

    /// <summary>Moves <c>market.volumeRatio</c> up by <paramref name="standardDeviations"/> of its training spread.</summary>
    public static Func<MarketFeatures, MarketFeatures> ShiftVolumeRatio(double standardDeviations)
        => m => m with { VolumeRatio = m.VolumeRatio + (standardDeviations * VolumeRatioStdDev) };

    /// <summary>True when the generator's rule makes a trade likely profitable.</summary>
    public static bool HasEdge(double strength, double fundingPercentile) => strength > 60 && fundingPercentile is > 15 and < 85;

    /// <summary>Writes the history (every <paramref name="avoidedEvery"/>-th decision avoided); <paramref name="shift"/> may change each decision's market features (to shift a column on purpose).</summary>
    public static async Task WriteAsync(string directory, int trades, int seed = 11, bool everyTradeWins = false, int noEdgeBefore = 0, Func<MarketFeatures, MarketFeatures>? shift = null, int avoidedEvery = 5)
    {
        var random = new Random(seed);
        await using var store = new FeatureStore(TestStores.Options(directory));
        await store.StartAsync();
        int written = 0;
        for (int i = 0; written < trades; i++)
        {
            DateTimeOffset at = DateTimeOffset.FromUnixTimeMilliseconds(Start + (i * 60_000L));
            string asset = Assets[random.Next(Assets.Length)];
            double strength = Math.Round(random.NextDouble() * 100, 2);
            double funding = Math.Round(random.NextDouble() * 100, 2);
            double atr = Math.Round(0.5 + (random.NextDouble() * 3), 3);
            bool isLong = random.Next(2) == 0;
            var market = new MarketFeatures
            {
                Price = 100 + (random.NextDouble() * 1000),
                PriceChange24h = Math.Round((random.NextDouble() * 10) - 5, 3),
                VolumeRatio = Math.Round(random.NextDouble() * 3, 3),
                FundingPercentile = funding,
                LongShortRatio = Math.Round(0.5 + random.NextDouble(), 3),
                AtrPct = atr,
                Rsi14 = Math.Round(random.NextDouble() * 100, 2),
                OiChange24h = Math.Round((random.NextDouble() * 10) - 5, 3),
                Dvol = random.NextDouble() < 0.3 ? null : Math.Round(30 + (random.NextDouble() * 40), 2),
            };
            market = shift is null ? market : shift(market);
            var session = new SessionFeatures { Session = "us", UtcHour = random.Next(24), DayOfWeek = random.Next(7), IsWeekend = random.NextDouble() < 0.25, IsOpenWindow = random.NextDouble() < 0.5 };
            var signal = new SignalFeatures
            {
                Direction = isLong ? "long" : "short",
                Strength = strength,
                Confidence = Math.Round(Math.Clamp(strength + ((random.NextDouble() - 0.5) * 40), 0, 100), 2),
                SourceCount = 3,
                Sources = [new SignalSource("funding"), new SignalSource("oi"), new SignalSource("whales")],
                HasCascadeSignal = random.NextDouble() < 0.3,
                HasFundingExtreme = funding is < 10 or > 90,
                HasWhaleSignal = random.NextDouble() < 0.3,
                AvgSentiment = random.NextDouble() < 0.5 ? null : random.Next(-100, 100),
            };
            var regime = new RegimeFeatures { VolatilityRegime = VolatilityRegimes[random.Next(3)], MarketRegime = MarketRegimes[random.Next(3)] };
            var news = new NewsFeatures { MacroRiskEnvironment = random.NextDouble() < 0.5 ? "risk_on" : "risk_off", NasdaqChange = Math.Round((random.NextDouble() * 4) - 2, 3) };
            string[] drivers = [Drivers[random.Next(Drivers.Length)], Drivers[random.Next(Drivers.Length)]];
            if (i % avoidedEvery == avoidedEvery - 1)
            {
                store.RecordAvoided(asset, "risk limit", market, session, signal, regime, news, at, drivers);
                continue;
            }

            var execution = new ExecutionFeatures
            {
                Executed = true,
                EntryPrice = market.Price,
                Leverage = 5,
                PositionSizeUsd = 1000,
                StopLossDistancePct = 2,
                TakeProfitDistancesPct = [1, 2, 3.5],
                StreakMultiplier = Math.Round(0.75 + (random.NextDouble() / 2), 3),
                EntryAtrPct = atr,
            };
            string id = store.RecordDecision(asset, market, session, signal, regime, news, drivers, at, execution);

            bool win = everyTradeWins || random.NextDouble() < (written < noEdgeBefore ? 0.5 : HasEdge(strength, funding) ? 0.85 : 0.2);
            double pnl = Math.Round(win ? 20 + (random.NextDouble() * 150) : -(10 + (random.NextDouble() * 100)), 2);
            double mfe = Math.Round(win ? 0.9 + (random.NextDouble() * 3.2) : random.NextDouble() * 1.2, 3);
            double mae = Math.Round(atr * random.NextDouble() * (win ? 0.6 : 1.4), 3);
            store.RecordOutcome(id, new OutcomeFeatures
            {
                ExitPrice = market.Price,
                RealizedPnl = pnl,
                RealizedPnlPct = pnl / 10,
                HoldingPeriodMinutes = random.Next(5, 600),
                ExitReason = win ? "take_profit" : "stop_loss",
                MaxFavorableExcursion = mfe,
                MaxAdverseExcursion = mae,
            });
            written++;
        }

        await store.FlushAsync();
    }
}
