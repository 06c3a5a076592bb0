using System.Globalization;
using Vince.FeatureStore.Training.Data;
using Vince.FeatureStore.Training.Models;

namespace Vince.FeatureStore.Training.Metadata;

/// <summary>The content of <c>improvement_report</c> (JSON) and <c>improvement_report.md</c>, built once for both.</summary>
internal sealed class ImprovementReport
{
    public required IReadOnlyList<BuiltModel> Models { get; init; }

    public required IReadOnlyList<SuggestedFactor> SuggestedFactors { get; init; }

    public IReadOnlyList<(long Level, double WinRate, int Count)> TpLevels { get; init; } = [];

    public IReadOnlyList<(string Direction, DirectionDrivers Drivers)> DecisionDrivers { get; init; } = [];

    public (int MinStrength, int MinConfidence)? SuggestedTuning { get; init; }

    public WttPerformance? Wtt { get; init; }

    public required IReadOnlyList<string> ActionItems { get; init; }

    /// <summary>The minimal report's <c>data_summary</c> (only when there were too few trades).</summary>
    public IReadOnlyList<(string Key, int Value)>? DataSummary { get; init; }

    public IReadOnlyDictionary<string, string> SkippedModels { get; init; } = new Dictionary<string, string>();

    public BuiltModel? SignalQuality => Models.FirstOrDefault(m => m.Rows.Model == Flattening.TrainingModel.SignalQuality);

    /// <summary>The report of a run with too few trades: data summary, missing factors and what to do.</summary>
    public static ImprovementReport Minimal(DataStatistics statistics, int minSamples) => new()
    {
        Models = [],
        SuggestedFactors = statistics.SuggestedFactors(),
        DataSummary = [("total_records", statistics.TotalRecords), ("trades_with_outcomes", statistics.TradesWithOutcomes), ("min_samples_required", minSamples)],
        ActionItems =
        [
            string.Create(CultureInfo.InvariantCulture, $"Collect at least {minSamples} complete trades (with outcome and labels), then train again."),
            "Consider adding the suggested signal factors below to the feature store.",
        ],
    };

    /// <summary>The report of a training run, with the script's action items.</summary>
    public static ImprovementReport Full(DataStatistics statistics, IReadOnlyList<BuiltModel> models, IReadOnlyDictionary<string, string> skipped)
    {
        var tpLevels = statistics.TpLevels();
        var drivers = statistics.DecisionDrivers();
        var factors = statistics.SuggestedFactors();
        var items = new List<string>();
        if (models.FirstOrDefault(m => m.Rows.Model == Flattening.TrainingModel.SignalQuality)?.Report is { } quality)
        {
            if (quality.SuggestedThreshold is { } threshold)
            {
                items.Add(string.Create(CultureInfo.InvariantCulture, $"Consider a signal-quality threshold of {threshold:0.00} (the scorer uses it unless configured otherwise)."));
            }

            string top = string.Join(", ", quality.FeatureImportances.OrderByDescending(p => p.Value).Take(3).Select(p => p.Key));
            items.Add($"Signal quality is driven most by: {top}. Tune the matching rules (e.g. minimum strength or confidence) first.");
        }

        if (tpLevels.Count > 0)
        {
            (long level, double winRate, int count) = tpLevels.OrderBy(l => l.WinRate).ThenByDescending(l => l.Count).First();
            items.Add(string.Create(CultureInfo.InvariantCulture, $"TP level {level} has a win rate of {winRate:P1} ({count} trades). Review whether to weight it less or tighten its conditions."));
        }

        if (drivers.Count > 0)
        {
            items.Add("Review the decision drivers below: they drove the long and short decisions and feed the same features the models use.");
        }

        if (factors.Count > 0)
        {
            items.Add("Consider adding the suggested signal factors below to the feature store to improve future trainings.");
        }

        return new ImprovementReport
        {
            Models = models,
            SuggestedFactors = factors,
            TpLevels = tpLevels,
            DecisionDrivers = drivers,
            SuggestedTuning = statistics.SuggestedTuning(),
            Wtt = statistics.Wtt(),
            SkippedModels = skipped,
            ActionItems = items,
        };
    }
}
