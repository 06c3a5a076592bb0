namespace Vince.FeatureStore.Flattening;

/// <summary>The four models of the training pipeline (FORMATS.md §6).</summary>
public enum TrainingModel
{
    /// <summary>Binary: will the trade be profitable (label <c>label_profitable</c>).</summary>
    SignalQuality,

    /// <summary>Regression of <c>label_rMultiple</c> clipped to [−2, 3].</summary>
    PositionSizing,

    /// <summary>Classification of <c>label_optimalTpLevel</c>.</summary>
    TpOptimizer,

    /// <summary>High (0.95) quantile of <c>label_maxAdverseExcursion</c> clipped to [0, 5].</summary>
    SlOptimizer,
}

/// <summary>Names and labels of the <see cref="TrainingModel"/>s.</summary>
public static class TrainingModels
{
    /// <summary>All models, in the pipeline's order.</summary>
    public static IReadOnlyList<TrainingModel> All { get; } = [TrainingModel.SignalQuality, TrainingModel.PositionSizing, TrainingModel.TpOptimizer, TrainingModel.SlOptimizer];

    /// <summary>The pipeline's name of the model, e.g. <c>signal_quality</c> (file names, metadata keys).</summary>
    /// <param name="model">The model.</param>
    /// <returns>The snake_case name.</returns>
    public static string Name(TrainingModel model) => model switch
    {
        TrainingModel.SignalQuality => "signal_quality",
        TrainingModel.PositionSizing => "position_sizing",
        TrainingModel.TpOptimizer => "tp_optimizer",
        TrainingModel.SlOptimizer => "sl_optimizer",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown model."),
    };

    /// <summary>Parses a pipeline model name such as <c>signal_quality</c>.</summary>
    /// <param name="name">The name.</param>
    /// <param name="model">The model.</param>
    /// <returns>Whether the name is known.</returns>
    public static bool TryParse(string? name, out TrainingModel model)
    {
        foreach (TrainingModel candidate in All)
        {
            if (string.Equals(Name(candidate), name, StringComparison.Ordinal))
            {
                model = candidate;
                return true;
            }
        }

        model = default;
        return false;
    }

    /// <summary>The label column of the model.</summary>
    /// <param name="model">The model.</param>
    /// <returns>The column name.</returns>
    public static string LabelColumn(TrainingModel model) => model switch
    {
        TrainingModel.SignalQuality => "label_profitable",
        TrainingModel.PositionSizing => "label_rMultiple",
        TrainingModel.TpOptimizer => "label_optimalTpLevel",
        TrainingModel.SlOptimizer => "label_maxAdverseExcursion",
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown model."),
    };

    /// <summary>
    /// The label value the model trains on, or <see langword="null"/> when the record is not a training row
    /// of that model: booleans as 1/0, <c>rMultiple</c> clipped to [−2, 3], MAE clipped to [0, 5].
    /// </summary>
    /// <param name="model">The model.</param>
    /// <param name="value">The raw label column value.</param>
    /// <returns>The label, or <see langword="null"/>.</returns>
    public static double? Label(TrainingModel model, FeatureValue value)
    {
        if (value.Kind is not (FeatureValueKind.Number or FeatureValueKind.Boolean))
        {
            return null;
        }

        return model switch
        {
            TrainingModel.PositionSizing => Math.Clamp(value.Number, -2, 3),
            TrainingModel.SlOptimizer => Math.Clamp(value.Number, 0, 5),
            _ => value.Number,
        };
    }

    private static readonly ColumnAccessor[] LabelAccessors = All.Select(m => FeatureSchema.Resolve(LabelColumn(m))!.Value.Read).ToArray();

    /// <summary>The label of <paramref name="record"/> for <paramref name="model"/>, or <see langword="null"/> when it is not a training row of that model.</summary>
    /// <param name="model">The model.</param>
    /// <param name="record">The record.</param>
    /// <returns>The label value.</returns>
    public static double? LabelOf(TrainingModel model, FeatureRecord record)
    {
        ArgumentNullException.ThrowIfNull(record);
        return Label(model, LabelAccessors[(int)model](record, true));
    }

    internal static IReadOnlyList<string> BaseColumns(TrainingModel model) => model switch
    {
        TrainingModel.SignalQuality =>
        [
            "market_priceChange24h", "market_volumeRatio", "market_fundingPercentile", "market_longShortRatio",
            "signal_strength", "signal_confidence", "signal_source_count", "signal_hasCascadeSignal",
            "signal_hasFundingExtreme", "signal_hasWhaleSignal", "session_isWeekend", "session_isOpenWindow",
            "session_utcHour",
        ],
        TrainingModel.PositionSizing =>
        [
            "signal_strength", "signal_confidence", "signal_source_count", "session_isWeekend",
            "exec_streakMultiplier", "market_atrPct",
        ],
        // The spec gives no base list for the SL model; it uses the TP model's (documented in the README).
        TrainingModel.TpOptimizer or TrainingModel.SlOptimizer =>
        [
            "signal_direction_num", "market_atrPct", "signal_strength", "signal_confidence",
        ],
        _ => throw new ArgumentOutOfRangeException(nameof(model), model, "Unknown model."),
    };

    internal static IReadOnlyList<string> RegimeColumns(TrainingModel model) => model switch
    {
        TrainingModel.SignalQuality => ["regime_volatility_high", "regime_bullish", "regime_bearish"],
        TrainingModel.PositionSizing => ["volatility_level"],
        _ => ["volatility_level", "market_regime_num"],
    };

    internal static readonly string[] OptionalColumns =
    [
        "market_dvol", "market_rsi14", "market_oiChange24h", "market_fundingDelta", "market_bookImbalance",
        "market_bidAskSpread", "market_priceVsSma20", "signal_hasOICap", "signal_xSentimentScore",
        "wtt_primary", "wtt_alignment", "wtt_edge", "wtt_payoffShape", "wtt_timingForgiveness", "wtt_invalidateHit",
        "signal_avg_sentiment", "news_avg_sentiment", "news_nasdaqChange", "news_etfFlowBtc", "news_etfFlowEth",
        "news_macro_risk_on", "news_macro_risk_off",
    ];
}
