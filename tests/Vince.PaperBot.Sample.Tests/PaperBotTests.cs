using NSubstitute;
using Vince.FeatureStore;
using Vince.PaperBot.Sample.Tests.Support;

namespace Vince.PaperBot.Sample.Tests;

/// <summary>
/// The sample bot's trading logic against a substitute <see cref="IFeatureStore"/>: what it records, when, and
/// under which id. The market is seeded, so every run is the same.
/// </summary>
public sealed class PaperBotTests
{
    private static readonly string[] Tickers = ["BTC", "ETH", "SOL"];

    [Fact]
    public void A_trade_is_recorded_as_a_decision_with_its_market_context_at_the_evaluation_time()
    {
        var harness = new BotHarness(StrategySettings.Standard, seed: 7, Tickers);

        harness.Run(trades: 5);

        DecisionCall[] decisions = harness.Decisions.ToArray();
        Assert.Equal(5, decisions.Length);
        foreach (DecisionCall decision in decisions)
        {
            Assert.Contains(decision.Asset, Tickers);
            Assert.Equal(decision.At, decision.Timestamp);
            Assert.Equal(0, decision.At.Minute % 30);
            Assert.NotNull(decision.Market);
            Assert.NotNull(decision.Regime);
            Assert.NotNull(decision.News);
            Assert.Equal(TradingSession.Describe(decision.At), decision.Session);
            SignalFeatures signal = Assert.IsType<SignalFeatures>(decision.Signal);
            Assert.Equal(StrategySettings.Standard.Name, signal.StrategyName);
            Assert.Contains(signal.Direction, new[] { "long", "short" });
            Assert.True(signal.Strength >= StrategySettings.Standard.MinStrength, $"traded a signal of strength {signal.Strength}");
            Assert.True(signal.Confidence >= StrategySettings.Standard.MinConfidence, $"traded a signal of confidence {signal.Confidence}");
            Assert.InRange(decision.Drivers!.Count, 1, 15);
            Assert.Contains(decision.Drivers, d => d.StartsWith($"{decision.Session!.Session} session, {decision.Regime!.MarketRegime} market", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Each_trade_gets_its_execution_then_its_outcome_under_the_id_the_store_returned()
    {
        var harness = new BotHarness(StrategySettings.Standard, seed: 11, Tickers);

        PaperRunStats stats = harness.Run(trades: 6);

        string[] returned = harness.Decisions.Select(d => d.Id).ToArray();
        Assert.Equal(6, returned.Length);
        Assert.Equal(returned, harness.Executions.Select(e => e.Id));
        Assert.Equal(returned.Order(), harness.Outcomes.Select(o => o.Id).Order());
        Assert.Equal(6, stats.Completed);
        foreach (string id in returned)
        {
            int decided = harness.Calls.FindIndex(c => c is DecisionCall d && d.Id == id);
            int executed = harness.Calls.FindIndex(c => c is UpdateCall u && u.Id == id && u.Execution is not null);
            int closed = harness.Calls.FindIndex(c => c is UpdateCall u && u.Id == id && u.Outcome is not null);
            Assert.True(decided < executed && executed < closed, $"{id}: decision at {decided}, execution at {executed}, outcome at {closed}");
            harness.Store.Received(1).RecordExecution(id, Arg.Any<ExecutionFeatures>());
            harness.Store.Received(1).RecordOutcome(id, Arg.Any<OutcomeFeatures>());
        }

        harness.Store.DidNotReceiveWithAnyArgs().Record(default!);
    }

    [Fact]
    public void The_execution_puts_the_stop_behind_and_the_targets_ahead_of_the_entry_at_the_strategy_leverage()
    {
        var harness = new BotHarness(StrategySettings.Standard, seed: 3, Tickers);

        harness.Run(trades: 6);

        foreach (DecisionCall decision in harness.Decisions)
        {
            ExecutionFeatures execution = harness.Executions.Single(e => e.Id == decision.Id).Execution!;
            int direction = decision.Signal!.Direction == "long" ? 1 : -1;
            Assert.True(execution.Executed);
            Assert.Equal(StrategySettings.Standard.Leverage, execution.Leverage);
            Assert.True(direction * (execution.EntryPrice - execution.StopLossPrice) > 0, $"{decision.Id}: {decision.Signal.Direction} entry {execution.EntryPrice}, stop {execution.StopLossPrice}");
            Assert.Equal(StrategySettings.Standard.TakeProfitAtrMultiples.Count, execution.TakeProfitPrices!.Count);
            Assert.All(execution.TakeProfitPrices, target => Assert.True(direction * (target - execution.EntryPrice) > 0, $"{decision.Id}: target {target}, entry {execution.EntryPrice}"));
            Assert.InRange(execution.PositionSizePct!.Value, 2, 20);
        }
    }

    [Fact]
    public void A_signal_the_strategy_refuses_goes_to_RecordAvoided_with_the_reason_and_opens_nothing()
    {
        StrategySettings full = StrategySettings.Standard with { MaxOpenPositions = 0 };
        var harness = new BotHarness(full, seed: 5, Tickers);
        using var cancel = new CancellationTokenSource();
        harness.Store.WhenForAnyArgs(s => s.RecordAvoided(default!, default!)).Do(_ => cancel.Cancel());

        PaperRunStats stats = harness.Run(trades: 1, cancel.Token);

        Assert.True(stats.Interrupted);
        AvoidedCall[] avoided = harness.Avoided.ToArray();
        Assert.NotEmpty(avoided);
        Assert.Equal(avoided.Length, stats.Avoided);
        foreach (AvoidedCall call in avoided)
        {
            Assert.Equal("max open positions (0) reached", call.Reason);
            Assert.Contains(call.Asset, Tickers);
            Assert.Equal(call.At, call.Timestamp);
            Assert.Equal(TradingSession.Describe(call.At), call.Session);
            Assert.NotNull(call.Market);
            Assert.NotNull(call.Signal);
            Assert.NotNull(call.Regime);
            Assert.NotNull(call.News);
        }

        harness.Store.DidNotReceiveWithAnyArgs().RecordDecision(default!);
        harness.Store.DidNotReceiveWithAnyArgs().RecordExecution(default!, default!);
        harness.Store.DidNotReceiveWithAnyArgs().RecordOutcome(default!, default!);
    }

    [Fact]
    public void After_a_stop_loss_the_asset_is_not_traded_again_until_the_cooldown_has_passed()
    {
        var harness = new BotHarness(StrategySettings.Standard, seed: 1, "BTC", "ETH", "SOL", "HYPE");

        harness.Run(trades: 40);

        Dictionary<string, DecisionCall> byId = harness.Decisions.ToDictionary(d => d.Id);
        UpdateCall[] stops = harness.Outcomes.Where(o => o.Outcome!.ExitReason == "stop_loss").ToArray();
        Assert.NotEmpty(stops);
        foreach (UpdateCall stop in stops)
        {
            string asset = byId[stop.Id].Asset;
            DateTimeOffset until = stop.At + StrategySettings.Standard.CooldownAfterStop;
            Assert.DoesNotContain(harness.Decisions, d => d.Asset == asset && d.At >= stop.At && d.At < until);
        }

        Assert.Contains(harness.Avoided, a => a.Reason.StartsWith("cooldown after stop loss", StringComparison.Ordinal));
    }

    [Fact]
    public void In_aggressive_mode_trades_use_its_leverage_and_each_outcome_has_its_exit_and_holding_time()
    {
        var harness = new BotHarness(StrategySettings.Aggressive, seed: 9, Tickers);

        PaperRunStats stats = harness.Run(trades: 8);

        Assert.Equal(8, stats.Completed);
        foreach (UpdateCall closed in harness.Outcomes)
        {
            OutcomeFeatures outcome = closed.Outcome!;
            Assert.Contains(outcome.ExitReason, new[] { "stop_loss", "trailing_stop", "take_profit", "time_exit" });
            Assert.NotNull(outcome.RealizedPnl);
            DecisionCall decision = harness.Decisions.Single(d => d.Id == closed.Id);
            Assert.True(closed.At > decision.At, $"{closed.Id} closed at {closed.At}, opened at {decision.At}");
            Assert.Equal((closed.At - decision.At).TotalMinutes, outcome.HoldingPeriodMinutes);
        }

        Assert.All(harness.Executions, e => Assert.Equal(StrategySettings.Aggressive.Leverage, e.Execution!.Leverage));
    }
}
