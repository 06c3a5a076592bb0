using Vince.FeatureStore;

namespace Vince.FeatureStore.Tests.Records;

// Expected values below are computed by hand from the rules in FORMATS.md §1.
public sealed class FeatureLabelsTests
{
    private static ExecutionFeatures Execution(double stopPct = 2, double size = 1000, double leverage = 5, double[]? tps = null)
        => new() { StopLossDistancePct = stopPct, PositionSizeUsd = size, Leverage = leverage, TakeProfitDistancesPct = tps ?? [2, 4, 6] };

    [Fact]
    public void Winning_trade()
    {
        // risk = 2/100 * 1000 * 5 = 100; r = 150/100 = 1.5; MFE 3.8 >= 0.9*2 = 1.8 and >= 0.9*4 = 3.6, < 5.4 -> level 2
        FeatureLabels labels = FeatureLabels.Derive(Execution(), new OutcomeFeatures
        {
            RealizedPnl = 150,
            ExitReason = "take_profit",
            MaxFavorableExcursion = 3.8,
            MaxAdverseExcursion = 0.9,
        });

        Assert.True(labels.Profitable);
        Assert.Equal(150, labels.WinAmount);
        Assert.Equal(0, labels.LossAmount);
        Assert.Equal(1.5, labels.RMultiple, 12);
        Assert.Equal(2, labels.OptimalTpLevel);
        Assert.False(labels.StopTooTight);
        Assert.False(labels.BetterEntryAvailable); // 0.9 > 0.5*2 = 1.0 is false
    }

    [Fact]
    public void Losing_trade_with_better_entry()
    {
        // r = -80/100 = -0.8; MAE 1.2 > 1.0 -> better entry; MFE 0.5 < 1.8 -> level 0
        FeatureLabels labels = FeatureLabels.Derive(Execution(), new OutcomeFeatures
        {
            RealizedPnl = -80,
            ExitReason = "stop_loss",
            MaxFavorableExcursion = 0.5,
            MaxAdverseExcursion = 1.2,
        });

        Assert.False(labels.Profitable);
        Assert.Equal(0, labels.WinAmount);
        Assert.Equal(80, labels.LossAmount);
        Assert.Equal(-0.8, labels.RMultiple, 12);
        Assert.Equal(0, labels.OptimalTpLevel);
        Assert.False(labels.StopTooTight);
        Assert.True(labels.BetterEntryAvailable);
    }

    [Fact]
    public void Stop_loss_after_large_favourable_excursion_is_too_tight()
    {
        // MFE 4.1 > 2*2 = 4 and exit by stop -> too tight; 4.1 >= 3.6 -> level 2, < 5.4
        FeatureLabels labels = FeatureLabels.Derive(Execution(), new OutcomeFeatures
        {
            RealizedPnl = -100,
            ExitReason = "stop_loss",
            MaxFavorableExcursion = 4.1,
            MaxAdverseExcursion = 2,
        });

        Assert.True(labels.StopTooTight);
        Assert.Equal(2, labels.OptimalTpLevel);
        Assert.Equal(-1, labels.RMultiple, 12);
    }

    [Fact]
    public void Large_excursion_is_not_too_tight_when_the_exit_was_not_the_stop()
    {
        FeatureLabels labels = FeatureLabels.Derive(Execution(), new OutcomeFeatures
        {
            RealizedPnl = 10,
            ExitReason = "time_exit",
            MaxFavorableExcursion = 9,
        });

        Assert.False(labels.StopTooTight);
        Assert.Equal(3, labels.OptimalTpLevel); // 9 >= 5.4
    }

    [Fact]
    public void Exactly_ninety_percent_of_a_level_reaches_it()
    {
        FeatureLabels labels = FeatureLabels.Derive(Execution(tps: [2]), new OutcomeFeatures { RealizedPnl = 1, MaxFavorableExcursion = 1.8 });
        Assert.Equal(1, labels.OptimalTpLevel);
    }

    [Theory]
    [InlineData(0, 1000, 5)]
    [InlineData(2, 0, 5)]
    [InlineData(2, 1000, 0)]
    public void Zero_risk_gives_r_multiple_zero(double stopPct, double size, double leverage)
    {
        FeatureLabels labels = FeatureLabels.Derive(Execution(stopPct, size, leverage), new OutcomeFeatures { RealizedPnl = 50 });
        Assert.Equal(0, labels.RMultiple);
        Assert.True(labels.Profitable);
    }

    [Fact]
    public void No_take_profit_levels_give_level_zero()
    {
        FeatureLabels labels = FeatureLabels.Derive(Execution(tps: []), new OutcomeFeatures { RealizedPnl = 5, MaxFavorableExcursion = 50 });
        Assert.Equal(0, labels.OptimalTpLevel);
    }

    [Fact]
    public void Zero_pnl_is_not_profitable_and_loses_nothing()
    {
        FeatureLabels labels = FeatureLabels.Derive(Execution(), new OutcomeFeatures { RealizedPnl = 0 });
        Assert.False(labels.Profitable);
        Assert.Equal(0, labels.LossAmount);
        Assert.Equal(0, labels.WinAmount);
    }

    [Fact]
    public void Without_execution_or_outcome_every_label_is_false_or_zero()
    {
        var outcome = new OutcomeFeatures { RealizedPnl = 100, ExitReason = "stop_loss", MaxFavorableExcursion = 10, MaxAdverseExcursion = 10 };
        foreach (FeatureLabels labels in new[] { FeatureLabels.Derive(null, outcome), FeatureLabels.Derive(Execution(), null), FeatureLabels.Derive(null, null) })
        {
            Assert.Equal(new FeatureLabels(), labels);
            Assert.False(labels.Profitable);
            Assert.Equal(0, labels.RMultiple);
        }
    }
}
