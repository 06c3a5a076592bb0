namespace Vince.FeatureStore.Benchmarks;

/// <summary>
/// Builds realistic, fully populated feature records (every section filled, about 40 decision features plus
/// the execution, outcome and label sections), with ids and timestamps already assigned so that
/// <see cref="FeatureStore.Record"/> does not have to create them.
/// </summary>
internal static class SampleRecords
{
    private static readonly string[] Assets = ["BTC", "ETH", "SOL", "HYPE", "XRP", "DOGE"];
    private static readonly string[] Sessions = ["asia", "europe", "us", "overlap"];
    private static readonly string[] Strategies = ["funding_reversion", "breakout", "cascade_fade"];
    private static readonly string[] SourceNames = ["binance_funding", "coinglass_oi", "deribit_dvol", "x_sentiment", "whale_alert", "liquidations"];
    private static readonly string[] ExitReasons = ["take_profit", "stop_loss", "trailing_stop", "max_age"];

    /// <summary>Creates <paramref name="count"/> distinct records from a fixed seed.</summary>
    public static FeatureRecord[] Create(int count, int seed = 42)
    {
        var random = new Random(seed);
        long start = new DateTimeOffset(2025, 11, 24, 8, 0, 0, TimeSpan.Zero).ToUnixTimeMilliseconds();
        var records = new FeatureRecord[count];
        for (int i = 0; i < count; i++)
        {
            long timestamp = start + (i * 1_000L);
            records[i] = CreateOne(random, timestamp, FeatureRecordId.New(timestamp));
        }

        return records;
    }

    private static FeatureRecord CreateOne(Random r, long timestamp, string id)
    {
        double price = 20_000 + (r.NextDouble() * 80_000);
        bool isLong = r.Next(2) == 0;
        double stopPct = 0.5 + (r.NextDouble() * 2);
        double entry = price * (1 + ((r.NextDouble() - 0.5) / 1000));
        var execution = new ExecutionFeatures
        {
            Executed = true,
            EntryPrice = entry,
            Leverage = r.Next(2, 11),
            PositionSizeUsd = 500 + (r.NextDouble() * 4_500),
            PositionSizePct = r.NextDouble() * 10,
            StopLossPrice = isLong ? entry * (1 - (stopPct / 100)) : entry * (1 + (stopPct / 100)),
            StopLossDistancePct = stopPct,
            TakeProfitPrices = [entry * 1.01, entry * 1.02, entry * 1.035],
            TakeProfitDistancesPct = [1.0, 2.0, 3.5],
            EntryAtrPct = r.NextDouble() * 3,
            StreakMultiplier = 1 + (r.NextDouble() / 2),
            UsedPullbackEntry = r.Next(2) == 0,
        };
        double pnl = (r.NextDouble() - 0.45) * 200;
        var outcome = new OutcomeFeatures
        {
            ExitPrice = entry * (1 + ((r.NextDouble() - 0.5) / 50)),
            RealizedPnl = pnl,
            RealizedPnlPct = pnl / 50,
            FeesUsd = r.NextDouble() * 5,
            HoldingPeriodMinutes = r.Next(5, 1_440),
            ExitReason = ExitReasons[r.Next(ExitReasons.Length)],
            MaxFavorableExcursion = r.NextDouble() * 4,
            MaxAdverseExcursion = r.NextDouble() * 2,
            TrailingStopActivated = r.Next(2) == 0,
        };

        return new FeatureRecord
        {
            Id = id,
            Timestamp = timestamp,
            Asset = Assets[r.Next(Assets.Length)],
            Market = new MarketFeatures
            {
                Price = price,
                PriceChange1h = (r.NextDouble() - 0.5) * 4,
                PriceChange24h = (r.NextDouble() - 0.5) * 12,
                Volume24h = r.NextDouble() * 5e10,
                VolumeRatio = r.NextDouble() * 3,
                FundingRate = (r.NextDouble() - 0.5) / 1_000,
                FundingPercentile = r.NextDouble() * 100,
                FundingDelta = (r.NextDouble() - 0.5) / 10_000,
                OpenInterest = r.NextDouble() * 3e10,
                OiChange24h = (r.NextDouble() - 0.5) * 20,
                LongShortRatio = 0.5 + r.NextDouble(),
                FearGreedIndex = r.Next(0, 101),
                BookImbalance = (r.NextDouble() - 0.5) * 2,
                BidAskSpread = r.NextDouble() / 100,
                Dvol = 30 + (r.NextDouble() * 60),
                AtrPct = r.NextDouble() * 4,
                Rsi14 = r.NextDouble() * 100,
                PriceVsSma20 = (r.NextDouble() - 0.5) * 10,
            },
            Session = new SessionFeatures
            {
                Session = Sessions[r.Next(Sessions.Length)],
                UtcHour = r.Next(24),
                DayOfWeek = r.Next(7),
                IsWeekend = r.Next(7) >= 5,
                IsOpenWindow = r.Next(2) == 0,
                MinutesSinceSessionStart = r.Next(0, 480),
            },
            Signal = new SignalFeatures
            {
                Direction = isLong ? "long" : "short",
                Strength = r.NextDouble() * 100,
                Confidence = r.NextDouble() * 100,
                SourceCount = 3,
                Sources = [SourceNames[r.Next(SourceNames.Length)], SourceNames[r.Next(SourceNames.Length)], SourceNames[r.Next(SourceNames.Length)]],
                StrategyName = Strategies[r.Next(Strategies.Length)],
                ConflictingCount = r.Next(3),
                HasCascadeSignal = r.Next(2) == 0,
                HasFundingExtreme = r.Next(2) == 0,
                HasWhaleSignal = r.Next(2) == 0,
                HighestWeightSource = SourceNames[r.Next(SourceNames.Length)],
                AvgSentiment = (r.NextDouble() - 0.5) * 2,
                Factors = ["funding_extreme", "oi_rising"],
            },
            Regime = new RegimeFeatures
            {
                VolatilityRegime = r.Next(2) == 0 ? "high" : "normal",
                MarketRegime = r.Next(2) == 0 ? "trending" : "ranging",
                FundingTrend = r.Next(2) == 0 ? "rising" : "falling",
                VolumeSpike = r.Next(4) == 0,
                Sentiment = r.Next(2) == 0 ? "bullish" : "bearish",
            },
            News = new NewsFeatures
            {
                EtfFlowBtc = (r.NextDouble() - 0.5) * 1_000,
                EtfFlowEth = (r.NextDouble() - 0.5) * 300,
                MacroRiskEnvironment = r.Next(2) == 0 ? "risk_on" : "risk_off",
                NasdaqChange = (r.NextDouble() - 0.5) * 3,
                SentimentScore = (r.NextDouble() - 0.5) * 2,
                SentimentDirection = r.Next(2) == 0 ? "positive" : "negative",
                HasActiveRiskEvents = r.Next(5) == 0,
            },
            DecisionDrivers = ["funding_extreme", "oi_divergence", "session_open"],
            Execution = execution,
            Outcome = outcome,
            Labels = FeatureLabels.Derive(execution, outcome),
        };
    }
}
