using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>A signal worth a decision: its features as recorded, and the reasons behind it.</summary>
internal sealed record SignalCandidate(int Direction, SignalFeatures Features, IReadOnlyList<string> Drivers)
{
    public double Strength => Features.Strength ?? 0;

    public double Confidence => Features.Confidence ?? 0;
}

/// <summary>
/// Aggregates the bot's signal sources. Each source votes long or short with a weight when its condition
/// holds; the weighted net gives direction and strength, the agreement gives confidence.
/// </summary>
internal sealed class SignalEngine(Random random, string strategyName)
{
    /// <summary>Signals weaker than this are noise: the bot does not even record them.</summary>
    private const double ConsiderStrength = 45;
    private const double OpenWindowBoost = 1.15;

    public SignalCandidate? Evaluate(AssetSeries asset, MarketContext context, double? xSentiment, DateTimeOffset now)
    {
        MarketFeatures market = context.Market;
        double atr = market.AtrPct ?? 1;
        double change1h = market.PriceChange1h ?? 0;
        double change24h = market.PriceChange24h ?? 0;
        double fundingPercentile = market.FundingPercentile ?? 50;
        double longShort = market.LongShortRatio ?? 1;
        double rsi = market.Rsi14 ?? 50;
        double imbalance = market.BookImbalance ?? 0;
        double assetSentiment = context.News.AssetSentimentScore ?? 0;
        bool cascade = now - asset.LastCascade.At <= TimeSpan.FromHours(1);
        bool whale = random.NextDouble() < 0.06;
        bool oiCap = asset.OpenInterestCapUse > 0.95;

        var votes = new List<Vote>();
        if (Math.Abs(change1h) > 0.6 * atr)
        {
            votes.Add(new("Momentum", Math.Sign(change1h), 1.0, $"1h move {change1h:+0.00;-0.00}% against ATR {atr:0.00}%", change1h > 0 ? "momentum_up" : "momentum_down"));
        }

        if (rsi is < 30 or > 70)
        {
            votes.Add(new("RsiReversal", rsi < 30 ? 1 : -1, 0.8, $"RSI14 {rsi:0.0} {(rsi < 30 ? "oversold" : "overbought")}", rsi < 30 ? "rsi_oversold" : "rsi_overbought"));
        }

        if (fundingPercentile is >= 90 or <= 10)
        {
            // Extreme funding means a crowded side: fade it.
            int side = fundingPercentile >= 90 ? -1 : 1;
            votes.Add(new("HyperliquidFundingExtreme", side, 1.2, $"funding at {fundingPercentile:0}th percentile: crowded {(side < 0 ? "longs" : "shorts")}", side < 0 ? "funding_extreme_high" : "funding_extreme_low"));
        }

        if (longShort is > 1.8 or < 0.7)
        {
            votes.Add(new("LongShortCrowding", longShort > 1.8 ? -1 : 1, 0.6, $"long/short ratio {longShort:0.00}", longShort > 1.8 ? "crowded_longs" : "crowded_shorts"));
        }

        if (cascade)
        {
            int side = -asset.LastCascade.Direction;
            votes.Add(new("HyperliquidCascade", side, 1.5, $"liquidation cascade {(asset.LastCascade.Direction < 0 ? "down" : "up")} {(now - asset.LastCascade.At).TotalMinutes:0} min ago: fade the overshoot", "liquidation_cascade"));
        }

        if (whale)
        {
            // Whales are informed more often than not: they lean with the hidden trend.
            int side = asset.Trend != 0 && random.NextDouble() < 0.65 ? asset.Trend : (random.NextDouble() < 0.5 ? -1 : 1);
            votes.Add(new("WhaleFlow", side, 1.3, $"whale {(side > 0 ? "accumulation" : "distribution")} on-chain", side > 0 ? "whale_buying" : "whale_selling"));
        }

        if (oiCap)
        {
            votes.Add(new("HyperliquidOICap", change24h > 0 ? -1 : 1, 0.5, $"open interest at {asset.OpenInterestCapUse:P0} of cap", "oi_cap"));
        }

        if (Math.Abs(imbalance) > 0.35)
        {
            votes.Add(new("BookImbalance", Math.Sign(imbalance), 0.5, $"order book imbalance {imbalance:+0.00;-0.00}", imbalance > 0 ? "bids_heavy" : "asks_heavy"));
        }

        if (market.VolumeRatio >= 2 && Math.Abs(change1h) > 0.3 * atr)
        {
            votes.Add(new("VolumeBreakout", Math.Sign(change1h), 0.8, $"volume {market.VolumeRatio:0.0}x average with the move", "volume_breakout"));
        }

        if (Math.Abs(assetSentiment) > 0.3)
        {
            votes.Add(new("NewsSentiment", Math.Sign(assetSentiment), 0.7, $"{asset.Profile.Ticker} news sentiment {assetSentiment:+0.00;-0.00}", assetSentiment > 0 ? "news_bullish" : "news_bearish"));
        }

        if (xSentiment is { } x && Math.Abs(x) > 0.4)
        {
            votes.Add(new("XSentiment", Math.Sign(x), 0.6, $"X sentiment {x:+0.00;-0.00}", x > 0 ? "x_bullish" : "x_bearish"));
        }

        double net = votes.Sum(v => v.Direction * v.Weight);
        if (votes.Count == 0 || Math.Abs(net) < 0.5)
        {
            return null;
        }

        int direction = Math.Sign(net);
        List<Vote> agreeing = votes.FindAll(v => v.Direction == direction);
        bool openWindow = context.Session.IsOpenWindow == true;
        double boost = openWindow ? OpenWindowBoost : 1.0;
        double strength = Math.Min(100, 100 * (1 - Math.Exp(-Math.Abs(net) / 2.2)) * boost);
        if (strength < ConsiderStrength)
        {
            return null;
        }

        double agreement = agreeing.Sum(v => v.Weight) / votes.Sum(v => v.Weight);
        double confidence = Math.Clamp((100 * agreement * (0.4 + (0.15 * Math.Min(4, agreeing.Count)))) + (4 * random.NextGaussian()), 0, 100);
        double?[] sentiments = [assetSentiment * 100, xSentiment * 100];
        double[] known = sentiments.OfType<double>().ToArray();
        string directionName = direction > 0 ? "long" : "short";

        var features = new SignalFeatures
        {
            Direction = directionName,
            Strength = Math.Round(strength, 1),
            Confidence = Math.Round(confidence, 1),
            SourceCount = agreeing.Count,
            Sources = agreeing.ConvertAll(v => new SignalSource(v.Source)),
            StrategyName = strategyName,
            OpenWindowBoost = boost,
            ConflictingCount = votes.Count - agreeing.Count,
            HasCascadeSignal = cascade,
            HasFundingExtreme = fundingPercentile is >= 90 or <= 10,
            HasWhaleSignal = whale,
            HasOICap = oiCap,
            HighestWeightSource = agreeing.MaxBy(v => v.Weight).Source,
            AvgSentiment = known.Length == 0 ? null : Math.Round(known.Average(), 1),
            XSentimentScore = xSentiment is { } xs ? Math.Round(xs, 3) : null,
            Factors = agreeing.ConvertAll(v => v.Factor),
        };

        var drivers = new List<string>
        {
            $"{directionName} signal: strength {strength:0}, confidence {confidence:0}, {agreeing.Count} source(s) agree, {votes.Count - agreeing.Count} against",
        };
        drivers.AddRange(agreeing.Select(v => $"{v.Source}: {v.Driver}"));
        if (openWindow)
        {
            drivers.Add($"open window boost x{OpenWindowBoost:0.00}");
        }

        return new SignalCandidate(direction, features, drivers);
    }

    private readonly record struct Vote(string Source, int Direction, double Weight, string Driver, string Factor);
}
