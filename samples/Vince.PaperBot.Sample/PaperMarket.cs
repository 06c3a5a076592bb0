using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>What the bot sees of one asset when it evaluates a signal, in the store's feature types.</summary>
internal sealed record MarketContext(MarketFeatures Market, SessionFeatures Session, RegimeFeatures Regime, NewsFeatures News);

/// <summary>
/// A synthetic market: one random walk per asset on a one-minute clock that starts at a fixed date, so a
/// seed always gives the same prices. Assets share a common factor, like real crypto.
/// </summary>
internal sealed class PaperMarket
{
    /// <summary>A Monday: the run starts in the Asian session of a normal week.</summary>
    public static readonly DateTimeOffset Start = new(2026, 1, 5, 0, 0, 0, TimeSpan.Zero);

    private const double CommonFactorWeight = 0.65;
    private static readonly TimeSpan WarmUp = TimeSpan.FromDays(7);

    private readonly Random _random;
    private readonly NewsFeed _news;
    private readonly Dictionary<string, AssetSeries> _byTicker;
    private double _fearGreed = 50;

    public PaperMarket(IReadOnlyList<string> tickers, int seed)
    {
        _random = new Random(seed);
        Assets = tickers.Select(t => new AssetSeries(AssetProfile.For(t, StableSeed(seed, t)), new Random(StableSeed(seed, t)))).ToList();
        _byTicker = Assets.ToDictionary(a => a.Profile.Ticker, StringComparer.Ordinal);
        _news = new NewsFeed(tickers, new Random(StableSeed(seed, "news")));

        // Indicators (24 h change, RSI, ATR, funding percentile) need history before the first decision.
        Now = Start - WarmUp;
        while (Now < Start)
        {
            AdvanceMinute();
        }
    }

    public DateTimeOffset Now { get; private set; }

    public IReadOnlyList<AssetSeries> Assets { get; }

    public AssetSeries this[string ticker] => _byTicker[ticker];

    public void AdvanceMinute()
    {
        Now += TimeSpan.FromMinutes(1);
        double common = _random.NextGaussian();
        foreach (AssetSeries asset in Assets)
        {
            asset.AdvanceMinute(Now, (CommonFactorWeight * common) + (Math.Sqrt(1 - (CommonFactorWeight * CommonFactorWeight)) * asset.Random.NextGaussian()));
        }

        if (Now.Minute == 0)
        {
            double averageChange = Assets.Average(a => a.PriceChangePct(TimeSpan.FromHours(24)));
            _fearGreed = Math.Clamp(_fearGreed + (0.05 * (50 + (6 * averageChange) - _fearGreed)) + (1.5 * _random.NextGaussian()), 5, 95);
            _news.AdvanceHour(Now, Assets);
        }
    }

    public double? XSentiment(AssetSeries asset) => _news.XSentiment(asset.Profile.Ticker);

    public MarketContext Describe(AssetSeries asset)
    {
        MarketFeatures market = asset.Features(Math.Round(_fearGreed));
        NewsFeatures news = _news.Features(asset.Profile.Ticker);
        return new MarketContext(market, TradingSession.Describe(Now), Regime(asset, market, news), news);
    }

    private static RegimeFeatures Regime(AssetSeries asset, MarketFeatures market, NewsFeatures news)
    {
        double change24h = market.PriceChange24h ?? 0;
        string volatility = asset.VolatilityRegime;
        string marketRegime = volatility is "high" or "extreme" && Math.Abs(change24h) < asset.Profile.DailyVolatilityPct
            ? "volatile"
            : change24h > 0.6 * asset.Profile.DailyVolatilityPct && market.PriceVsSma20 > 0 ? "bullish"
            : change24h < -0.6 * asset.Profile.DailyVolatilityPct && market.PriceVsSma20 < 0 ? "bearish"
            : "neutral";
        return new RegimeFeatures
        {
            VolatilityRegime = volatility,
            MarketRegime = marketRegime,
            FundingTrend = market.FundingDelta switch
            {
                > 0.00001 => "rising",
                < -0.00001 => "falling",
                _ => "stable",
            },
            VolumeSpike = market.VolumeRatio >= 2,
            OiCapRisk = asset.OpenInterestCapUse > 0.85 ? JsonValues.True : JsonValues.False,
            // Without a macro read the bot has no sentiment label either.
            Sentiment = news.MacroRiskEnvironment is null ? null : news.SentimentDirection,
        };
    }

    /// <summary>string.GetHashCode is randomised per process; this one keeps a seed reproducible.</summary>
    private static int StableSeed(int seed, string name)
    {
        uint hash = 2166136261;
        foreach (char c in name)
        {
            hash = (hash ^ c) * 16777619;
        }

        return (int)((hash ^ (uint)seed) & int.MaxValue);
    }
}

/// <summary>Per-asset constants of the synthetic market, roughly like the real perpetuals.</summary>
internal sealed record AssetProfile(
    string Ticker,
    double StartPrice,
    double DailyVolatilityPct,
    double DailyVolumeUsd,
    double OpenInterestUsd,
    double SpreadPct,
    bool HasDvol)
{
    /// <summary>Six significant digits, like exchange tick sizes, whatever the price has drifted to.</summary>
    public static double RoundPrice(double price)
        => price <= 0 ? price : Math.Round(price, Math.Clamp(5 - (int)Math.Floor(Math.Log10(price)), 0, 15));

    public static AssetProfile For(string ticker, int seed) => ticker switch
    {
        "BTC" => new(ticker, 95_000, 2.8, 2.5e9, 2.0e9, 0.010, HasDvol: true),
        "ETH" => new(ticker, 3_300, 3.6, 1.2e9, 1.0e9, 0.015, HasDvol: true),
        "SOL" => new(ticker, 190, 4.8, 4.0e8, 3.5e8, 0.025, HasDvol: false),
        "HYPE" => new(ticker, 28, 6.5, 2.5e8, 1.5e8, 0.040, HasDvol: false),
        // Any other ticker gets a small-cap profile; its price still depends only on the seed.
        _ => new(ticker, Math.Round(0.5 + (new Random(seed).NextDouble() * 50), 4), 7.0, 5.0e7, 2.0e7, 0.080, HasDvol: false),
    };
}

/// <summary><see cref="RegimeFeatures.OiCapRisk"/> is a raw JSON value; these are the two the sample writes.</summary>
internal static class JsonValues
{
    public static readonly System.Text.Json.JsonElement True = System.Text.Json.JsonDocument.Parse("true").RootElement.Clone();
    public static readonly System.Text.Json.JsonElement False = System.Text.Json.JsonDocument.Parse("false").RootElement.Clone();
}

internal static class RandomExtensions
{
    /// <summary>A standard normal draw (Box–Muller); System.Random has none.</summary>
    public static double NextGaussian(this Random random)
    {
        double u1 = 1.0 - random.NextDouble();
        double u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}

/// <summary>The last <c>capacity</c> values of a series, indexed from the newest (0) back.</summary>
internal sealed class RollingWindow(int capacity)
{
    private readonly double[] _values = new double[capacity];
    private int _next;

    public int Count { get; private set; }

    public double Sum { get; private set; }

    public void Add(double value)
    {
        if (Count == _values.Length)
        {
            Sum -= _values[_next];
        }
        else
        {
            Count++;
        }

        _values[_next] = value;
        Sum += value;
        _next = (_next + 1) % _values.Length;
    }

    /// <summary>The value <paramref name="stepsBack"/> entries before the newest; the oldest kept when the window is shorter.</summary>
    public double Back(int stepsBack)
    {
        int back = Math.Min(stepsBack, Count - 1);
        return _values[((_next - 1 - back) % _values.Length + _values.Length) % _values.Length];
    }

    /// <summary>Share of the kept values at or below <paramref name="value"/>, 0–100.</summary>
    public double PercentileOf(double value)
    {
        int atOrBelow = 0;
        for (int i = 0; i < Count; i++)
        {
            if (_values[i] <= value)
            {
                atOrBelow++;
            }
        }

        return Count == 0 ? 50 : 100.0 * atOrBelow / Count;
    }
}
