using Vince.FeatureStore.Flattening;
using Vince.FeatureStore.Training.Evaluation;

namespace Vince.FeatureStore.Training.Data;

/// <summary>
/// What the improvement report says about the data (not the models), gathered in the first pass over every record:
/// the same summaries the Python script computes from its data frame (decision drivers per direction, win rate per
/// take-profit level, profitable-trade percentiles, WTT performance, missing signal factors).
/// </summary>
internal sealed class DataStatistics
{
    /// <summary>Signal factors the report suggests when their column is missing or mostly empty: (column, name, description).</summary>
    public static readonly (string Column, string Name, string Description)[] CandidateFactors =
    [
        ("market_fundingDelta", "Funding rate change", "How funding moved recently; a turn often precedes reversals."),
        ("market_bookImbalance", "Order book imbalance", "Bid versus ask depth near the touch; short-term pressure."),
        ("market_bidAskSpread", "Bid-ask spread", "Liquidity and expected slippage."),
        ("market_rsi14", "RSI (14)", "Momentum: overbought or oversold."),
        ("market_priceVsSma20", "Price versus SMA20", "Alignment with the recent trend."),
        ("market_dvol", "Implied volatility (DVOL)", "Options-implied volatility of the asset."),
        ("market_oiChange24h", "Open interest change (24 h)", "Positions building up or being flushed."),
        ("news_nasdaqChange", "NASDAQ change", "Equity risk appetite."),
        ("news_etfFlowBtc", "ETF flows", "Institutional spot ETF flows."),
        ("news_macroRiskEnvironment", "Macro risk environment", "risk_on, risk_off or neutral."),
        ("signal_avg_sentiment", "Source sentiment", "Average sentiment of the signal's sources."),
        ("exec_streakMultiplier", "Win/loss streak", "Recent streak, for position sizing."),
        ("signal_hasOICap", "Open interest cap", "Perpetuals at their open interest cap."),
        ("signal_hasFundingExtreme", "Funding extreme", "Funding at an extreme (mean reversion)."),
        ("market_longShortRatio", "Long/short ratio", "Positioning of traders."),
        ("wtt_alignment", "WTT alignment", "Thesis alignment score of the WTT rubric."),
        ("wtt_edge", "WTT edge", "Edge level of the WTT rubric."),
    ];

    private static readonly string[] Directions = ["long", "short"];

    private static readonly string[] WttDimensions = ["wtt_alignment", "wtt_edge", "wtt_payoffShape", "wtt_timingForgiveness"];

    private readonly CompiledColumns _columns;
    private readonly int _profitable;
    private readonly int _tpLevel;
    private readonly int _strength;
    private readonly int _confidence;
    private readonly int _wttPrimary;
    private readonly int _firstWttDimension;
    private readonly int _firstCandidate;
    private readonly int[] _candidateCounts = new int[CandidateFactors.Length];
    private readonly Dictionary<string, DirectionDrivers> _drivers = new(StringComparer.Ordinal);
    private readonly SortedDictionary<long, (int Wins, int Count)> _tpLevels = [];
    private readonly List<double> _profitableStrength = [];
    private readonly List<double> _profitableConfidence = [];
    private readonly List<(double[] Dimensions, double Profitable)> _wttLabelled = [];
    private bool _wttPresent;
    private int _wttPrimaryCount;
    private (int Wins, int Known) _wttOutcomes;
    private (int Wins, int Known) _otherOutcomes;
    private int _otherCount;

    public DataStatistics()
    {
        var names = new List<string> { "label_profitable", "label_optimalTpLevel", "signal_strength", "signal_confidence", "wtt_primary" };
        _profitable = 0;
        _tpLevel = 1;
        _strength = 2;
        _confidence = 3;
        _wttPrimary = 4;
        _firstWttDimension = names.Count;
        names.AddRange(WttDimensions);
        _firstCandidate = names.Count;
        names.AddRange(CandidateFactors.Select(c => c.Column));
        _columns = FeatureFlattener.Compile(names);
    }

    public int TotalRecords { get; private set; }

    /// <summary>Records with <c>label_profitable</c> (labels, or an outcome carrying it): the script's "trades with outcomes".</summary>
    public int TradesWithOutcomes { get; private set; }

    public void Observe(FeatureRecord record)
    {
        TotalRecords++;
        FeatureValue profitable = Value(_profitable, record);
        if (profitable.HasValue)
        {
            TradesWithOutcomes++;
        }

        for (int i = 0; i < CandidateFactors.Length; i++)
        {
            if (Value(_firstCandidate + i, record).HasValue)
            {
                _candidateCounts[i]++;
            }
        }

        if (record.Signal?.Direction is "long" or "short")
        {
            string direction = record.Signal.Direction;
            if (!_drivers.TryGetValue(direction, out DirectionDrivers? drivers))
            {
                _drivers[direction] = drivers = new DirectionDrivers();
            }

            IReadOnlyList<string>? mentioned = record.DecisionDrivers is { Count: > 0 } own ? own : record.Signal.Factors;
            drivers.Add(mentioned ?? []);
        }

        bool win = IsTrue(profitable);
        if (profitable.HasValue && Value(_tpLevel, record) is { HasValue: true } level && IsNumeric(level))
        {
            long key = (long)level.Number;
            (int wins, int count) = _tpLevels.GetValueOrDefault(key);
            _tpLevels[key] = (wins + (win ? 1 : 0), count + 1);
        }

        if (win)
        {
            AddIfNumeric(_profitableStrength, Value(_strength, record));
            AddIfNumeric(_profitableConfidence, Value(_confidence, record));
        }

        // The script's "WTT trades" have wtt_primary == 1; every other record (with or without WTT data) is "non-WTT".
        FeatureValue primary = Value(_wttPrimary, record);
        _wttPresent |= primary.HasValue;
        if (primary.HasValue && primary.Number == 1)
        {
            _wttPrimaryCount++;
            if (profitable.HasValue)
            {
                _wttOutcomes = (_wttOutcomes.Wins + (win ? 1 : 0), _wttOutcomes.Known + 1);
                double[] dimensions = new double[WttDimensions.Length];
                for (int i = 0; i < dimensions.Length; i++)
                {
                    dimensions[i] = Value(_firstWttDimension + i, record).ToModelInput();
                }

                _wttLabelled.Add((dimensions, win ? 1 : 0));
            }
        }
        else
        {
            _otherCount++;
            if (profitable.HasValue)
            {
                _otherOutcomes = (_otherOutcomes.Wins + (win ? 1 : 0), _otherOutcomes.Known + 1);
            }
        }
    }

    private FeatureValue Value(int column, FeatureRecord record) => _columns.GetValue(column, record, null);

    private static bool IsNumeric(FeatureValue value) => value.Kind is FeatureValueKind.Number or FeatureValueKind.Boolean && double.IsFinite(value.Number);

    private static bool IsTrue(FeatureValue value) => IsNumeric(value) && value.Number != 0;

    private static void AddIfNumeric(List<double> list, FeatureValue value)
    {
        if (IsNumeric(value))
        {
            list.Add(value.Number);
        }
    }

    /// <summary><c>suggested_signal_factors</c>: candidates absent from the data or filled in fewer than 20 % of the records.</summary>
    public List<SuggestedFactor> SuggestedFactors()
    {
        var suggested = new List<SuggestedFactor>();
        for (int i = 0; i < CandidateFactors.Length; i++)
        {
            (string column, string name, string description) = CandidateFactors[i];
            if (_candidateCounts[i] == 0)
            {
                suggested.Add(new SuggestedFactor(name, description, "not in data", column));
                continue;
            }

            double percent = TotalRecords > 0 ? 100.0 * _candidateCounts[i] / TotalRecords : 0;
            if (percent < 20)
            {
                suggested.Add(new SuggestedFactor(name, description, $"present but {Math.Round(percent):0}% non-null — consider populating", column));
            }
        }

        return suggested;
    }

    /// <summary><c>decision_drivers_by_direction</c>: the eight most mentioned drivers of long and short decisions.</summary>
    public IReadOnlyList<(string Direction, DirectionDrivers Drivers)> DecisionDrivers()
        => Directions
            .Where(d => _drivers.TryGetValue(d, out DirectionDrivers? drivers) && drivers.Mentions > 0)
            .Select(d => (d, _drivers[d]))
            .ToList();

    /// <summary><c>tp_level_performance</c>: win rate and count per optimal take-profit level, ascending.</summary>
    public IReadOnlyList<(long Level, double WinRate, int Count)> TpLevels()
        => _tpLevels.Select(p => (p.Key, Math.Round((double)p.Value.Wins / p.Value.Count, 3), p.Value.Count)).ToList();

    /// <summary><c>suggested_tuning</c>: the 25th percentile of strength and confidence of profitable trades (at least 20), or null.</summary>
    public (int MinStrength, int MinConfidence)? SuggestedTuning()
    {
        if (_profitableStrength.Count < 20 || _profitableConfidence.Count == 0)
        {
            return null;
        }

        static int Clamp(double value) => (int)Math.Clamp(Math.Round(value, MidpointRounding.ToEven), 0, 100);
        return (Clamp(Statistics.Quantile(_profitableStrength, 0.25)), Clamp(Statistics.Quantile(_profitableConfidence, 0.25)));
    }

    /// <summary><c>wtt_performance</c>: win rates with and without a WTT primary pick (at least 5 WTT records), or null.</summary>
    public WttPerformance? Wtt()
    {
        if (!_wttPresent || _wttPrimaryCount < 5)
        {
            return null;
        }

        static double WinRate((int Wins, int Known) outcomes) => outcomes.Known == 0 ? double.NaN : 100.0 * outcomes.Wins / outcomes.Known;
        double wttRate = WinRate(_wttOutcomes);
        double otherRate = _otherCount > 0 ? WinRate(_otherOutcomes) : 0;
        var correlations = new List<(string, double)>();
        for (int d = 0; d < WttDimensions.Length; d++)
        {
            correlations.Add((WttDimensions[d] + "_corr", Math.Round(Statistics.Pearson(_wttLabelled.Select(w => (w.Dimensions[d], w.Profitable)).ToList()), 3)));
        }

        return new WttPerformance(_wttPrimaryCount, Math.Round(wttRate, 1), Math.Round(otherRate, 1), Math.Round(wttRate - otherRate, 1), correlations);
    }
}

/// <summary>How often each driver was mentioned by the decisions of one direction.</summary>
internal sealed class DirectionDrivers
{
    private readonly Dictionary<string, (int Count, int FirstSeen)> _counts = new(StringComparer.Ordinal);

    public int TradeCount { get; private set; }

    public int Mentions { get; private set; }

    public void Add(IReadOnlyList<string> drivers)
    {
        TradeCount++;
        foreach (string driver in drivers)
        {
            Mentions++;
            (int count, int first) = _counts.TryGetValue(driver, out var seen) ? seen : (0, _counts.Count);
            _counts[driver] = (count + 1, first);
        }
    }

    /// <summary>The most mentioned drivers, ties in order of first mention.</summary>
    public IReadOnlyList<string> Top(int count) => _counts.OrderByDescending(p => p.Value.Count).ThenBy(p => p.Value.FirstSeen).Take(count).Select(p => p.Key).ToList();
}

/// <summary>One entry of <c>suggested_signal_factors</c>.</summary>
internal sealed record SuggestedFactor(string Name, string Description, string Reason, string Column);

/// <summary>The <c>wtt_performance</c> section.</summary>
internal sealed record WttPerformance(int WttTrades, double WttWinRate, double NonWttWinRate, double Delta, IReadOnlyList<(string Name, double Value)> Correlations);
