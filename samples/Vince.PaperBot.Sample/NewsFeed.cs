using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>
/// Synthetic news and macro context, updated hourly: macro regime, Nasdaq and ETF flows on weekdays only,
/// overall and per-asset sentiment, and risk events. Feeds go stale now and then, as real ones do,
/// which is why several fields may be null.
/// </summary>
internal sealed class NewsFeed
{
    private static readonly string[] MacroStates = ["risk_on", "neutral", "risk_off"];
    private static readonly string[] Severities = ["low", "medium", "high", "critical"];

    private readonly Random _random;
    private readonly IReadOnlyList<string> _tickers;
    private readonly Dictionary<string, double> _assetSentiment = new(StringComparer.Ordinal);
    private readonly Dictionary<string, double?> _xSentiment = new(StringComparer.Ordinal);
    private readonly List<RiskEvent> _riskEvents = [];
    private int _macro = 1;
    private bool _macroStale;
    private double _sentiment;
    private double? _nasdaqChange;
    private double? _etfFlowBtc, _etfFlowEth;
    private DateTimeOffset _now;

    public NewsFeed(IReadOnlyList<string> tickers, Random random)
    {
        _tickers = tickers;
        _random = random;
        foreach (string ticker in tickers)
        {
            _assetSentiment[ticker] = 0;
            _xSentiment[ticker] = 0;
        }
    }

    private double MacroBias => _macro switch { 0 => 1, 2 => -1, _ => 0 };

    public void AdvanceHour(DateTimeOffset now, IReadOnlyList<AssetSeries> assets)
    {
        _now = now;
        DateTime utc = now.UtcDateTime;
        bool weekend = utc.DayOfWeek is DayOfWeek.Saturday or DayOfWeek.Sunday;
        if (_random.NextDouble() < 0.02)
        {
            _macro = Math.Clamp(_macro + (_random.NextDouble() < 0.5 ? -1 : 1), 0, 2);
        }

        _macroStale = _random.NextDouble() < 0.03;
        _sentiment = Math.Clamp(_sentiment + (0.1 * ((0.3 * MacroBias) - _sentiment)) + (0.08 * _random.NextGaussian()), -1, 1);
        UpdateEquityMarkets(utc, weekend);

        foreach (AssetSeries asset in assets)
        {
            string ticker = asset.Profile.Ticker;
            double momentum = Math.Clamp(asset.PriceChangePct(TimeSpan.FromHours(24)) / (2 * asset.Profile.DailyVolatilityPct), -1, 1);
            double target = (0.6 * momentum) + (0.4 * _sentiment);
            _assetSentiment[ticker] = Math.Clamp(_assetSentiment[ticker] + (0.2 * (target - _assetSentiment[ticker])) + (0.1 * _random.NextGaussian()), -1, 1);
            double x = Math.Clamp((_xSentiment[ticker] ?? 0) + (0.3 * (target - (_xSentiment[ticker] ?? 0))) + (0.2 * _random.NextGaussian()), -1, 1);
            // The X feed is the least reliable: about one read in seven is missing.
            _xSentiment[ticker] = _random.NextDouble() < 0.15 ? null : x;
        }

        _riskEvents.RemoveAll(e => e.Until <= now);
        if (_random.NextDouble() < 0.012)
        {
            double draw = _random.NextDouble();
            int severity = draw < 0.40 ? 0 : draw < 0.75 ? 1 : draw < 0.95 ? 2 : 3;
            string? ticker = _random.NextDouble() < 0.6 ? null : _tickers[_random.Next(_tickers.Count)];
            _riskEvents.Add(new RiskEvent(severity, ticker, now + TimeSpan.FromHours(2 + _random.Next(17))));
        }
    }

    public double? XSentiment(string ticker) => _xSentiment[ticker];

    public NewsFeatures Features(string ticker)
    {
        int highest = _riskEvents.Count == 0 ? -1 : _riskEvents.Max(e => e.Severity);
        double assetSentiment = _assetSentiment[ticker];
        return new NewsFeatures
        {
            EtfFlowBtc = _etfFlowBtc,
            EtfFlowEth = _etfFlowEth,
            MacroRiskEnvironment = _macroStale ? null : MacroStates[_macro],
            NasdaqChange = _nasdaqChange,
            SentimentScore = Math.Round(_sentiment, 3),
            SentimentDirection = Direction(_sentiment),
            HasActiveRiskEvents = _riskEvents.Count > 0,
            HighestRiskSeverity = highest < 0 ? null : Severities[highest],
            AssetSentimentScore = Math.Round(assetSentiment, 3),
            AssetSentimentDirection = Direction(assetSentiment),
            AssetHasHighRiskEvent = _riskEvents.Exists(e => e.Severity >= 2 && (e.Ticker is null || e.Ticker == ticker) && e.Until > _now),
        };
    }

    private void UpdateEquityMarkets(DateTime utc, bool weekend)
    {
        if (weekend)
        {
            // No equity session and no ETF flows: the bot reads null, not Friday's stale numbers.
            _nasdaqChange = null;
            _etfFlowBtc = _etfFlowEth = null;
            return;
        }

        if (utc.Hour == 14)
        {
            _nasdaqChange = 0; // the cash session opened at 13:30
        }

        if (utc.Hour is >= 14 and <= 20)
        {
            _nasdaqChange = Math.Round((_nasdaqChange ?? 0) + (0.25 * _random.NextGaussian()) + (0.05 * MacroBias), 3);
        }

        if (utc.Hour == 21 || _etfFlowBtc is null)
        {
            // Daily ETF flows (USD millions) arrive after the US close.
            _etfFlowBtc = Math.Round(150 + (200 * MacroBias) + (300 * _random.NextGaussian()), 1);
            _etfFlowEth = Math.Round(30 + (60 * MacroBias) + (90 * _random.NextGaussian()), 1);
        }

        _nasdaqChange ??= Math.Round(0.8 * _random.NextGaussian(), 3);
    }

    private static string Direction(double score) => score switch
    {
        > 0.15 => "bullish",
        < -0.15 => "bearish",
        _ => "neutral",
    };

    private sealed record RiskEvent(int Severity, string? Ticker, DateTimeOffset Until);
}
