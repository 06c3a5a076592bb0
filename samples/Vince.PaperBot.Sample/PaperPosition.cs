using Vince.FeatureStore;

namespace Vince.PaperBot.Sample;

/// <summary>
/// An open paper position, checked once per simulated minute. Stops fill at the first price through
/// them (market order), take-profits at their price (limit order). Before the last target each level
/// closes an equal part and arms a trailing stop at break-even, unless the strategy closes everything at
/// the first target.
/// </summary>
internal sealed class PaperPosition
{
    private readonly ExecutionFeatures _execution;
    private readonly double _entry;
    private readonly double _notional;
    private readonly double _stopDistancePct;
    private readonly IReadOnlyList<double> _targets;
    private readonly bool _closeAllAtFirstTarget;
    private readonly TimeSpan _maxHolding;
    private readonly double _feeRate;
    private double _remaining = 1;
    private double _grossPnl;
    private double _fees;
    private int _partials;
    private double? _trailingStop;
    private double _favorable;
    private double _adverse;

    public PaperPosition(
        string id,
        AssetProfile asset,
        int direction,
        ExecutionFeatures execution,
        double entry,
        IReadOnlyList<double> targets,
        bool closeAllAtFirstTarget,
        DateTimeOffset openedAt,
        TimeSpan maxHolding,
        double feeRate)
    {
        Id = id;
        Asset = asset.Ticker;
        Direction = direction;
        OpenedAt = openedAt;
        _execution = execution;
        _entry = entry;
        _notional = (execution.PositionSizeUsd ?? 0) * (execution.Leverage ?? 1);
        _stopDistancePct = execution.StopLossDistancePct ?? 0;
        _targets = targets;
        _closeAllAtFirstTarget = closeAllAtFirstTarget;
        _maxHolding = maxHolding;
        _feeRate = feeRate;
        _fees = _notional * feeRate;
    }

    public string Id { get; }

    public string Asset { get; }

    public int Direction { get; }

    public DateTimeOffset OpenedAt { get; }

    private double StopPrice => _trailingStop ?? _entry * (1 - (Direction * _stopDistancePct / 100));

    /// <summary>Moves the position one minute on; returns the outcome when it closed.</summary>
    public OutcomeFeatures? OnMinute(double price, DateTimeOffset now)
    {
        double move = Direction * (price / _entry - 1) * 100;
        _favorable = Math.Max(_favorable, move);
        _adverse = Math.Max(_adverse, -move);
        if (_trailingStop is { } trailing)
        {
            double candidate = price * (1 - (Direction * _stopDistancePct / 100));
            _trailingStop = Direction > 0 ? Math.Max(trailing, candidate) : Math.Min(trailing, candidate);
        }

        if (Direction * (price - StopPrice) <= 0)
        {
            return Close(price, now, _trailingStop is null ? "stop_loss" : "trailing_stop");
        }

        while (_partials < _targets.Count && Direction * (price - _targets[_partials]) >= 0)
        {
            double target = _targets[_partials];
            if (_closeAllAtFirstTarget || _partials == _targets.Count - 1)
            {
                return Close(target, now, "take_profit");
            }

            Fill(1.0 / _targets.Count, target);
            _partials++;
            // Lock in the trade: from the first partial on the stop trails, never below break-even.
            _trailingStop ??= _entry;
        }

        return now - OpenedAt >= _maxHolding ? Close(price, now, "time_exit") : null;
    }

    private void Fill(double fraction, double price)
    {
        _grossPnl += fraction * _notional * Direction * (price / _entry - 1);
        _fees += fraction * _notional * (price / _entry) * _feeRate;
        _remaining -= fraction;
    }

    private OutcomeFeatures Close(double price, DateTimeOffset now, string reason)
    {
        Fill(_remaining, price);
        double pnl = _grossPnl - _fees;
        return new OutcomeFeatures
        {
            ExitPrice = AssetProfile.RoundPrice(price),
            RealizedPnl = Math.Round(pnl, 2),
            // Return on the margin put up, as the bot reports it.
            RealizedPnlPct = Math.Round(pnl / (_execution.PositionSizeUsd ?? 1) * 100, 3),
            FeesUsd = Math.Round(_fees, 2),
            HoldingPeriodMinutes = (now - OpenedAt).TotalMinutes,
            ExitReason = reason,
            MaxFavorableExcursion = Math.Round(_favorable, 3),
            MaxAdverseExcursion = Math.Round(_adverse, 3),
            PartialProfitsTaken = _partials,
            TrailingStopActivated = _trailingStop is not null,
            TrailingStopPrice = _trailingStop is { } stop ? AssetProfile.RoundPrice(stop) : null,
        };
    }
}
