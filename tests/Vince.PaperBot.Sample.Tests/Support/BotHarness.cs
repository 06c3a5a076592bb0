using Microsoft.Extensions.Logging.Abstractions;
using NSubstitute;
using Vince.FeatureStore;

namespace Vince.PaperBot.Sample.Tests.Support;

/// <summary>A decision the bot recorded, with the id the store returned for it.</summary>
internal sealed record DecisionCall(
    string Id, string Asset, MarketFeatures? Market, SessionFeatures? Session, SignalFeatures? Signal, RegimeFeatures? Regime,
    NewsFeatures? News, IReadOnlyList<string>? Drivers, DateTimeOffset? Timestamp, DateTimeOffset At);

/// <summary>A signal the bot evaluated and did not trade.</summary>
internal sealed record AvoidedCall(
    string Asset, string Reason, MarketFeatures? Market, SessionFeatures? Session, SignalFeatures? Signal, RegimeFeatures? Regime,
    NewsFeatures? News, DateTimeOffset? Timestamp, DateTimeOffset At);

/// <summary>An execution or outcome the bot attached to a record id.</summary>
internal sealed record UpdateCall(string Id, ExecutionFeatures? Execution, OutcomeFeatures? Outcome, DateTimeOffset At);

/// <summary>
/// The sample's <see cref="PaperBot"/> on a seeded <see cref="PaperMarket"/>, recording into a substitute
/// <see cref="IFeatureStore"/> that hands out the ids <c>store-id-1</c>, <c>store-id-2</c>, … and keeps every call
/// in order with the simulated time it was made at.
/// </summary>
internal sealed class BotHarness
{
    public BotHarness(StrategySettings strategy, int seed, params string[] tickers)
    {
        Strategy = strategy;
        Market = new PaperMarket(tickers, seed);
        Store = Substitute.For<IFeatureStore>();
        Store.RecordDecision(default!).ReturnsForAnyArgs(call =>
        {
            string id = $"store-id-{Decisions.Count() + 1}";
            Calls.Add(new DecisionCall(id, call.ArgAt<string>(0), call.ArgAt<MarketFeatures?>(1), call.ArgAt<SessionFeatures?>(2),
                call.ArgAt<SignalFeatures?>(3), call.ArgAt<RegimeFeatures?>(4), call.ArgAt<NewsFeatures?>(5),
                call.ArgAt<IReadOnlyList<string>?>(6), call.ArgAt<DateTimeOffset?>(7), Market.Now));
            return id;
        });
        Store.RecordAvoided(default!, default!).ReturnsForAnyArgs(call =>
        {
            Calls.Add(new AvoidedCall(call.ArgAt<string>(0), call.ArgAt<string>(1), call.ArgAt<MarketFeatures?>(2), call.ArgAt<SessionFeatures?>(3),
                call.ArgAt<SignalFeatures?>(4), call.ArgAt<RegimeFeatures?>(5), call.ArgAt<NewsFeatures?>(6), call.ArgAt<DateTimeOffset?>(7), Market.Now));
            return $"avoided-id-{Avoided.Count()}";
        });
        Store.WhenForAnyArgs(s => s.RecordExecution(default!, default!))
            .Do(call => Calls.Add(new UpdateCall(call.ArgAt<string>(0), call.ArgAt<ExecutionFeatures>(1), null, Market.Now)));
        Store.WhenForAnyArgs(s => s.RecordOutcome(default!, default!))
            .Do(call => Calls.Add(new UpdateCall(call.ArgAt<string>(0), null, call.ArgAt<OutcomeFeatures>(1), Market.Now)));
        Bot = new PaperBot(Store, Market, strategy, new Random(seed + 1), NullLogger<PaperBot>.Instance);
    }

    public StrategySettings Strategy { get; }

    public PaperMarket Market { get; }

    public IFeatureStore Store { get; }

    public PaperBot Bot { get; }

    /// <summary>Every call the bot made on the store, in order.</summary>
    public List<object> Calls { get; } = [];

    public IEnumerable<DecisionCall> Decisions => Calls.OfType<DecisionCall>();

    public IEnumerable<AvoidedCall> Avoided => Calls.OfType<AvoidedCall>();

    public IEnumerable<UpdateCall> Executions => Calls.OfType<UpdateCall>().Where(c => c.Execution is not null);

    public IEnumerable<UpdateCall> Outcomes => Calls.OfType<UpdateCall>().Where(c => c.Outcome is not null);

    public PaperRunStats Run(int trades, CancellationToken cancellationToken = default)
        => Bot.Run(trades, Substitute.For<IProgress<int>>(), cancellationToken);
}
