using System.Text.Json;
using Vince.FeatureStore.Flattening;

namespace Vince.FeatureStore.Tests.Flattening;

/// <summary>
/// <see cref="CompiledColumns.Fill"/> reads a row by a plan (sections in one call each, lags once, rolling means from the
/// lag slots); <see cref="CompiledColumns.GetValue"/> reads each column through its rule's delegate. Both must give the
/// same model input for every column, whatever the list and the history hold.
/// </summary>
public sealed class FillPlanTests
{
    /// <summary>Duplicates, unknown names, text, extension keys, specials, lags without their roll and rolls without their lags.</summary>
    private static readonly string[] AwkwardColumns =
    [
        "market_atrPct", "market_atrPct", "market_atrPct_roll3", "market_rsi14_roll3", "market_rsi14_lag2",
        "market_dvol_lag3", "market_dvol_lag1", "market_dvol_roll3", "market_dvol_lag2",
        "session_session", "session_session_lag1", "session_utcHour_roll3", "session_isWeekend_lag1",
        "market_customScore", "market_customScore_lag1", "market_customScore_roll3", "market_customNote",
        "signal_source_count_lag2", "signal_source_count_roll3", "asset_BTC", "asset_ETH_lag1",
        "regime_bullish_roll3", "wtt_edge_lag1", "label_profitable", "no_such_column", "market_atrPct_lag1_lag1",
        "news_nasdaqChange", "exec_leverage_lag1", "outcome_realizedPnl", "label_rMultiple_roll3",
    ];

    public static TheoryData<int> EarlierCounts() => [0, 1, 2, 3];

    [Theory]
    [MemberData(nameof(EarlierCounts))]
    public void Fill_writes_what_GetValue_reads_for_every_column(int earlierCount)
    {
        CompiledColumns compiled = FeatureFlattener.Compile(AwkwardColumns);
        Assert.Equal(["no_such_column", "market_atrPct_lag1_lag1"], compiled.UnknownNames);
        var history = new FeatureHistory();
        FeatureRecord[] records = [.. Enumerable.Range(0, 5).Select(Record)];
        foreach (FeatureRecord earlier in records.Take(earlierCount))
        {
            history.Add(earlier);
        }

        FeatureRecord row = records[4];
        float[] vector = new float[compiled.Count];
        compiled.Fill(row, history, vector);

        double[] expected = [.. Enumerable.Range(0, compiled.Count).Select(i => compiled.GetValue(i, row, history).ToModelInput())];
        Assert.Equal(expected.Select(v => (float)v), vector);
        double[] exported = new double[compiled.Count + 1]; // the export's numeric row: the columns, then the label
        compiled.FillModelInputs(row, history, exported);
        Assert.Equal(expected, exported[..^1]);
        // Lag 1 is the newest earlier record: r0 (dvol 50), r1 (51), then r2, which has no market section.
        Assert.Equal(earlierCount switch { 1 => 50f, 2 => 51f, _ => 0f }, vector[Array.IndexOf(AwkwardColumns, "market_dvol_lag1")]);
        Assert.Equal(earlierCount == 3 ? 50f : 0f, vector[Array.IndexOf(AwkwardColumns, "market_dvol_lag3")]);
    }

    [Fact]
    public void A_rolling_mean_skips_lags_without_a_number_and_is_missing_when_none_has_one()
    {
        CompiledColumns compiled = FeatureFlattener.Compile(["market_atrPct_roll3", "market_atrPct_lag2"]);
        var history = new FeatureHistory();
        history.Add(Record(0) with { Market = new MarketFeatures { AtrPct = 1.0 } });
        history.Add(Record(1) with { Market = new MarketFeatures() });
        history.Add(Record(2) with { Market = new MarketFeatures { AtrPct = 4.0 } });
        float[] vector = new float[2];

        compiled.Fill(Record(3), history, vector);

        Assert.Equal([2.5f, 0f], vector);
        Assert.Equal(FeatureValue.Of(2.5), compiled.GetValue(0, Record(3), history));

        var empty = new FeatureHistory();
        empty.Add(Record(0) with { Market = null });
        compiled.Fill(Record(3), empty, vector);
        Assert.Equal([0f, 0f], vector);
        Assert.Equal(FeatureValue.Missing, compiled.GetValue(0, Record(3), empty));
    }

    [Fact]
    public void Infinite_and_text_values_are_zero_in_the_vector()
    {
        CompiledColumns compiled = FeatureFlattener.Compile(["market_atrPct", "market_atrPct_roll3", "market_customNote", "market_customNote_roll3"]);
        var history = new FeatureHistory();
        history.Add(Record(0) with { Market = new MarketFeatures { AtrPct = double.PositiveInfinity } });
        float[] vector = [9f, 9f, 9f, 9f];

        compiled.Fill(Record(1) with { Market = new MarketFeatures { AtrPct = double.NegativeInfinity, ExtensionData = Extension("customNote", "text") } }, history, vector);

        Assert.Equal([0f, 0f, 0f, 0f], vector);
    }

    [Fact]
    public void A_list_of_more_columns_than_the_stack_holds_fills_from_a_rented_buffer()
    {
        string[] names = [.. Enumerable.Range(0, 300).Select(i => $"market_extra{i}_roll3")];
        CompiledColumns compiled = FeatureFlattener.Compile(names);
        var history = new FeatureHistory();
        var extension = Enumerable.Range(0, 300).ToDictionary(i => $"extra{i}", i => JsonSerializer.SerializeToElement((double)i));
        history.Add(Record(0) with { Market = new MarketFeatures { ExtensionData = extension } });
        float[] vector = new float[names.Length];

        compiled.Fill(Record(1), history, vector);

        Assert.Equal(Enumerable.Range(0, 300).Select(i => (float)i), vector);
    }

    private static FeatureRecord Record(int i) => new()
    {
        Id = $"r{i}",
        Timestamp = 1_769_000_000_000 + (i * 60_000),
        Asset = "BTC",
        Market = i == 2 ? null : new MarketFeatures
        {
            AtrPct = i == 1 ? null : 1.5 + i,
            Rsi14 = 40 + i,
            Dvol = 50 + i,
            ExtensionData = i == 3 ? Extension("customNote", "quiet") : Extension("customScore", 0.25 * (i + 1)),
        },
        Session = new SessionFeatures { Session = "asia", UtcHour = i == 0 ? null : 3 + i, IsWeekend = i % 2 == 0 },
        Signal = i == 1 ? null : new SignalFeatures { Strength = 0.5, Sources = [.. Enumerable.Range(0, i).Select(_ => new SignalSource("funding"))] },
        Regime = new RegimeFeatures { MarketRegime = i % 2 == 0 ? "bullish" : "bearish" },
        Execution = i == 0 ? null : new ExecutionFeatures { Leverage = 2 + i },
        Outcome = i < 3 ? new OutcomeFeatures { RealizedPnl = -1 + i } : null,
        Labels = i < 3 ? new FeatureLabels { Profitable = i == 2, RMultiple = 0.5 * i } : null,
        ExtensionData = i == 2 ? Extension("wtt", new Dictionary<string, double> { ["edge"] = 0.7 }) : null,
    };

    private static Dictionary<string, JsonElement> Extension<T>(string key, T value) => new() { [key] = JsonSerializer.SerializeToElement(value) };
}
