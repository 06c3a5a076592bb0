using Microsoft.Extensions.Logging;
using Vince.FeatureStore;
using Vince.FeatureStore.Onnx;

namespace Vince.PaperBot.Sample;

/// <summary>Risk settings of the two modes the real bot has.</summary>
internal sealed record StrategySettings
{
    public required string Name { get; init; }
    public required double Leverage { get; init; }
    /// <summary>Aggressive mode takes profit at a fixed dollar amount instead of volatility-based targets.</summary>
    public double? TakeProfitUsd { get; init; }
    public IReadOnlyList<double> TakeProfitAtrMultiples { get; init; } = [2.0, 3.5, 5.0];
    public double StopAtrMultiple { get; init; } = 1.5;
    public TimeSpan MaxHolding { get; init; } = TimeSpan.FromHours(24);
    public int MaxOpenPositions { get; init; } = 3;
    public double MinStrength { get; init; } = 55;
    public double MinConfidence { get; init; } = 60;
    public double WeekendMinStrength { get; init; } = 65;
    /// <summary>Sizing uses a fixed paper balance, so a long run does not compound into absurd sizes.</summary>
    public double AccountUsd { get; init; } = 10_000;
    public double BasePositionPct { get; init; } = 8;
    public double TakerFeeRate { get; init; } = 0.00045;
    public TimeSpan CooldownAfterStop { get; init; } = TimeSpan.FromHours(2);

    public static StrategySettings Standard { get; } = new() { Name = "vince-paper", Leverage = 3 };

    public static StrategySettings Aggressive { get; } = new()
    {
        Name = "vince-paper-aggressive",
        Leverage = 10,
        TakeProfitUsd = 210,
        MaxHolding = TimeSpan.FromHours(12),
    };

    public string Describe() => TakeProfitUsd is { } usd
        ? $"aggressive mode: {Leverage:0}x leverage, take profit at ${usd:0}"
        : $"standard mode: {Leverage:0}x leverage, take profits at {string.Join("/", TakeProfitAtrMultiples.Select(m => m.ToString("0.#")))} x ATR";
}

/// <summary>What one run produced, as the bot counted it (the summary re-reads the log independently).</summary>
/// <param name="Scored">Decisions scored by the model set (0 without one).</param>
/// <param name="ColdHistory">Scored decisions of which some model missed a lag (fewer than 3 earlier records of the asset).</param>
internal sealed record PaperRunStats(int Completed, int Avoided, DateTimeOffset SimulatedUntil, bool Interrupted, int Scored = 0, int ColdHistory = 0);

/// <summary>
/// The paper-trading loop: every simulated minute it manages open positions; every 30 minutes it
/// evaluates each free asset, records the decision (traded or avoided) and, for trades, the execution
/// and later the outcome. Positions on different assets overlap, so the store sees interleaved updates.
/// With a model set every decision is scored from its parts before it is recorded (the served scores go into the
/// record), and a trade the signal-quality model rejects is recorded as avoided instead.
/// </summary>
internal sealed class PaperBot(IFeatureStore store, PaperMarket market, StrategySettings strategy, Random random, ILogger<PaperBot> logger, OnnxModelSet? models = null)
{
    private const int MaxDecisionDrivers = 15;
    private const int EvaluationMinutes = 30;
    private static readonly TimeSpan CooldownAfterClose = TimeSpan.FromMinutes(30);
    private static readonly TimeSpan StallLimit = TimeSpan.FromDays(60);

    private readonly SignalEngine _signals = new(random, strategy.Name);
    private readonly List<PaperPosition> _open = [];
    private readonly Dictionary<string, (DateTimeOffset Until, bool AfterStop)> _cooldowns = new(StringComparer.Ordinal);
    private int _avoided, _opened, _completed, _scored, _coldHistory;
    private int _winStreak, _lossStreak;

    /// <summary>Runs until <paramref name="trades"/> trades have opened and closed, or until cancelled.</summary>
    public PaperRunStats Run(int trades, IProgress<int> progress, CancellationToken cancellationToken)
    {
        DateTimeOffset lastOpen = market.Now;
        while (_completed < trades && !cancellationToken.IsCancellationRequested)
        {
            market.AdvanceMinute();
            DateTimeOffset now = market.Now;
            if (ManagePositions(now) > 0)
            {
                progress.Report(_completed);
            }

            if (_opened < trades && now.Minute % EvaluationMinutes == 0)
            {
                foreach (AssetSeries asset in market.Assets)
                {
                    if (_open.TrueForAll(p => p.Asset != asset.Profile.Ticker) && EvaluateAsset(asset, now))
                    {
                        lastOpen = now;
                    }
                }
            }

            if (_open.Count == 0 && now - lastOpen > StallLimit)
            {
                throw new InvalidOperationException($"No trade opened in {StallLimit.TotalDays:0} simulated days; the strategy thresholds are too strict for this market.");
            }
        }

        return new PaperRunStats(_completed, _avoided, market.Now, cancellationToken.IsCancellationRequested, _scored, _coldHistory);
    }

    private int ManagePositions(DateTimeOffset now)
    {
        int closed = 0;
        for (int i = _open.Count - 1; i >= 0; i--)
        {
            PaperPosition position = _open[i];
            if (position.OnMinute(market[position.Asset].Price, now) is not { } outcome)
            {
                continue;
            }

            _open.RemoveAt(i);
            store.RecordOutcome(position.Id, outcome);
            closed++;
            _completed++;
            double pnl = outcome.RealizedPnl ?? 0;
            if (pnl > 0)
            {
                _winStreak++;
                _lossStreak = 0;
            }
            else
            {
                _lossStreak++;
                _winStreak = 0;
            }

            bool stopped = outcome.ExitReason == "stop_loss";
            _cooldowns[position.Asset] = (now + (stopped ? strategy.CooldownAfterStop : CooldownAfterClose), stopped);
            SampleLog.Closed(logger, position.Asset, position.Id, outcome.ExitReason, pnl);
        }

        return closed;
    }

    /// <summary>Returns true when a trade was opened.</summary>
    private bool EvaluateAsset(AssetSeries asset, DateTimeOffset now)
    {
        string ticker = asset.Profile.Ticker;
        if (_cooldowns.TryGetValue(ticker, out var cooldown) && now < cooldown.Until && !cooldown.AfterStop)
        {
            return false; // a short pause after a normal close: the bot does not look at the asset at all
        }

        MarketContext context = market.Describe(asset);
        if (_signals.Evaluate(asset, context, market.XSentiment(asset), now) is not { } signal)
        {
            return false;
        }

        if (AvoidReason(ticker, signal, context, now) is { } reason)
        {
            if (Score(ticker, context, signal, null, now) is { } scored)
            {
                store.Record(scored.ToAvoided(reason));
            }
            else
            {
                store.RecordAvoided(ticker, reason, context.Market, context.Session, signal.Features, context.Regime, context.News, now);
            }

            _avoided++;
            return false;
        }

        return Open(asset, signal, context, now);
    }

    /// <summary>Every model's score of the decision from its parts, before it is recorded; null without a model set.</summary>
    private ScoredDecision? Score(string ticker, MarketContext context, SignalCandidate signal, IReadOnlyList<string>? drivers, DateTimeOffset now)
    {
        if (models is null)
        {
            return null;
        }

        ScoredDecision scored = models.ScoreDecision(ticker, context.Market, context.Session, signal.Features, context.Regime, context.News, drivers, now);
        _scored++;
        _coldHistory += scored.ColdHistory ? 1 : 0;
        return scored;
    }

    private string? AvoidReason(string ticker, SignalCandidate signal, MarketContext context, DateTimeOffset now)
    {
        if (_open.Count >= strategy.MaxOpenPositions)
        {
            return $"max open positions ({strategy.MaxOpenPositions}) reached";
        }

        if (_cooldowns.TryGetValue(ticker, out var cooldown) && now < cooldown.Until)
        {
            return $"cooldown after stop loss ({(cooldown.Until - now).TotalMinutes:0} min left)";
        }

        if (context.News.AssetHasHighRiskEvent == true)
        {
            return $"high-severity risk event active for {ticker}";
        }

        if (context.Regime.VolatilityRegime == "extreme")
        {
            return "extreme volatility regime";
        }

        if (context.Session.IsWeekend == true && signal.Strength < strategy.WeekendMinStrength)
        {
            return $"weekend: strength {signal.Strength:0.0} below {strategy.WeekendMinStrength:0}";
        }

        if (signal.Strength < strategy.MinStrength)
        {
            return $"strength {signal.Strength:0.0} below {strategy.MinStrength:0}";
        }

        if (signal.Confidence < strategy.MinConfidence)
        {
            return $"confidence {signal.Confidence:0.0} below {strategy.MinConfidence:0}";
        }

        int conflicting = signal.Features.ConflictingCount ?? 0;
        return conflicting >= (signal.Features.SourceCount ?? 0)
            ? $"conflicting sources ({conflicting} against {signal.Features.SourceCount})"
            : null;
    }

    /// <summary>Returns false when the signal-quality model rejected the trade (recorded as avoided).</summary>
    private bool Open(AssetSeries asset, SignalCandidate signal, MarketContext context, DateTimeOffset now)
    {
        AssetProfile profile = asset.Profile;
        int direction = signal.Direction;
        double atrPct = context.Market.AtrPct ?? 1;
        bool wideStop = context.Regime.VolatilityRegime == "high";
        double stopPct = Math.Clamp(strategy.StopAtrMultiple * atrPct * (wideStop ? 1.2 : 1), 0.5, 6);
        double streak = StreakMultiplier();
        double sizePct = Math.Clamp(strategy.BasePositionPct * (0.6 + (0.8 * signal.Strength / 100)) * streak * (wideStop ? 0.75 : 1), 2, 20);
        double margin = Math.Round(strategy.AccountUsd * sizePct / 100, 2);
        double notional = margin * strategy.Leverage;
        // Market entry pays half the spread.
        double entry = asset.Price * (1 + (direction * (context.Market.BidAskSpread ?? 0) / 200));
        double[] targetPcts = strategy.TakeProfitUsd is { } usd
            ? DollarTargetDistances(usd, notional, direction)
            : strategy.TakeProfitAtrMultiples.Select(m => m * atrPct).ToArray();
        double[] targets = targetPcts.Select(pct => entry * (1 + (direction * pct / 100))).ToArray();
        double change1h = context.Market.PriceChange1h ?? 0;

        var execution = new ExecutionFeatures
        {
            Executed = true,
            EntryPrice = AssetProfile.RoundPrice(entry),
            Leverage = strategy.Leverage,
            PositionSizeUsd = margin,
            PositionSizePct = Math.Round(sizePct, 2),
            StopLossPrice = AssetProfile.RoundPrice(entry * (1 - (direction * stopPct / 100))),
            StopLossDistancePct = Math.Round(stopPct, 3),
            TakeProfitPrices = targets.Select(AssetProfile.RoundPrice).ToArray(),
            TakeProfitDistancesPct = targetPcts.Select(p => Math.Round(p, 3)).ToArray(),
            EntryAtrPct = Math.Round(atrPct, 3),
            StreakMultiplier = streak,
            // Entering against the last hour's move is the bot's pullback entry.
            UsedPullbackEntry = direction * change1h < 0,
        };

        var drivers = new List<string>(signal.Drivers)
        {
            $"{context.Session.Session} session, {context.Regime.MarketRegime} market, {context.Regime.VolatilityRegime} volatility",
            $"stop {stopPct:0.00}% ({strategy.StopAtrMultiple:0.0}x ATR{(wideStop ? ", widened for high volatility" : "")})",
            $"size {sizePct:0.0}% of account at {strategy.Leverage:0}x, streak multiplier {streak:0.00}",
        };
        if (strategy.TakeProfitUsd is { } takeProfitUsd)
        {
            drivers.Add($"take profit at ${takeProfitUsd:0} = {targetPcts[0]:0.00}% move");
        }

        if (context.News.MacroRiskEnvironment == "risk_off")
        {
            drivers.Add("macro risk-off: trading anyway, signal strong enough");
        }

        string[] recordedDrivers = drivers.Take(MaxDecisionDrivers).ToArray();
        string id;
        if (Score(profile.Ticker, context, signal, recordedDrivers, now) is { } scored)
        {
            if (!scored.Passes)
            {
                ModelScore quality = scored.SignalQuality!.Value;
                store.Record(scored.ToAvoided($"signal quality {quality.Value:0.000} below {quality.Threshold:0.000}"));
                _avoided++;
                return false;
            }

            id = store.Record(scored.ToRecord());
        }
        else
        {
            id = store.RecordDecision(profile.Ticker, context.Market, context.Session, signal.Features, context.Regime, context.News, recordedDrivers, now);
        }

        store.RecordExecution(id, execution);
        _open.Add(new PaperPosition(id, profile, direction, execution, entry, targets, strategy.TakeProfitUsd is not null, now, strategy.MaxHolding, strategy.TakerFeeRate));
        _opened++;
        SampleLog.Opened(logger, direction > 0 ? "long" : "short", profile.Ticker, id, execution.EntryPrice);
        return true;
    }

    /// <summary>
    /// Price distances (percent) at which the position nets <paramref name="usd"/> after entry and exit
    /// fees, then two further levels the bot would aim for with more room.
    /// </summary>
    private double[] DollarTargetDistances(double usd, double notional, int direction)
    {
        double fee = strategy.TakerFeeRate;
        double first = ((usd / notional) + (2 * fee)) / (1 - (direction * fee)) * 100;
        return [first, first * 1.5, first * 2.25];
    }

    private double StreakMultiplier() => (_winStreak, _lossStreak) switch
    {
        ( >= 4, _) => 1.2,
        ( >= 2, _) => 1.1,
        (_, >= 3) => 0.6,
        (_, >= 2) => 0.8,
        _ => 1.0,
    };
}
